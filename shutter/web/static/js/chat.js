// Direct messages (pages/messages.py), kept current by live.js's "shutter:conversation"
// events (a message reached one of the person's conversations):
// - a conversation opens at its newest message, as a chat does, and when the message is
//   for it, its list is fetched again as a fragment (which marks it read, as opening
//   does; the count is asked for after that);
// - the inbox fetches its list again, the conversation it names now on top.
// Photos with a message (partials/message_attach.html): one alt-text field per chosen
// file, named after it, in the files' order (without scripts: a field per place).

import { getFragment } from "./http.js";
import { refresh } from "./live.js";

function toEnd(list) {
  list.lastElementChild?.scrollIntoView({ block: "end" });
}

function conversationOf(event) {
  try {
    return JSON.parse(event.detail);
  } catch {
    return null;
  }
}

function enhanceThread(list) {
  if (!location.hash) toEnd(list);
  addEventListener("shutter:conversation", async (event) => {
    if (conversationOf(event)?.id !== list.dataset.chat) return;
    event.preventDefault();
    try {
      list.replaceChildren(await getFragment(location.pathname, "messages"));
      toEnd(list);
    } catch {
      // offline: the next message or a reload shows it
    }
    refresh();
  });
}

function enhanceInbox(list) {
  // Only the first page follows: an older page keeps what it shows.
  if (new URLSearchParams(location.search).has("max_id")) return;
  addEventListener("shutter:conversation", async () => {
    try {
      list.replaceChildren(await getFragment("/messages", "inbox"));
      if (list.querySelector("a")) document.querySelector("[data-inbox-empty]")?.remove();
    } catch {
      // offline: a reload shows it
    }
  });
}

function enhanceAttach(box) {
  const input = box.querySelector("[data-chat-files]");
  const alts = box.closest("form")?.querySelector("[data-chat-alts]");
  const chosen = box.querySelector("[data-chat-chosen]");
  if (!input || !alts) return;
  const limit = Number(input.dataset.max || 4);
  const maxlength = input.dataset.altLimit || "";
  const show = () => {
    const files = [...(input.files || [])];
    alts.replaceChildren();
    files.slice(0, limit).forEach((file, index) => {
      const field = document.createElement("div");
      field.className = "field";
      const label = document.createElement("label");
      label.htmlFor = `message-alt-${index + 1}`;
      label.textContent = `Alt text for ${file.name}`;
      const text = document.createElement("input");
      text.id = label.htmlFor;
      text.name = "descriptions[]";
      text.type = "text";
      if (maxlength) text.maxLength = Number(maxlength);
      field.append(label, text);
      alts.append(field);
    });
    alts.hidden = files.length === 0;
    if (chosen) {
      chosen.textContent = files.length === 0 ? "" : files.length > limit
        ? `${files.length} chosen: at most ${limit}`
        : `${files.length} chosen`;
    }
  };
  input.addEventListener("change", show);
  show();
}

export function enhanceChat(root) {
  for (const box of root.querySelectorAll?.("[data-chat-attach]:not([data-enhanced])") ?? []) {
    box.dataset.enhanced = "true";
    enhanceAttach(box);
  }
  for (const [selector, enhance] of [["[data-chat]", enhanceThread], ["[data-inbox]", enhanceInbox]]) {
    const list = root.querySelector?.(selector);
    if (!list || list.dataset.enhanced) continue;
    list.dataset.enhanced = "true";
    enhance(list);
  }
}
