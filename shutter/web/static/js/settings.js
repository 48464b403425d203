// Settings: while an archive is being made, its progress refreshes itself (the page's
// "exports" fragment, every 2 s) until it is ready to download.

import { getFragment } from "./http.js";

const EVERY_MS = 2000;

export function enhanceExports(root) {
  const box = root.querySelector?.("[data-exports]");
  if (!box || box.dataset.enhanced) return;
  box.dataset.enhanced = "true";
  const tick = async () => {
    if (!box.querySelector("[data-export-pending]")) return;
    try {
      box.replaceChildren(await getFragment("/settings", "exports"));
    } catch {
      // offline or refused: try again at the next tick
    }
    setTimeout(tick, EVERY_MS);
  };
  setTimeout(tick, EVERY_MS);
}
