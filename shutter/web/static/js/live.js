// The navigation's unread count, kept current without a reload: the user's notification
// stream (/web/stream, server-sent events with the session cookie) says when something
// happened, and /web/unread gives the count (and the unread conversations' count, for
// the Messages links). Without a stream (a proxy that buffers, an old browser) the
// count is polled instead. The link's name stays "Notifications" or
// becomes "Notifications, N new" (its aria-label, as layouts/app.html renders it).

const POLL_MS = 8000;
const STREAM_DELAY_MS = 1500;
let started = false;

export async function refresh() {
  try {
    const response = await fetch("/web/unread", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return;
    const { count, messages } = await response.json();
    if (Number.isInteger(count)) showUnread(count);
    if (Number.isInteger(messages)) showUnreadMessages(messages);
  } catch {
    // offline: the next event or poll tries again
  }
}

/** Show `count` unread notifications in every Notifications link of the page. */
export function showUnread(count) {
  const shown = count >= 100 ? "99+" : String(count);
  for (const badge of document.querySelectorAll("[data-unread]")) {
    if (badge.dataset.unread === String(count)) continue;
    badge.dataset.unread = String(count);
    badge.textContent = shown;
    badge.hidden = !count;
    // The link's name: exactly "Notifications" when nothing is unread.
    const link = badge.closest("a");
    if (count) link?.setAttribute("aria-label", `Notifications, ${shown} new`);
    else link?.removeAttribute("aria-label");
  }
}

/** Show `count` unread conversations in every Messages link ("Messages, N new"). */
export function showUnreadMessages(count) {
  const shown = count >= 100 ? "99+" : String(count);
  for (const badge of document.querySelectorAll("[data-unread-messages]")) {
    if (badge.dataset.unreadMessages === String(count)) continue;
    badge.dataset.unreadMessages = String(count);
    badge.textContent = shown;
    badge.hidden = !count;
    const link = badge.closest("a");
    if (count) link?.setAttribute("aria-label", `Messages, ${shown} new`);
    else link?.removeAttribute("aria-label");
  }
}

function poll() {
  setInterval(() => { if (document.visibilityState === "visible") refresh(); }, POLL_MS);
}

/** Start once per page, where the navigation shows a count. */
export function enhanceLive(root) {
  if (started || !root.querySelector?.("[data-unread]")) return;
  started = true;
  if (!("EventSource" in window)) {
    poll();
    return;
  }
  // Opened a moment after the page has loaded: the page's own requests go first, and
  // a page left at once opens no connection.
  if (document.readyState === "complete") setTimeout(connect, STREAM_DELAY_MS);
  else addEventListener("load", () => setTimeout(connect, STREAM_DELAY_MS), { once: true });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh();
  });
}

function connect() {
  const source = new EventSource("/web/stream");
  let opened = false;
  let polling = false;
  source.addEventListener("open", () => { opened = true; refresh(); });
  source.addEventListener("notification", refresh);
  // A message reached one of the person's conversations: the count, and the open
  // conversation if it is that one (static/js/chat.js listens).
  source.addEventListener("conversation", (event) => {
    const open = new CustomEvent("shutter:conversation", { detail: event.data, cancelable: true });
    // Taken by the open conversation: it counts again once it has shown (and read) it.
    if (dispatchEvent(open)) refresh();
  });
  source.addEventListener("error", () => {
    // Never opened (refused, buffered away): poll. Once open, EventSource reconnects.
    if (!opened && !polling) {
      polling = true;
      source.close();
      poll();
    }
  });
}
