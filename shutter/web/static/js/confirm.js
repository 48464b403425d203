// Destructive actions ask in place: the first button opens the question (its form's
// hidden box) instead of sending the form unconfirmed; Cancel or Escape closes it.

export function enhanceConfirms(root) {
  for (const form of root.querySelectorAll("form[data-confirm]:not([data-confirm-ready])")) {
    form.dataset.confirmReady = "";
    const open = form.querySelector("[data-confirm-open]");
    const box = form.querySelector("[data-confirm-box]");
    const yes = box.querySelector('[name="confirmed"]');
    const close = () => {
      box.hidden = true;
      open.setAttribute("aria-expanded", "false");
      open.focus();
    };
    open.addEventListener("click", (event) => {
      event.preventDefault();
      const opening = box.hidden;
      box.hidden = !opening;
      open.setAttribute("aria-expanded", String(opening));
      if (opening) yes.focus();
    });
    box.querySelector("[data-confirm-cancel]").addEventListener("click", close);
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
    });
  }
}
