// The service worker, served as /sw.js (shutter/web/pages/pwa.py prepends VERSION, the
// static tree's digest, and SHELL, the app shell's URLs). A new static tree is a new
// worker: it keeps the new shell and drops the caches of the old one.
//
// - Pages (navigations): network first; a page that answered is kept (the last
//   PAGE_LIMIT), so Home opens offline as last seen; without network and without a kept
//   copy, the offline page.
// - Versioned static files (/static/v/…) and media (/media/…): cache first; media kept
//   are bounded (MEDIA_LIMIT, oldest out). Other /static/ files (the API's missing
//   avatar): the kept copy, refreshed in the background.
// - POST /share-target (the manifest's share target): the shared files are kept in the
//   cache SHARE under /share-target/<id>/<n> (header X-Filename), the text under
//   /share-target/<id>/text, and the person goes to /compose?shared=<id>, whose script
//   takes them out (see docs/decisions/0016-website.md, "Share target").
// - push: shows the notification; a click opens (or focuses) the notifications page.
// - Logging out (POST /logout) drops the kept pages and media: they are the person's.
/* global VERSION, SHELL */

const SHELL_CACHE = `shell-${VERSION}`;
const PAGES = "pages-v1";
const MEDIA = "media-v1";
const SHARE = "share-target";
const PAGE_LIMIT = 12;
const MEDIA_LIMIT = 300;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  const keep = new Set([SHELL_CACHE, PAGES, MEDIA, SHARE]);
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => !keep.has(n)).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

async function trim(cache, limit) {
  const keys = await cache.keys(); // insertion order: the oldest first
  await Promise.all(keys.slice(0, Math.max(0, keys.length - limit)).map((k) => cache.delete(k)));
}

async function keep(name, request, response, limit) {
  const cache = await caches.open(name);
  await cache.delete(request); // re-inserted last: the most recent stays longest
  await cache.put(request, response);
  await trim(cache, limit);
}

async function page(event) {
  const { request } = event;
  try {
    const response = await fetch(request);
    const type = response.headers.get("content-type") || "";
    if (response.ok && !response.redirected && type.startsWith("text/html")) {
      event.waitUntil(keep(PAGES, request, response.clone(), PAGE_LIMIT));
    }
    return response;
  } catch (error) {
    const kept = await caches.match(request, { cacheName: PAGES, ignoreVary: true });
    if (kept) return kept;
    const offline = await caches.match("/offline", { cacheName: SHELL_CACHE });
    if (offline) return offline;
    throw error;
  }
}

async function cacheFirst(event, name, limit) {
  const kept = await caches.match(event.request, { ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(event.request);
  if (response.ok && response.status === 200) {
    event.waitUntil(keep(name, event.request, response.clone(), limit));
  }
  return response;
}

// Unversioned files (/static/missing-avatar.png …): the kept copy at once, refreshed behind.
async function staleWhileRevalidate(event) {
  const kept = await caches.match(event.request, { ignoreVary: true });
  const fresh = fetch(event.request).then((response) => {
    if (response.ok && response.status === 200) {
      return keep(MEDIA, event.request, response.clone(), MEDIA_LIMIT).then(() => response);
    }
    return response;
  });
  if (kept) {
    event.waitUntil(fresh.catch(() => {}));
    return kept;
  }
  return fresh;
}

async function shareTarget(event) {
  const form = await event.request.formData();
  const id = Date.now().toString(36);
  const cache = await caches.open(SHARE);
  for (const key of await cache.keys()) await cache.delete(key); // one share at a time
  const files = form.getAll("media").filter((f) => f instanceof File);
  await Promise.all(files.map((file, n) => cache.put(
    `/share-target/${id}/${n}`,
    new Response(file, {
      headers: {
        "Content-Type": file.type || "application/octet-stream",
        "X-Filename": encodeURIComponent(file.name || `shared-${n + 1}`),
      },
    }),
  )));
  const text = ["title", "text", "url"].map((k) => form.get(k)).filter((v) => typeof v === "string" && v).join(" ");
  if (text) await cache.put(`/share-target/${id}/text`, new Response(text));
  return Response.redirect(`/compose?shared=${id}`, 303);
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (url.pathname === "/share-target") event.respondWith(shareTarget(event));
    else if (url.pathname === "/logout") event.waitUntil(Promise.all([caches.delete(PAGES), caches.delete(MEDIA)]));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (url.pathname.startsWith("/static/v/")) {
    event.respondWith(cacheFirst(event, SHELL_CACHE, Infinity));
  } else if (url.pathname.startsWith("/media/")) {
    event.respondWith(cacheFirst(event, MEDIA, MEDIA_LIMIT));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staleWhileRevalidate(event));
  }
});

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { title: event.data?.text() };
  }
  const title = data.title || "Shutter";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    icon: data.icon || SHELL.find((u) => u.endsWith("icons/icon-192.png")),
    badge: SHELL.find((u) => u.endsWith("icons/maskable-192.png")),
    tag: data.notification_id ? `notification-${data.notification_id}` : undefined,
    data: { url: "/notifications", id: data.notification_id },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || "/notifications", self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((w) => w.url === target);
    if (open) return open.focus();
    return self.clients.openWindow(target);
  })());
});
