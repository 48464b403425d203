// Home keeps its place and does not jump (templates/pages/home.html, [data-home]):
// - Going back to Home puts back the pages loaded and the scroll position, from
//   sessionStorage (saved when leaving the page; browsers without a back/forward cache
//   would otherwise start again at the top with one page).
// - An "N new posts" pill ([data-new-posts]) instead of new posts pushing the feed down:
//   GET /web/home/new?since_id=<top post> once a minute while the page is visible (and
//   when it becomes visible); pressing it opens Home from the top.
// - The read position: the top post seen is saved as the Mastodon marker `home`
//   (POST /web/markers/home), so next time "You're all caught up" marks where this visit
//   began.

// One saved place per address (/home, /home?limit=…).
const KEY = `shutter.home:${location.search}`;
const MAX_AGE = 30 * 60 * 1000;
const POLL = 60 * 1000;
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

function navigationType() {
  return performance.getEntriesByType?.("navigation")[0]?.type ?? "navigate";
}

function save(feed) {
  const copy = feed.cloneNode(true);
  // What the modules mark as done must be done again on the restored copy.
  for (const element of copy.querySelectorAll("[data-enhanced], [data-painted], [data-double-tap], [aria-busy]")) {
    for (const name of ["data-enhanced", "data-painted", "data-double-tap", "aria-busy"]) element.removeAttribute(name);
  }
  const more = copy.querySelector("[data-load-more]");
  if (more) more.textContent = "Load more";
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ html: copy.innerHTML, y: scrollY, at: Date.now() }));
  } catch { /* full or blocked: going back starts at the top, as without scripts */ }
}

function restore(feed, enhance, enhanceFeed) {
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(KEY) ?? "null"); } catch { /* none */ }
  if (!saved || Date.now() - saved.at > MAX_AGE) return;
  feed.innerHTML = saved.html; // this page's own markup, saved by this page
  enhance(feed);
  enhanceFeed(feed.parentElement, enhance);
  requestAnimationFrame(() => scrollTo(0, saved.y));
}

function pollNewPosts(feed, pill) {
  const top = feed.dataset.top;
  if (!top || !pill) return;
  let busy = false;
  const ask = async () => {
    if (busy || document.visibilityState !== "visible") return;
    busy = true;
    try {
      const response = await fetch(`/web/home/new?since_id=${encodeURIComponent(top)}`, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      const { count } = await response.json();
      if (count > 0) {
        pill.textContent = `${count >= 40 ? "40+" : count} new ${count === 1 ? "post" : "posts"}`;
        pill.hidden = false;
      }
    } catch { /* offline: try again later */ } finally { busy = false; }
  };
  setInterval(ask, POLL);
  document.addEventListener("visibilitychange", ask);
  pill.addEventListener("click", () => {
    try { sessionStorage.removeItem(KEY); } catch { /* nothing kept */ }
    scrollTo(0, 0);
    location.assign("/home");
  });
}

function markRead(feed) {
  const top = feed.dataset.top;
  if (!top) return;
  const last = feed.dataset.lastRead;
  if (last && BigInt(last) >= BigInt(top)) return;
  fetch("/web/markers/home", {
    method: "POST",
    body: new URLSearchParams({ last_read_id: top }),
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
  }).catch(() => {});
}

export function enhanceHome(root, enhance, enhanceFeed) {
  const feed = root.querySelector("[data-feed][data-home]:not([data-home-enhanced])");
  if (!feed) return;
  feed.dataset.homeEnhanced = "1";
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  if (navigationType() === "back_forward") restore(feed, enhance, enhanceFeed);
  else try { sessionStorage.removeItem(KEY); } catch { /* nothing kept */ }
  addEventListener("pagehide", () => save(feed));
  pollNewPosts(feed, root.querySelector("[data-new-posts]"));
  markRead(feed);
}
