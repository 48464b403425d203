// Infinite scroll. Markup (partials/feed_page.html): a feed container [data-feed] whose
// last child is the "Load more" link [data-load-more] to the next page. Clicking it, or
// its coming near the viewport, fetches that page as a fragment and puts it in the
// link's place (its own "Load more" link included). Without scripts it is a link.

import { announce, getFragment } from "./http.js";

async function load(link, enhance) {
  if (link.getAttribute("aria-busy") === "true") return;
  link.setAttribute("aria-busy", "true");
  link.textContent = "Loading…";
  try {
    const fragment = await getFragment(link.href, "feed");
    const parent = link.parentElement;
    const added = [...fragment.children];
    link.replaceWith(fragment);
    for (const element of added) enhance(element);
    observe(parent.querySelector("[data-load-more]"), enhance);
  } catch (error) {
    link.removeAttribute("aria-busy");
    link.textContent = "Load more";
    announce(`Could not load more posts: ${error.message}`);
  }
}

let observer;

function observe(link, enhance) {
  if (!link) return;
  link.addEventListener("click", (event) => { event.preventDefault(); load(link, enhance); });
  if (!("IntersectionObserver" in window)) return;
  observer ??= new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        observer.unobserve(entry.target);
        load(entry.target, enhance);
      }
    }
  }, { rootMargin: "800px 0px" });
  observer.observe(link);
}

export function enhanceFeed(root, enhance) {
  for (const feed of root.querySelectorAll("[data-feed]")) {
    observe(feed.querySelector(":scope > [data-load-more]"), enhance);
  }
}
