// Keyboard shortcuts of every signed-in page: j / k next and previous post, l like,
// s save, c compose, / search, ? this list. A shortcut never fires while typing in a
// field, nor with Ctrl, Alt or Meta held (the browser's own shortcuts win).

const HELP = [
  ["j", "Next post"],
  ["k", "Previous post"],
  ["l", "Like or unlike the post"],
  ["s", "Save or unsave the post"],
  ["c", "New post"],
  ["/", "Search"],
  ["?", "Show these shortcuts"],
];

function typing(target) {
  return target.closest?.("input, textarea, select, [contenteditable='true'], dialog[open]") != null;
}

function posts() {
  return [...document.querySelectorAll("article.post")];
}

// The post the reader is on: the focused one, else the first whose top is on screen.
function current() {
  const focused = document.activeElement?.closest?.("article.post");
  if (focused) return focused;
  return posts().find((post) => post.getBoundingClientRect().bottom > 80) ?? null;
}

function moveTo(post) {
  if (!post) return;
  if (!post.hasAttribute("tabindex")) post.setAttribute("tabindex", "-1");
  post.focus({ preventScroll: true });
  const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
  post.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
}

function step(by) {
  const all = posts();
  const here = current();
  const index = here ? all.indexOf(here) : -1;
  if (document.activeElement?.closest?.("article.post") !== here && by > 0 && here) {
    moveTo(here); // the first press lands on the post in view
    return;
  }
  moveTo(all[Math.min(Math.max(index + by, 0), all.length - 1)]);
}

// A post behind a filter's "Show anyway" is shown by the first l or s, not liked or
// saved unseen.
function press(selector) {
  const post = current();
  const hidden = post?.querySelector("details.post-filtered:not([open])");
  if (hidden) {
    hidden.open = true;
    return;
  }
  post?.querySelector(selector)?.click();
}

function helpDialog() {
  let dialog = document.getElementById("shortcuts");
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.id = "shortcuts";
  dialog.className = "shortcuts";
  dialog.setAttribute("aria-labelledby", "shortcuts-title");
  const title = document.createElement("h2");
  title.id = "shortcuts-title";
  title.textContent = "Keyboard shortcuts";
  const list = document.createElement("dl");
  for (const [key, what] of HELP) {
    const term = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = key;
    term.append(kbd);
    const description = document.createElement("dd");
    description.textContent = what;
    list.append(term, description);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "button";
  close.textContent = "Close";
  close.addEventListener("click", () => dialog.close());
  dialog.append(title, list, close);
  document.body.append(dialog);
  return dialog;
}

function search() {
  const box = document.querySelector("input[type='search']");
  if (box) box.focus();
  else location.assign("/search");
}

const ACTIONS = {
  j: () => step(1),
  k: () => step(-1),
  l: () => press("form[data-toggle='liked'] button"),
  s: () => press("form[data-toggle='saved'] button"),
  c: () => location.assign("/compose"),
  "/": search,
  "?": () => helpDialog().showModal(),
};

export function installShortcuts() {
  if (document.documentElement.dataset.shortcuts || !document.querySelector("nav [href='/compose']")) return;
  document.documentElement.dataset.shortcuts = "on";
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (typing(event.target)) return;
    const action = ACTIONS[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
