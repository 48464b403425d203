// The share target's hand-over into Compose. Photos shared from a phone's gallery are
// POSTed to /share-target (the manifest's share_target); the service worker (sw.js)
// keeps them in the Cache API, cache "share-target", as /share-target/<id>/<n> (the
// file's type in Content-Type, its name URI-encoded in X-Filename) and the shared text
// as /share-target/<id>/text, then opens /compose?shared=<id>. Here, on Compose, the
// files are given to the form's file input (as if chosen; compose.js takes them from its
// "change" event), the text becomes the caption when that is empty, and the kept copies
// are deleted.

const CACHE = "share-target";

async function taken(id) {
  const cache = await caches.open(CACHE);
  const prefix = `${location.origin}/share-target/${id}/`;
  const files = [];
  let text = "";
  for (const request of await cache.keys()) {
    if (!request.url.startsWith(prefix)) continue;
    const response = await cache.match(request);
    const name = request.url.slice(prefix.length);
    if (name === "text") text = await response.text();
    else {
      const blob = await response.blob();
      const filename = decodeURIComponent(response.headers.get("X-Filename") || `shared-${name}`);
      files[Number(name)] = new File([blob], filename, { type: blob.type });
    }
    await cache.delete(request);
  }
  return { files: files.filter(Boolean), text };
}

async function enhanced(form) {
  // compose.js is imported on demand; its Composer listens once the form is marked.
  for (let i = 0; i < 100 && !form.dataset.enhanced; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 0));
}

export function enhanceShared(root) {
  const id = new URLSearchParams(location.search).get("shared");
  if (!id || !("caches" in window)) return;
  const form = root.querySelector?.("form[data-compose]:not([data-shared])");
  if (!form) return;
  form.dataset.shared = "1";
  (async () => {
    const { files, text } = await taken(id);
    await enhanced(form);
    const caption = form.querySelector("[data-compose-caption]");
    if (text && caption && !caption.value) {
      caption.value = text;
      caption.dispatchEvent(new Event("input", { bubbles: true }));
    }
    const input = form.querySelector("[data-compose-input]");
    if (files.length && input) {
      const chosen = new DataTransfer();
      for (const file of files) chosen.items.add(file);
      input.files = chosen.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    const url = new URL(location.href);
    url.searchParams.delete("shared");
    history.replaceState(history.state, "", url);
  })().catch(() => {});
}
