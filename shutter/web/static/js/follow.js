// Follow without a reload. Markup (templates/pages/profile.html): a form [data-follow]
// whose button asks for `follow=true|false` and is named "Follow", "Following" or
// "Requested". After the server's answer (a Relationship, as the API gives it) the
// button shows what the server reports. Without scripts the form posts and the profile
// comes back. A suggestion's "Remove" form [data-dismiss] takes its row away.

import { announce, postForm } from "./http.js";

function show(button, relationship) {
  const on = relationship.following || relationship.requested;
  button.textContent = relationship.following ? "Following" : relationship.requested ? "Requested" : "Follow";
  button.value = String(!on);
  button.classList.toggle("button-secondary", on);
}

export function enhanceFollow(root) {
  for (const form of root.querySelectorAll("form[data-follow]")) {
    if (form.dataset.enhanced) continue;
    form.dataset.enhanced = "1";
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = event.submitter ?? form.querySelector("button");
      if (button.getAttribute("aria-busy") === "true") return;
      button.setAttribute("aria-busy", "true");
      try {
        const relationship = await postForm(form, new FormData(form, button));
        show(button, relationship);
        announce(relationship.following ? "Following" : relationship.requested ? "Follow request sent" : "Not following");
      } catch (error) {
        announce(error.message);
      } finally {
        button.removeAttribute("aria-busy");
      }
    });
  }
}

export function enhanceDismiss(root) {
  for (const form of root.querySelectorAll("form[data-dismiss]")) {
    if (form.dataset.enhanced) continue;
    form.dataset.enhanced = "1";
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const row = form.closest("li");
      // Focus moves on to the next person (or the list's heading) before the row goes.
      const next = row?.nextElementSibling?.querySelector("a") ?? row?.closest("section, aside")?.querySelector("a");
      try {
        await postForm(form);
        next?.focus();
        row?.remove();
        announce("Suggestion removed");
      } catch (error) {
        announce(error.message);
      }
    });
  }
}
