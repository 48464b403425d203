"""The installable app: web app manifest, service worker, offline page, share target and
the browser's Web Push subscription.

- `/manifest.webmanifest`: name from the instance title, the committed icons
  (static/icons/, rendered from static/icon.svg with pyvips), standalone, a share target.
- `/sw.js`: static/js/sw.js with the asset version and the app shell's URLs prepended,
  served from the root so its scope is the whole site. A new static tree changes the
  script's bytes, so browsers install the new worker, which drops the old caches.
- `/offline`: what the worker answers for a page never visited while offline.
- `POST /share-target`: the manifest's share target. The worker answers it itself
  (static/js/sw.js keeps the files in the Cache API and redirects to
  `/compose?shared=<id>`); this route is only reached without a worker and sends the
  person to Compose with the shared text.
- `/web/push`, `POST /web/push/subscription`, `POST /web/push/unsubscribe`: the browser
  subscribes its own web session's token through the notifications service
  (notifications/service/push.py), exactly as an app does through
  /api/v1/push/subscription; deliveries are the same jobs.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import urlencode

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError
from shutter.infra.http import json_response
from shutter.infra.params import params
from shutter.notifications import webpush
from shutter.notifications.service import push
from shutter.web.assets import STATIC_DIR, asset_url, static_version
from shutter.web.forms import CsrfForm
from shutter.web.routing import done, web_router
from shutter.web.session import Browsing, SignedIn, SignedInPosted
from shutter.web.templating import render

router = web_router()

THEME = "#e1306c"
BACKGROUND = "#ffffff"
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/maskable-192.png", "192x192", "maskable"),
    ("icons/maskable-512.png", "512x512", "maskable"),
)
# What a browser pushes for a web session: everything a person sees on the
# notifications page (admin alerts only reach moderators anyway).
WEB_ALERTS = {name: True for name in push.ALERTS}
NO_STORE = {"Cache-Control": "no-cache"}


def manifest(title: str, description: str) -> dict[str, Any]:
    return {
        "name": title,
        "short_name": title[:12],
        "description": description,
        "id": "/home",
        "start_url": "/home",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "icons": [
            {"src": asset_url(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
        "share_target": {
            "action": "/share-target",
            "method": "POST",
            "enctype": "multipart/form-data",
            "params": {
                "title": "title",
                "text": "text",
                "url": "url",
                "files": [{"name": "media", "accept": ["image/*", "video/*"]}],
            },
        },
    }


@router.get("/manifest.webmanifest")
async def web_manifest(ctx: Ctx) -> Response:
    settings = ctx.settings
    body = manifest(settings.instance_title, settings.instance_description or "")
    return Response(
        json.dumps(body),
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


def shell_urls() -> list[str]:
    """What the worker keeps on install: styles, every module, icons, the offline page."""
    files = ["css/app.css", "icon.svg", *(path for path, _, _ in ICONS)]
    files += sorted(f"js/{p.name}" for p in (STATIC_DIR / "js").glob("*.js") if p.name != "sw.js")
    return [asset_url(f) for f in files] + ["/offline"]


@cache
def worker_script() -> str:
    prelude = (
        f"const VERSION = {json.dumps(static_version())};\n"
        f"const SHELL = {json.dumps(shell_urls())};\n"
    )
    return prelude + (STATIC_DIR / "js" / "sw.js").read_text()


@router.get("/sw.js")
async def service_worker() -> Response:
    # Revalidated on every update check: the version inside is what changes.
    return Response(
        worker_script(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/offline")
async def offline(request: Request, web: Browsing) -> Response:
    return render(request, web, "pages/offline.html", nav=None)


class ShareForm(CsrfForm):
    title: str | None = Field(None, max_length=1000)
    text: str | None = Field(None, max_length=5000)
    url: str | None = Field(None, max_length=2000)


@router.post("/share-target")
async def share_target(request: Request, form: ShareForm = params(ShareForm)) -> Response:
    # Only reached without a service worker (it answers this itself). It changes nothing,
    # so it needs no CSRF token (the phone's share sheet has none to send).
    text = " ".join(v for v in (form.title, form.text, form.url) if v)
    return done(request, "/compose" + (f"?{urlencode({'text': text[:2000]})}" if text else ""))


# --- Web Push for this browser ----------------------------------------------------------------


class PushForm(CsrfForm):
    endpoint: str = Field(max_length=2000)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=200)


@router.get("/web/push")
async def push_state(ctx: Ctx, session: ReadSession, web: SignedIn) -> Response:
    """The VAPID key the browser subscribes with and this session's endpoint, if any."""
    assert web.token_id is not None
    try:
        endpoint: str | None = (await push.subscription_of(session, token_id=web.token_id)).endpoint
    except ApiError:
        endpoint = None
    key = webpush.vapid_key(ctx.settings).public_key
    return json_response({"server_key": key, "endpoint": endpoint}, headers=NO_STORE)


@router.post("/web/push/subscription")
async def subscribe(
    request: Request,
    ctx: Ctx,
    form: PushForm = params(PushForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None and web.token_id is not None and web.raw_token is not None
    found = await push.do_subscribe(
        session,
        ctx.settings,
        token_id=web.token_id,
        account_id=web.account.id,
        raw_token=web.raw_token,
        endpoint=form.endpoint,
        keys=push.Keys(form.p256dh, form.auth),
        alerts=WEB_ALERTS,
    )
    return done(request, "/notifications", push.subscription_json(found, ctx.settings))


@router.post("/web/push/unsubscribe")
async def unsubscribe(
    request: Request,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.token_id is not None
    await push.do_unsubscribe(session, token_id=web.token_id)
    return done(request, "/notifications", {})
