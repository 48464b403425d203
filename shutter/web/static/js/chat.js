// Direct messages (pages/messages.py), kept current by live.js's "shutter:conversation"
// events (a message reached one of the person's conversations):
// - a conversation opens at its newest message, as a chat does, and when the message is
//   for it, its list is fetched again as a fragment (which marks it read, as opening
//   does; the count is asked for after that);
// - the inbox fetches its list again, the conversation it names now on top.

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

export function enhanceChat(root) {
  for (const [selector, enhance] of [["[data-chat]", enhanceThread], ["[data-inbox]", enhanceInbox]]) {
    const list = root.querySelector?.(selector);
    if (!list || list.dataset.enhanced) continue;
    list.dataset.enhanced = "true";
    enhance(list);
  }
}
