// New post (templates/pages/compose.html, form[data-compose]). Each chosen file is
// uploaded at once (POST /web/media, XMLHttpRequest for its progress), then its
// processing state is asked for until ready; a refused file shows the server's reason.
// Items are reordered with "Move left/right" (or by dragging), get one alt-text field
// each (pre-filled from the photo's embedded XMP/IPTC description) and a focal point
// (a click on the preview). Share may be pressed while files still process: the share
// is kept in localStorage and finished when they are ready, also after a reload. The
// draft (caption, audience, uploaded media with their alt texts) is kept in
// localStorage too and restored on return. Without scripts the form posts the files.

import { announce } from "./http.js";

const PENDING_KEY = "shutter.pendingShare";
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function store(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch { /* storage full or blocked: the page still works, without memory */ }
}

function load(key) {
  try { return JSON.parse(localStorage.getItem(key) ?? "null"); } catch { return null; }
}

async function request(method, url, body) {
  const response = await fetch(url, {
    method, body, credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
  });
  const data = await response.json().catch(() => ({}));
  return { status: response.status, data };
}

// --- the description embedded in a photo (XMP dc:description, IPTC Caption) ----------

const XMP = /<dc:description>[\s\S]*?<rdf:li[^>]*>([\s\S]*?)<\/rdf:li>/;
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** The photo's own description, read from its first 256 KB (where editors put the
 *  metadata): XMP's dc:description, else IPTC's Caption/Abstract (2:120). */
export async function embeddedDescription(file) {
  if (!file.type.startsWith("image/")) return "";
  const bytes = new Uint8Array(await file.slice(0, 262144).arrayBuffer());
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  const xmp = XMP.exec(text);
  if (xmp) return xmp[1].replace(/&(amp|lt|gt|quot|apos);/g, (_, e) => ENTITIES[e]).trim();
  for (let i = 0; i + 5 < bytes.length; i++) {
    if (bytes[i] === 0x1c && bytes[i + 1] === 0x02 && bytes[i + 2] === 0x78) {
      const length = (bytes[i + 3] << 8) | bytes[i + 4];
      return new TextDecoder().decode(bytes.subarray(i + 5, i + 5 + length)).trim();
    }
  }
  return "";
}

// --- one item: its markup ------------------------------------------------------------

let serial = 0;

function itemMarkup(item) {
  const li = document.createElement("li");
  li.className = "compose-item";
  li.draggable = true;
  const n = ++serial;
  li.innerHTML = `
    <div class="compose-preview" data-preview tabindex="0" role="group"
         aria-roledescription="focal point picker" aria-describedby="focus-hint-${n}">
      <span class="compose-focus-dot" data-focus-dot hidden></span>
    </div>
    <p class="visually-hidden" id="focus-hint-${n}">Click the preview, or use the arrow keys on it, to set the part that stays in view when the photo is cropped; Delete clears it.</p>
    <div class="compose-item-body">
      <p class="compose-state" data-state></p>
      <progress max="100" value="0" data-progress hidden></progress>
      <p class="compose-refused" role="alert" data-refused hidden></p>
      <div class="field compose-alt">
        <label for="alt-${n}" data-alt-label>Alt text</label>
        <textarea id="alt-${n}" rows="2" data-alt></textarea>
        <p class="hint compose-alt-missing" data-alt-missing>No alt text yet: describe what it shows.</p>
      </div>
      <div class="compose-item-tools">
        <button type="button" class="button button-secondary button-small" data-move="-1">Move left</button>
        <button type="button" class="button button-secondary button-small" data-move="1">Move right</button>
        <button type="button" class="button button-secondary button-small" data-remove>Remove</button>
      </div>
    </div>`;
  const preview = li.querySelector("[data-preview]");
  const media = document.createElement(item.kind === "video" ? "video" : "img");
  media.className = "compose-thumb";
  if (item.kind === "video") { media.muted = true; media.playsInline = true; media.preload = "metadata"; }
  media.alt = "";
  media.setAttribute("aria-hidden", "true");
  media.addEventListener("error", () => { media.hidden = true; }); // no broken-image icon
  if (item.src) media.src = item.src;
  preview.prepend(media);
  li.querySelector("[data-alt]").value = item.description ?? "";
  item.li = li;
  return li;
}

// --- the form ------------------------------------------------------------------------

