// Toggle buttons (Like, Save) without a reload. Markup (partials/post.html):
//   <form method=post action=… data-toggle="liked">
//     <button name="liked" value="true|false" aria-pressed="false|true">…</button>
// The button submits the state it asks for; after the server's answer the button shows
// the state the server reports (its `favourited` / `bookmarked`), and the next press asks
// the opposite. Without scripts the same form posts and the page comes back.

import { announce, postForm } from "./http.js";

const FLAGS = { liked: "favourited", saved: "bookmarked", pinned: "pinned" };

function show(button, on) {
  button.setAttribute("aria-pressed", String(on));
  button.value = String(!on);
}

async function toggle(form, button) {
  const field = form.dataset.toggle;
  const wanted = button.value === "true";
  const body = new FormData(form, button); // before `show` turns the button's value
  show(button, wanted); // at once; corrected below if the server disagrees
  if (wanted && field === "liked") button.classList.add("pop");
  try {
    const status = await postForm(form, body);
    show(button, Boolean(status[FLAGS[field]]));
    if (field === "liked") {
      const count = form.closest("article")?.querySelector("[data-likes]");
      const n = status.favourites_count;
      if (count && typeof n === "number") count.textContent = `${n.toLocaleString()} ${n === 1 ? "like" : "likes"}`;
    }
  } catch (error) {
    show(button, !wanted);
    announce(error.message);
  } finally {
    button.classList.remove("pop");
  }
}

export function enhanceToggles(root) {
  for (const form of root.querySelectorAll("form[data-toggle]")) {
    if (form.dataset.enhanced) continue;
    form.dataset.enhanced = "1";
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = event.submitter ?? form.querySelector("button");
      if (button.getAttribute("aria-busy") === "true") return;
      button.setAttribute("aria-busy", "true");
      toggle(form, button).finally(() => button.removeAttribute("aria-busy"));
    });
  }
}

// The heart that shows a double-tap's like (app.css .heart-burst); none without motion.
function burst(media) {
  if (matchMedia("(prefers-reduced-motion: reduce)").matches) return;
  const heart = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  heart.setAttribute("class", "heart-burst");
  heart.setAttribute("viewBox", "0 0 24 24");
  heart.setAttribute("aria-hidden", "true");
  heart.innerHTML = '<path d="M12 21s-7.5-4.6-9.6-9.3C.9 8.2 3 4.5 6.6 4.5c2.1 0 3.6 1.2 5.4 3.1 1.8-1.9 3.3-3.1 5.4-3.1 3.6 0 5.7 3.7 4.2 7.2C19.5 16.4 12 21 12 21z"/>';
  heart.addEventListener("animationend", () => heart.remove(), { once: true });
  media.append(heart);
}

// Double-tap (or double-click) on a post's media likes it, as on Instagram.
export function enhanceDoubleTap(root) {
  for (const media of root.querySelectorAll("article .media")) {
    if (media.dataset.doubleTap) continue;
    media.dataset.doubleTap = "1";
    media.addEventListener("dblclick", (event) => {
      if (event.target.closest("button, summary, video, a")) return;
      const button = media.closest("article").querySelector('form[data-toggle="liked"] button');
      if (!button) return;
      if (button.getAttribute("aria-pressed") !== "true") button.click();
      burst(media);
    });
  }
}
