// The carousel of a post with several items (WAI-ARIA carousel pattern). Markup
// (partials/post.html): [data-carousel] > [data-carousel-track] > .slide…, buttons
// [data-carousel-prev]/[data-carousel-next] (hidden until this module runs) and a
// [data-carousel-position] "2 of 5". The track is a scroll-snap strip, so swiping works
// natively (and without scripts); only the current slide is exposed (the others are
// `inert`), ←/→ move while focus is in the carousel.

function setup(carousel) {
  const track = carousel.querySelector("[data-carousel-track]");
  const slides = [...track.children];
  const prev = carousel.querySelector("[data-carousel-prev]");
  const next = carousel.querySelector("[data-carousel-next]");
  const position = carousel.querySelector("[data-carousel-position]");
  let current = 0;

  function show(index) {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach((slide, i) => {
      slide.inert = i !== current;
      slide.setAttribute("aria-hidden", String(i !== current));
    });
    const focused = document.activeElement;
    prev.disabled = current === 0;
    next.disabled = current === slides.length - 1;
    // A button disabled under the keyboard's focus would drop it to the page's start.
    if (focused === next && next.disabled) prev.focus();
    if (focused === prev && prev.disabled) next.focus();
    position.textContent = `${current + 1} of ${slides.length}`;
  }

  function go(index) {
    const target = Math.max(0, Math.min(slides.length - 1, index));
    const reduce = matchMedia("(prefers-reduced-motion: reduce)").matches;
    track.scrollTo({ left: target * track.clientWidth, behavior: reduce ? "auto" : "smooth" });
    show(target);
  }

  prev.hidden = next.hidden = false;
  position.setAttribute("aria-live", "polite");
  prev.addEventListener("click", () => go(current - 1));
  next.addEventListener("click", () => go(current + 1));
  carousel.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, video")) return;
    if (event.key === "ArrowLeft") { go(current - 1); event.preventDefault(); }
    if (event.key === "ArrowRight") { go(current + 1); event.preventDefault(); }
  });
  // A swipe (or a trackpad) scrolls the strip: follow it once it settles on a slide.
  let settle;
  track.addEventListener("scroll", () => {
    clearTimeout(settle);
    settle = setTimeout(() => {
      const index = Math.round(track.scrollLeft / track.clientWidth);
      if (index !== current) show(index);
    }, 80);
  }, { passive: true });
  show(0);
}

export function enhanceCarousels(root) {
  for (const carousel of root.querySelectorAll("[data-carousel]")) {
    if (carousel.dataset.enhanced) continue;
    carousel.dataset.enhanced = "1";
    setup(carousel);
  }
}