class Composer {
  constructor(form) {
    this.form = form;
    this.max = Number(form.dataset.maxMedia) || 6;
    this.limit = Number(form.dataset.captionLimit) || 255;
    this.draftKey = form.dataset.draftKey;
    this.list = form.querySelector("[data-compose-items]");
    this.caption = form.querySelector("[data-compose-caption]");
    this.audience = form.querySelector("[data-compose-audience]");
    this.count = form.querySelector("[data-compose-count]");
    this.status = form.querySelector("[data-compose-status]");
    this.reminder = form.querySelector("[data-compose-reminder]");
    this.discard = form.querySelector("[data-compose-discard]");
    this.items = [];
    const input = form.querySelector("[data-compose-input]");
    input.removeAttribute("name"); // files go up one by one, not with Share
    input.addEventListener("change", () => { this.add([...input.files]); input.value = ""; });
    this.wireDrop(form.querySelector("[data-compose-drop]") ?? form);
    document.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (files.length) { event.preventDefault(); this.add(files); }
    });
    this.list.addEventListener("click", (event) => this.onItemClick(event));
    this.list.addEventListener("keydown", (event) => this.onPreviewKey(event));
    this.list.addEventListener("input", () => this.changed());
    this.wireDrag();
    this.caption.addEventListener("input", () => { this.changed(); this.suggest(); });
    this.audience.addEventListener("change", () => this.changed());
    this.discard.addEventListener("click", () => this.reset("Draft discarded."));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.share(); });
    this.suggester = new Suggestions(form, this.caption);
    this.restore();
    this.counter();
  }

  wireDrop(zone) {
    zone.addEventListener("dragover", (event) => {
      if (![...event.dataTransfer.types].includes("Files")) return;
      event.preventDefault();
      zone.classList.add("dropping");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dropping"));
    zone.addEventListener("drop", (event) => {
      if (!event.dataTransfer.files.length) return;
      event.preventDefault();
      zone.classList.remove("dropping");
      this.add([...event.dataTransfer.files]);
    });
  }

  wireDrag() {
    let dragged = null;
    this.list.addEventListener("dragstart", (event) => {
      dragged = this.items.find((i) => i.li === event.target.closest("li"));
      event.dataTransfer.effectAllowed = "move";
    });
    this.list.addEventListener("dragover", (event) => { if (dragged) event.preventDefault(); });
    this.list.addEventListener("drop", (event) => {
      const target = this.items.find((i) => i.li === event.target.closest("li"));
      if (!dragged || !target || target === dragged) return;
      event.preventDefault();
      event.stopPropagation();
      this.move(dragged, this.items.indexOf(target) - this.items.indexOf(dragged));
      dragged = null;
    });
    this.list.addEventListener("dragend", () => { dragged = null; });
  }

  // Files chosen, dropped or pasted: each becomes an item and starts uploading.
  add(files) {
    const room = this.max - this.items.length;
    if (files.length > room) announce(`A post has at most ${this.max} photos or videos.`);
    for (const file of files.slice(0, Math.max(room, 0))) {
      const kind = file.type.startsWith("video/") ? "video" : "image";
      const item = { file, kind, id: null, description: "", focus: null, state: "uploading",
                     src: URL.createObjectURL(file) };
      this.items.push(item);
      this.list.append(itemMarkup(item));
      this.upload(item);
      embeddedDescription(file).then((text) => {
        const field = item.li.querySelector("[data-alt]");
        if (text && !field.value) { field.value = text; this.changed(); }
      }).catch(() => {});
    }
    this.render();
  }

  upload(item) {
    const body = new FormData();
    body.append("file", item.file, item.file.name || "pasted");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/web/media");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) this.setState(item, "uploading", Math.round((100 * event.loaded) / event.total));
    });
    item.uploaded = new Promise((resolve) => {
      xhr.addEventListener("load", () => {
        let data = {};
        try { data = JSON.parse(xhr.responseText); } catch { /* an HTML error page */ }
        if (xhr.status === 200 || xhr.status === 202) {
          item.id = data.id;
          this.accept(item, data);
          this.changed();
          if (item.state === "processing") this.watch(item);
        } else {
          this.refuse(item, data.error || `The server answered ${xhr.status}`);
        }
        resolve();
      });
      xhr.addEventListener("error", () => { this.refuse(item, "The upload failed: check your connection."); resolve(); });
    });
    xhr.send(body);
  }

  accept(item, data) {
    if (data.state === "failed") return this.refuse(item, `Processing failed: ${data.error || "unknown error"}`);
    if (data.preview_url && !item.src) item.li.querySelector(".compose-thumb").src = data.preview_url;
    this.setState(item, data.url ? "ready" : "processing");
  }

  refuse(item, reason) {
    item.state = "refused";
    item.id = null;
    const box = item.li.querySelector("[data-refused]");
    const name = item.file?.name ? `${item.file.name}: ` : "";
    box.textContent = `${name}${reason}`;
    box.hidden = false;
    this.setState(item, "refused");
    this.changed();
  }

  // Ask for the server's processing state until it is ready or failed.
  async watch(item) {
    if (item.watching) return item.watching;
    item.watching = (async () => {
      for (let wait = 1000; item.state === "processing" && this.items.includes(item); wait = Math.min(wait * 1.5, 5000)) {
        await sleep(wait);
        const { status, data } = await request("GET", `/web/media/${item.id}`).catch(() => ({ status: 0, data: {} }));
        if (status === 200) this.accept(item, data);
        else if (status === 422 || status === 404) this.refuse(item, data.error || "This file is gone.");
      }
      item.watching = null;
    })();
    return item.watching;
  }

  setState(item, state, percent) {
    item.state = state;
    const label = item.li.querySelector("[data-state]");
    const bar = item.li.querySelector("[data-progress]");
    const texts = { uploading: `Uploading… ${percent ?? 0}%`, processing: "Processing on the server…", ready: "Ready", refused: "Refused" };
    label.textContent = texts[state];
    bar.hidden = state !== "uploading";
    if (percent !== undefined) bar.value = percent;
    item.li.dataset.state = state;
  }

  onItemClick(event) {
    const li = event.target.closest("li");
    const item = this.items.find((i) => i.li === li);
    if (!item) return;
    const move = event.target.closest("[data-move]");
    if (move) return this.move(item, Number(move.dataset.move), move.dataset.move);
    if (event.target.closest("[data-remove]")) return this.remove(item);
    const preview = event.target.closest("[data-preview]");
    if (preview) this.setFocus(item, event, preview);
  }

  move(item, by, keepFocus) {
    const from = this.items.indexOf(item);
    const to = Math.min(Math.max(from + by, 0), this.items.length - 1);
    if (to === from) return;
    this.items.splice(from, 1);
    this.items.splice(to, 0, item);
    this.render();
    this.changed();
    if (keepFocus) {
      const button = item.li.querySelector(`[data-move="${keepFocus}"]`);
      (button.disabled ? item.li.querySelector("[data-move]:not(:disabled)") : button)?.focus();
    }
    announce(`Moved to position ${to + 1} of ${this.items.length}.`);
  }

  remove(item) {
    const index = this.items.indexOf(item);
    this.items.splice(index, 1);
    item.li.remove();
    this.render();
    this.changed();
    const next = this.items[Math.min(index, this.items.length - 1)];
    (next?.li.querySelector("[data-remove]") ?? this.form.querySelector("[data-compose-input]")).focus();
    announce("Removed.");
  }

  // Mastodon's focal point: x from -1 (left) to 1 (right), y from -1 (bottom) to 1 (top).
  setFocus(item, event, preview) {
    const box = preview.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * 2 - 1;
    const y = 1 - ((event.clientY - box.top) / box.height) * 2;
    this.placeFocus(item, x, y);
    announce("Focal point set.");
  }

  // The same point by keyboard: arrows move it a tenth of the way (Shift: a half),
  // starting from the centre; Delete or Backspace clears it.
  onPreviewKey(event) {
    const preview = event.target.closest("[data-preview]");
    const item = preview && this.items.find((i) => i.li.contains(preview));
    if (!item) return;
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      item.focus = null;
      this.showFocus(item);
      this.changed();
      return announce("Focal point cleared.");
    }
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const step = steps[event.key];
    if (!step) return;
    event.preventDefault();
    const by = event.shiftKey ? 0.5 : 0.1;
    const [x, y] = item.focus ?? [0, 0];
    this.placeFocus(item, x + step[0] * by, y + step[1] * by);
    const [fx, fy] = item.focus;
    const across = Math.abs(fx) < 0.05 ? "centred across" : `${Math.round(Math.abs(fx) * 50)}% ${fx < 0 ? "left" : "right"} of centre`;
    const down = Math.abs(fy) < 0.05 ? "centred up and down" : `${Math.round(Math.abs(fy) * 50)}% ${fy < 0 ? "below" : "above"} centre`;
    announce(`Focal point ${across}, ${down}.`);
  }

  placeFocus(item, x, y) {
    item.focus = [Math.max(-1, Math.min(1, x)), Math.max(-1, Math.min(1, y))].map((v) => Math.round(v * 100) / 100);
    this.showFocus(item);
    this.changed();
  }

  showFocus(item) {
    const dot = item.li.querySelector("[data-focus-dot]");
    if (!item.focus) { dot.hidden = true; return; }
    dot.hidden = false;
    dot.style.left = `${((item.focus[0] + 1) / 2) * 100}%`; // CSSOM, allowed by the CSP
    dot.style.top = `${((1 - item.focus[1]) / 2) * 100}%`;
  }

  // Order, labels and reminders follow the items' order.
  render() {
    this.list.hidden = this.items.length === 0;
    const n = this.items.length;
    this.items.forEach((item, index) => {
      this.list.append(item.li);
      const what = item.kind === "video" ? "video" : "photo";
      item.li.querySelector("[data-alt-label]").textContent = `Alt text, ${what} ${index + 1} of ${n}`;
      item.li.querySelector("[data-preview]").setAttribute("aria-label", `Focal point, ${what} ${index + 1} of ${n}`);
      item.li.querySelector('[data-move="-1"]').disabled = index === 0;
      item.li.querySelector('[data-move="1"]').disabled = index === n - 1;
    });
  }

  changed() {
    let missing = false;
    for (const item of this.items) {
      item.description = item.li.querySelector("[data-alt]").value;
      const empty = !item.description.trim() && item.state !== "refused";
      item.li.querySelector("[data-alt-missing]").hidden = !empty;
      missing ||= empty;
    }
    this.reminder.hidden = !missing;
    this.counter();
    this.save();
  }

  counter() {
    const used = [...this.caption.value].length;
    const left = this.limit - used;
    this.count.textContent = `${used} / ${this.limit}`;
    this.count.classList.toggle("over", left < 0);
    if (left < 0 && !this.warned) announce(`The caption is ${-left} characters too long.`);
    this.warned = left < 0;
  }

  // --- the draft -----------------------------------------------------------------
  draft() {
    return {
      status: this.caption.value,
      visibility: this.audience.value,
      items: this.items.filter((i) => i.id).map((i) => ({ id: i.id, kind: i.kind, description: i.description, focus: i.focus })),
    };
  }

  save() {
    const draft = this.draft();
    const empty = !draft.status && !draft.items.length;
    store(this.draftKey, empty ? null : draft);
    this.discard.hidden = empty;
  }

  async restore() {
    const pending = load(PENDING_KEY);
    const draft = pending?.draftKey === this.draftKey ? pending.draft : load(this.draftKey);
    if (!draft) return;
    this.caption.value = draft.status ?? "";
    if (draft.visibility) this.audience.value = draft.visibility;
    for (const saved of draft.items ?? []) {
      const item = { ...saved, state: "processing", src: null };
      this.items.push(item);
      this.list.append(itemMarkup(item));
      this.showFocus(item);
    }
    this.render();
    this.counter();
    this.discard.hidden = false;
    this.status.textContent = "Your draft is back.";
    await Promise.all(this.items.map(async (item) => {
      const { status, data } = await request("GET", `/web/media/${item.id}`).catch(() => ({ status: 0, data: {} }));
      if (status === 200 || status === 206) {
        this.accept(item, data);
        if (data.preview_url) item.li.querySelector(".compose-thumb").src = data.preview_url;
        if (item.state === "processing") this.watch(item);
      } else this.refuse(item, data.error || "This upload is gone: choose the file again.");
    }));
    if (pending?.draftKey === this.draftKey) this.finish(pending);
  }

  reset(message) {
    for (const item of this.items) item.li.remove();
    this.items = [];
    this.caption.value = "";
    this.render();
    this.changed();
    store(this.draftKey, null);
    this.status.textContent = message;
  }

  // --- share ---------------------------------------------------------------------
  async share() {
    if (this.sharing) return;
    const live = this.items.filter((i) => i.state !== "refused");
    if (live.length < this.items.length) {
      this.status.textContent = "Remove the refused files first.";
      return;
    }
    if (!live.length) {
      this.status.textContent = "Choose at least one photo or video.";
      return this.form.querySelector("[data-compose-input]").focus();
    }
    if ([...this.caption.value].length > this.limit) {
      this.status.textContent = `The caption is longer than ${this.limit} characters.`;
      return this.caption.focus();
    }
    this.sharing = true;
    this.status.textContent = "Sharing… waiting for uploads to finish.";
    await Promise.all(this.items.map((i) => i.uploaded));
    if (this.items.some((i) => i.state === "refused" || !i.id)) {
      this.sharing = false;
      this.status.textContent = "A file was refused: remove it and share again.";
      return;
    }
    const pending = { draftKey: this.draftKey, key: crypto.randomUUID?.() ?? `${Date.now()}-${Math.random()}`, draft: this.draft() };
    store(PENDING_KEY, pending); // a reload now finishes the share
    await this.finish(pending);
  }

  async finish(pending) {
    this.sharing = true;
    this.form.setAttribute("aria-busy", "true");
    this.status.textContent = "Sharing… your post appears as soon as its files are processed.";
    await Promise.all(this.items.map((i) => this.watch(i)));
    if (this.items.some((i) => i.state === "refused")) {
      store(PENDING_KEY, null);
      this.sharing = false;
      this.form.removeAttribute("aria-busy");
      this.status.textContent = "A file could not be processed: remove it and share again.";
      return;
    }
    const body = new FormData();
    body.append("status", pending.draft.status);
    body.append("visibility", pending.draft.visibility);
    body.append("idempotency_key", pending.key);
    for (const item of this.items) {
      body.append("media_ids[]", item.id);
      body.append("descriptions[]", item.description ?? "");
      body.append("focus[]", item.focus ? item.focus.join(",") : "");
    }
    let answer;
    for (;;) {
      answer = await request("POST", "/web/posts", body).catch(() => ({ status: 0, data: {} }));
      if (answer.status !== 429) break;
      await sleep(5000); // too many requests this minute: the share waits its turn
    }
    const { status, data } = answer;
    this.form.removeAttribute("aria-busy");
    this.sharing = false;
    if (status === 200 && data.url) {
      store(PENDING_KEY, null);
      store(this.draftKey, null);
      location.assign(new URL(data.url).pathname);
      return;
    }
    if (status >= 400 && status < 500) store(PENDING_KEY, null); // refused: the draft stays
    this.status.textContent = `Not shared: ${data.error || "the server could not be reached. Your draft is kept."}`;
  }
}

