// Home's side column on wide screens ([data-rail], templates/pages/home.html): whom to
// follow, asked for once the feed is shown (GET /suggestions as a fragment,
// X-Shutter-Fragment: suggestions). Phones and narrow windows never ask: the column is
// not shown there, and the feed's first paint never waits for it.

import { getFragment } from "./http.js";

const WIDE = "(min-width: 1200px)";

export function enhanceRail(root, enhance) {
  const rail = root.querySelector?.("aside[data-rail]");
  if (!rail || rail.dataset.enhanced || !matchMedia(WIDE).matches) return;
  rail.dataset.enhanced = "1";
  getFragment("/suggestions", "suggestions").then((fragment) => {
    if (!fragment.querySelector("li")) return; // nobody to suggest: the column stays away
    rail.replaceChildren(fragment);
    enhance(rail);
    rail.hidden = false;
  }).catch(() => { /* the column is extra: without it Home is whole */ });
}
