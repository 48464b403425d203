"""The installable website over HTTP, on SQLite and PostgreSQL: the manifest, the service
worker script, the offline page, the share target without a worker, and Web Push for a
browser's session end to end (subscribed through the web route, a like pushed by the
jobs, decrypted by the local receiver). The browser side is tests/web/test_web_pwa.py.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urljoin

import httpx
import pytest

from shutter.infra.context import AppContext
from tests.support.api import post_photo, sign_up
from tests.support.credentials import PASSWORD
from tests.support.push_receiver import PushReceiver

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
MODULE_SCRIPT = re.compile(r'<script type="module" src="([^"]+)">')
# Static and dynamic imports of a module: `import … from "./x.js"`, `import("./x.js")`.
IMPORTED = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\./[\w-]+\.js)["']""")
# The budget for the feed page's JavaScript, compressed.
FEED_SCRIPT_BUDGET = 50 * 1024
JSON = {"Accept": "application/json"}


async def _csrf(http: httpx.AsyncClient, page: str) -> str:
    found = CSRF_META.search((await http.get(page)).text)
    assert found, page
    return found.group(1)


async def _web_session(http: httpx.AsyncClient, login: str) -> str:
    """Log in through the website's form; returns the session's CSRF token."""
    token = await _csrf(http, "/login")
    answer = await http.post(
        "/login", data={"csrf": token, "username": login, "password": PASSWORD, "next": "/home"}
    )
    assert answer.status_code == 303, answer.text
    return await _csrf(http, "/home")