// --- hashtag and mention suggestions ------------------------------------------------

class Suggestions {
  constructor(form, caption) {
    this.caption = caption;
    this.box = form.querySelector("[data-compose-suggest]");
    this.list = form.querySelector("[data-compose-suggest-list]");
    this.asked = 0;
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-value]");
      if (button) this.insert(button.dataset.value);
    });
    caption.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && !this.box.hidden) {
        event.preventDefault();
        this.list.querySelector("button")?.focus();
      } else if (event.key === "Escape") this.box.hidden = true;
    });
    this.list.addEventListener("keydown", (event) => {
      const buttons = [...this.list.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const next = at + (event.key === "ArrowDown" ? 1 : -1);
        (next < 0 ? caption : buttons[Math.min(next, buttons.length - 1)]).focus();
      } else if (event.key === "Escape") { this.box.hidden = true; caption.focus(); }
    });
  }

  word() {
    const before = this.caption.value.slice(0, this.caption.selectionStart);
    return /(?:^|\s)([@#][\p{L}\p{N}_]+)$/u.exec(before)?.[1] ?? "";
  }

  async run() {
    const word = this.word();
    const mine = ++this.asked;
    if (word.length < 2) { this.box.hidden = true; return; }
    const { status, data } = await request("GET", `/web/compose/suggest?q=${encodeURIComponent(word)}`).catch(() => ({ status: 0 }));
    if (mine !== this.asked || status !== 200 || !Array.isArray(data) || !data.length) {
      if (mine === this.asked) this.box.hidden = true;
      return;
    }
    this.list.replaceChildren(...data.map((s) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "compose-suggestion";
      button.dataset.value = s.value;
      button.textContent = s.label;
      li.append(button);
      return li;
    }));
    this.box.hidden = false;
    announce(`${data.length} suggestions: press the down arrow to choose.`);
  }

  insert(value) {
    const end = this.caption.selectionStart;
    const before = this.caption.value.slice(0, end).replace(/[@#][\p{L}\p{N}_]+$/u, value + " ");
    this.caption.value = before + this.caption.value.slice(end);
    this.caption.focus();
    this.caption.setSelectionRange(before.length, before.length);
    this.box.hidden = true;
    this.caption.dispatchEvent(new Event("input"));
  }
}

Composer.prototype.suggest = function suggest() {
  clearTimeout(this.suggestTimer);
  this.suggestTimer = setTimeout(() => this.suggester.run(), 250);
};

export function enhanceCompose(root) {
  for (const form of root.querySelectorAll("form[data-compose]")) {
    if (form.dataset.enhanced) continue;
    form.dataset.enhanced = "1";
    new Composer(form);
  }
}
