/** @odoo-module **/
// The main flows of the department, walked in the web client and on the
// portal. Records come from the Python test (kf_dispatch/tests/test_tours.py);
// steps select buttons and fields by name, never by their (translated) label.
import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

function clickButton(name, content) {
    return { content, trigger: `.o_form_view button[name='${name}']:enabled`, run: "click" };
}

function waitSaved() {
    return { trigger: ".o_form_view .o_form_saved" };
}

// Specialist: dispatch the draft work order.
tours.add("kf_dispatch_order_dispatch_tour", {
    steps: () => [
        clickButton("action_dispatch", "Dispatch the work order"),
        { trigger: ".o_form_view button[name='action_preview']" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current[data-value='dispatched']" },
    ],
});

// Executor: acknowledge, start, write the completion note and mark done.
tours.add("kf_dispatch_order_execute_tour", {
    steps: () => [
        clickButton("action_acknowledge", "Acknowledge the dispatched order"),
        { trigger: ".o_statusbar_status button.o_arrow_button_current[data-value='accepted']" },
        clickButton("action_start", "Start the work"),
        { trigger: ".o_statusbar_status button.o_arrow_button_current[data-value='in_progress']" },
        { content: "Open the completion tab", trigger: ".o_notebook a[name='completion']", run: "click" },
        {
            content: "Write the completion note",
            trigger: ".o_field_widget[name='completion_note'] textarea",
            run: "edit 已更换压缩机，试运行正常。",
        },
        clickButton("action_done", "Mark the order done"),
        { trigger: ".o_statusbar_status button.o_arrow_button_current[data-value='done']" },
    ],
});

// Customer: accept the done order on the portal with a signature.
tours.add("kf_dispatch_order_portal_accept_tour", {
    steps: () => [
        {
            content: "Open the acceptance dialog",
            trigger: "#kf_order_accept [data-bs-target='#kf_modal_accept']",
            run: "click",
        },
        { content: "A signature is drawn", trigger: "#kf_modal_accept .o_portal_sign_submit:enabled" },
        { trigger: "#kf_modal_accept .o_web_sign_auto_select_style button", run: "click" },
        { trigger: ".o-dropdown-item:eq(1)", run: "click" },
        { content: "Sign", trigger: "#kf_modal_accept .o_portal_sign_submit:enabled", run: "click" },
        { content: "The signature is shown", trigger: "#kf_order_signature img" },
    ],
});

// Specialist: reply to the ticket, resolve it, then do the return visit,
// which closes the ticket.
tours.add("kf_ticket_flow_tour", {
    steps: () => [
        {
            content: "Reply to the customer",
            trigger: ".o-mail-Chatter-topbar button.o-mail-Chatter-sendMessage",
            run: "click",
        },
        { trigger: ".o-mail-Composer-input", run: "edit 您好，您反馈的问题我们已受理，今天下午安排工程师上门。" },
        { trigger: ".o-mail-Composer-send:enabled", run: "click" },
        { trigger: ".o-mail-Message:contains('已受理')" },
        { content: "Open the resolution tab", trigger: ".o_notebook a[name='resolution']", run: "click" },
        {
            content: "Write the resolution",
            trigger: ".o_field_widget[name='resolution'] textarea",
            run: "edit 已清洗冷凝器并补充冷媒，制冷恢复正常。",
        },
        clickButton("action_resolve", "Resolve the ticket"),
        { content: "Open the return visit", trigger: ".o_form_view button[name='action_view_visit']", run: "click" },
        {
            content: "Record the return visit's outcome",
            trigger: ".o_form_view .o_field_widget[name='outcome'] textarea",
            run: "edit 客户确认问题已解决，对处理速度满意。",
        },
        { trigger: ".o_form_view .o_field_widget[name='score'] input", run: "edit 5" },
        clickButton("action_done", "Mark the return visit done"),
        { trigger: ".o_statusbar_status button.o_arrow_button_current[data-value='done']" },
        { content: "Back to the ticket", trigger: ".o_breadcrumb .breadcrumb-item:last a", run: "click" },
        {
            content: "The ticket is shown again, closed",
            trigger: ".o_form_view:has(.o_field_widget[name='subject']):not(:has(button[name='action_resolve']))",
        },
    ],
});
