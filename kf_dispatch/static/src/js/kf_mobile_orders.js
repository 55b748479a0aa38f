/**
 * Engineer's phone page: a check-in or check-out form asks the browser for
 * the position first (optional: refused or slow, the form is sent without
 * it), and a photo larger than the limit is refused before it is uploaded.
 * The server checks again and remains the authority.
 */

document.addEventListener(
    "submit",
    (ev) => {
        const form = ev.target;
        if (!form.classList || !form.classList.contains("kf_m_geo") || form.dataset.kfLocated) {
            return;
        }
        ev.preventDefault();
        const send = () => {
            form.dataset.kfLocated = "1";
            form.submit();
        };
        if (!navigator.geolocation) {
            send();
            return;
        }
        navigator.geolocation.getCurrentPosition(
            (position) => {
                form.querySelector("input[name=latitude]").value = position.coords.latitude.toFixed(7);
                form.querySelector("input[name=longitude]").value = position.coords.longitude.toFixed(7);
                send();
            },
            send,
            { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 }
        );
    },
    true
);

document.addEventListener("change", (ev) => {
    const input = ev.target;
    if (input.id !== "kf_m_photo") {
        return;
    }
    const maxSize = parseInt(input.dataset.maxSize || "0", 10);
    const tooLarge = [...input.files].filter((file) => maxSize && file.size > maxSize);
    const message = tooLarge.length
        ? `${document.getElementById("kf_m_photo_msg_size")?.textContent.trim() || ""} ${tooLarge.map((f) => f.name).join(", ")}`
        : "";
    input.setCustomValidity(message);
    input.classList.toggle("is-invalid", Boolean(message));
    input.reportValidity();
});