@pytest.fixture
async def receiver(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[PushReceiver]:
    monkeypatch.setattr(ctx.settings, "push_allow_insecure", True)
    state = await client.get("/api/v2/instance")
    key = state.json()["configuration"]["vapid"]["public_key"]
    started = await PushReceiver(server_key=key).start()
    yield started
    await started.stop()


async def test_manifest_names_the_instance_and_links_icons_that_exist(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    page = (await client.get("/")).text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    answer = await client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert manifest["name"] == ctx.settings.instance_title
    assert manifest["start_url"] == "/home" and manifest["display"] == "standalone"
    assert manifest["theme_color"] and manifest["background_color"]
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        image = await client.get(icon["src"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert "immutable" in image.headers["cache-control"]
    share = manifest["share_target"]
    assert share["action"] == "/share-target" and share["method"] == "POST"
    assert share["enctype"] == "multipart/form-data"
    assert share["params"]["files"][0]["accept"] == ["image/*", "video/*"]


async def test_worker_script_carries_the_asset_version_and_a_shell_that_exists(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["service-worker-allowed"] == "/"
    assert answer.headers["cache-control"] == "no-cache"
    version = re.search(r'^const VERSION = "([0-9a-f]+)";', answer.text, re.M)
    shell = re.search(r"^const SHELL = (\[.*\]);", answer.text, re.M)
    assert version and shell
    urls = httpx.Response(200, content=shell.group(1)).json()
    assert "/offline" in urls and any(u.endswith("/css/app.css") for u in urls)
    for url in urls:
        assert (await client.get(url)).status_code == 200, url
        if url != "/offline":
            assert f"/static/v/{version.group(1)}/" in url


async def test_worker_and_manifest_do_not_count_against_the_rate_limit(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/sw.js")
    assert "x-ratelimit-remaining" not in answer.headers
    assert "x-ratelimit-remaining" not in (await client.get("/manifest.webmanifest")).headers


async def test_the_feed_page_ships_at_most_50_kb_of_javascript_compressed(
    client: httpx.AsyncClient,
) -> None:
    """Every module Home can load (its entry module and everything that imports,
    statically or on demand), fetched as the browser would, gzip-compressed."""
    await sign_up(client, "ana")
    await _web_session(client, "ana")
    home = await client.get("/home")
    entries = MODULE_SCRIPT.findall(home.text)
    assert entries, "Home names no module"
    seen: dict[str, int] = {}
    waiting = list(entries)
    while waiting:
        url = waiting.pop()
        if url in seen:
            continue
        answer = await client.get(url)
        assert answer.status_code == 200, url
        seen[url] = len(gzip.compress(answer.content, 9))
        waiting += [urljoin(url, found) for found in IMPORTED.findall(answer.text)]
    assert len(seen) > 5  # the imports were followed
    assert sum(seen.values()) <= FEED_SCRIPT_BUDGET, seen


async def test_offline_page_needs_no_session(client: httpx.AsyncClient) -> None:
    answer = await client.get("/offline")
    assert answer.status_code == 200
    assert "You're offline" in answer.text and 'href="/home"' in answer.text
    assert "script-src 'self'" in answer.headers["content-security-policy"]


async def test_share_target_without_a_worker_goes_to_compose_with_the_text(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/share-target",
        data={"title": "Lake", "text": "at dawn", "url": "https://example.com/x"},
        files={"media": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/compose?text=Lake+at+dawn+https%3A%2F%2Fexample.com%2Fx"
    )
    bare = await client.post("/share-target")
    assert bare.status_code == 303 and bare.headers["location"] == "/compose"


async def test_push_state_and_subscription_need_a_session_and_csrf(
    client: httpx.AsyncClient, receiver: PushReceiver
) -> None:
    assert (await client.get("/web/push")).status_code == 303
    await sign_up(client, "ana")
    csrf = await _web_session(client, "ana")
    fields = {"endpoint": receiver.endpoint(), "p256dh": receiver.p256dh, "auth": receiver.auth}
    refused = await client.post("/web/push/subscription", data=fields, headers=JSON)
    assert refused.status_code == 403, refused.text
    bad = await client.post(
        "/web/push/subscription", data={**fields, "p256dh": "nope", "csrf": csrf}, headers=JSON
    )
    assert bad.status_code == 422 and "p256dh" in bad.json()["error"]
    missing = await client.post("/web/push/subscription", data={"csrf": csrf}, headers=JSON)
    assert missing.status_code == 422
    state = (await client.get("/web/push")).json()
    assert state == {"server_key": receiver.server_key, "endpoint": None}


async def test_a_like_reaches_the_browsers_receiver_decrypted(
    client: httpx.AsyncClient,
    receiver: PushReceiver,
    run_jobs: Callable[[], Awaitable[int]],
) -> None:
    ana = await sign_up(client, "ana")
    bob = await sign_up(client, "bob")
    csrf = await _web_session(client, "ana")
    fields = {"endpoint": receiver.endpoint(), "p256dh": receiver.p256dh, "auth": receiver.auth}
    made = await client.post("/web/push/subscription", data={**fields, "csrf": csrf}, headers=JSON)
    assert made.status_code == 200, made.text
    assert made.json()["endpoint"] == receiver.endpoint() and made.json()["alerts"]["favourite"]
    assert (await client.get("/web/push")).json()["endpoint"] == receiver.endpoint()

    # The session's token is the one subscribed: the API sees it under that token only.
    ana_post = await post_photo(client, ana, "a lake")
    liked = await client.post(f"/api/v1/statuses/{ana_post['id']}/favourite", headers=bob.headers)
    assert liked.status_code == 200, liked.text
    await run_jobs()
    assert receiver.errors == []
    payloads = [d.payload for d in receiver.deliveries]
    assert [p["title"] for p in payloads] == ["bob liked your post"]
    assert payloads[0]["notification_type"] == "favourite" and payloads[0]["body"] == "a lake"
    assert payloads[0]["access_token"] == client.cookies["shutter_session"]

    # Unsubscribed (a form without scripts comes back to the notifications page).
    off = await client.post("/web/push/unsubscribe", data={"csrf": csrf})
    assert off.status_code == 303 and off.headers["location"] == "/notifications"
    assert (await client.get("/web/push")).json()["endpoint"] is None
    again = await client.post(f"/api/v1/statuses/{ana_post['id']}/unfavourite", headers=bob.headers)
    assert again.status_code == 200
    await client.post(f"/api/v1/statuses/{ana_post['id']}/favourite", headers=bob.headers)
    await run_jobs()
    assert len(receiver.deliveries) == 1
