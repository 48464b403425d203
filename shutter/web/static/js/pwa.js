// The installable app in the page: registers the service worker (/sw.js, whole-site
// scope), the offline page's "Try again", and the "Turn on notifications" button
// (partials/push.html): it subscribes this browser with the instance's VAPID key and
// hands the subscription to POST /web/push/subscription (this session's token), or
// unsubscribes. The button stays hidden where the browser has no Web Push.

import { announce } from "./http.js";

export function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

async function send(path, fields) {
  const response = await fetch(path, {
    method: "POST",
    body: new URLSearchParams(fields),
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `The server answered ${response.status}`);
  return data;
}

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function show(button, on) {
  button.textContent = on ? "Turn off notifications" : "Turn on notifications";
  button.dataset.on = String(on);
}

async function toggle(button) {
  const registration = await navigator.serviceWorker.ready;
  const current = await registration.pushManager.getSubscription();
  if (button.dataset.on === "true") {
    await current?.unsubscribe();
    await send("/web/push/unsubscribe", {});
    show(button, false);
    announce("Notifications are off on this device");
    return;
  }
  if ((await Notification.requestPermission()) !== "granted") {
    announce("Notifications are blocked for this site in your browser's settings");
    return;
  }
  const state = await (await fetch("/web/push", { credentials: "same-origin" })).json();
  const subscription = current ?? await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(state.server_key),
  });
  const { endpoint, keys } = subscription.toJSON();
  await send("/web/push/subscription", { endpoint, p256dh: keys.p256dh, auth: keys.auth });
  show(button, true);
  announce("Notifications are on on this device");
}

export function enhancePush(root) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
  for (const box of root.querySelectorAll("[data-push]")) {
    if (box.dataset.enhanced) continue;
    box.dataset.enhanced = "1";
    const button = box.querySelector("button");
    box.hidden = false;
    (async () => {
      const state = await (await fetch("/web/push", { credentials: "same-origin" })).json();
      const registration = await navigator.serviceWorker.ready;
      const mine = await registration.pushManager.getSubscription();
      show(button, Boolean(mine && state.endpoint === mine.endpoint));
    })().catch(() => {});
    button.addEventListener("click", () => {
      if (button.getAttribute("aria-busy") === "true") return;
      button.setAttribute("aria-busy", "true");
      toggle(button)
        .catch((error) => announce(`Could not change notifications: ${error.message}`))
        .finally(() => button.removeAttribute("aria-busy"));
    });
  }
}

export function enhanceReload(root) {
  for (const link of root.querySelectorAll("[data-reload]:not([data-enhanced])")) {
    link.dataset.enhanced = "1";
    link.addEventListener("click", (event) => { event.preventDefault(); location.reload(); });
  }
}
