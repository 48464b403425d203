// Results as you type. Markup (templates/pages/search.html): a GET form [data-search]
// with the box `q`, and the results [data-search-results]. Each pause in typing asks
// the search page for its results alone (X-Shutter-Fragment: search) and puts them in
// place; the address follows (replaceState), so Back and reload keep the query. Without
// scripts the form is submitted as a plain GET.

import { paintBlurhashes } from "./blurhash.js";
import { announce, getFragment } from "./http.js";

const PAUSE = 250; // ms of quiet before asking

export function enhanceSearch(root) {
  for (const form of root.querySelectorAll("form[data-search]")) {
    if (form.dataset.enhanced) continue;
    form.dataset.enhanced = "1";
    const box = form.querySelector('input[name="q"]');
    const results = document.querySelector("[data-search-results]");
    if (!box || !results) continue;
    let timer;
    let asked = 0; // only the newest answer is shown
    const run = async () => {
      const q = box.value.trim();
      const url = q ? `/search?q=${encodeURIComponent(q)}` : "/search";
      const mine = ++asked;
      try {
        const fragment = await getFragment(url, "search");
        if (mine !== asked) return;
        results.replaceChildren(fragment);
        paintBlurhashes(results);
        history.replaceState(null, "", url);
      } catch (error) {
        announce(`Search failed: ${error.message}`);
      }
    };
    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(run, PAUSE);
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(timer);
      run();
    });
  }
}
