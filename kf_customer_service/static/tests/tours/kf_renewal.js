/** @odoo-module **/
// The renewal board: the specialist moves a contract of the first stage
// through the pipeline. The record comes from the Python test
// (kf_customer_service/tests/test_tours.py); columns are chosen by position,
// never by their (translated) names.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("kf_renewal_board_tour", {
    steps: () => [
        {
            content: "The contract waits in the first stage",
            trigger: ".o_kanban_group:eq(0) .o_kanban_record:contains('KF Tour Customer')",
        },
        {
            content: "Move it to the second stage",
            trigger: ".o_kanban_group:eq(0) .o_kanban_record:contains('KF Tour Customer')",
            run: "drag_and_drop (.o_kanban_group:eq(1))",
        },
        {
            content: "It is in the second stage",
            trigger: ".o_kanban_group:eq(1) .o_kanban_record:contains('KF Tour Customer')",
        },
        {
            content: "Move it on to negotiation",
            trigger: ".o_kanban_group:eq(1) .o_kanban_record:contains('KF Tour Customer')",
            run: "drag_and_drop (.o_kanban_group:eq(2))",
        },
        {
            content: "It is in negotiation",
            trigger: ".o_kanban_group:eq(2) .o_kanban_record:contains('KF Tour Customer')",
        },
    ],
});
