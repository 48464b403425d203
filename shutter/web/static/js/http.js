// Sending a page's forms from scripts: the same route and fields as without scripts,
// plus the session's CSRF token in X-CSRF-Token and Accept: application/json, so the
// route answers the API's JSON (or Mastodon's {"error": …}) instead of a redirect.

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/** POST a form's fields (a FormData taken from it, e.g. with its submitter's value);
 *  resolves to the JSON answer, or throws with the server's message. */
export async function postForm(form, body = new FormData(form)) {
  const response = await fetch(form.action, {
    method: "POST",
    body,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `The server answered ${response.status}`);
  return data;
}

/** GET a fragment of a page (see FRAGMENT_HEADER in shutter/web/pages/home.py). */
export async function getFragment(url, name) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { "X-Shutter-Fragment": name },
  });
  if (!response.ok) throw new Error(`The server answered ${response.status}`);
  const template = document.createElement("template");
  template.innerHTML = await response.text(); // a <template> runs no scripts
  return template.content;
}

/** Announce a short message to screen readers and show it briefly. */
export function announce(message) {
  let region = document.getElementById("announcer");
  if (!region) {
    region = document.createElement("p");
    region.id = "announcer";
    region.className = "toast";
    region.setAttribute("role", "status");
    document.body.append(region);
  }
  region.textContent = message;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { region.textContent = ""; }, 4000);
}
