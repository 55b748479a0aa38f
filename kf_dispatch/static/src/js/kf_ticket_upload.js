/**
 * Portal "new ticket" form: checks the chosen files before they are sent
 * (type on the allow-list, size under the limit), so that the customer does
 * not wait for a large upload to be refused. The server checks again and
 * remains the authority.
 */

function kfCheckTicketFiles(input) {
    const maxSize = parseInt(input.dataset.maxSize || "0", 10);
    const allowed = (input.dataset.extensions || "").split(",").filter(Boolean);
    const text = (id) => (document.getElementById(id)?.textContent || "").replace(/\s+/g, " ").trim();
    const problems = [];
    for (const file of input.files) {
        // trailing dots and spaces are dropped by Windows, and by the server
        const name = file.name.replace(/[.\s]+$/, "");
        const dot = name.lastIndexOf(".");
        const extension = dot >= 0 ? name.slice(dot).toLowerCase() : "";
        if (allowed.length && !allowed.includes(extension)) {
            problems.push(`${text("kf_ticket_upload_msg_type")} ${file.name}`);
        } else if (maxSize && file.size > maxSize) {
            problems.push(`${text("kf_ticket_upload_msg_size")} ${file.name}`);
        }
    }
    const message = problems.join("\n");
    input.setCustomValidity(message);
    input.classList.toggle("is-invalid", Boolean(message));
    const box = document.getElementById("kf_ticket_upload_error");
    if (box) {
        box.style.whiteSpace = "pre-line";
        box.textContent = message;
    }
    return !message;
}

document.addEventListener("change", (ev) => {
    if (ev.target.id === "kf_ticket_attachments") {
        kfCheckTicketFiles(ev.target);
    }
});

document.addEventListener(
    "submit",
    (ev) => {
        const input = ev.target.id === "kf_ticket_new_form" && ev.target.querySelector("#kf_ticket_attachments");
        if (input && !kfCheckTicketFiles(input)) {
            ev.preventDefault();
            input.reportValidity();
        }
    },
    true
);
