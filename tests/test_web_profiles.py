"""Profiles, follow flows, search, hashtag pages and explore over HTTP, on SQLite and
PostgreSQL: the pages read what the API reads (who may see a private account's grid and
lists), the actions call the API's services, bad input is refused and changes nothing,
and user text shows literally.

The browser tests (tests/web/test_web_profile.py, test_web_search.py) drive the same
pages in Chromium.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from shutter.auth.web_sessions import SESSION_COOKIE
from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, sign_up, upload_photo
from tests.support.clients import small_png

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
HOSTILE = "<b>bold</b><img src=x onerror=alert(1)>"


async def as_web(client: httpx.AsyncClient, user: User, page: str = "/home") -> str:
    """Browse as `user` (their token in the session cookie); the page's CSRF token."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, user.token)
    shown = await client.get(page)
    found = CSRF_META.search(shown.text)
    assert found, (page, shown.status_code, shown.text[:300])
    return found.group(1)


async def web_post(
    client: httpx.AsyncClient, user: User, path: str, data: dict[str, Any], *, page: str = "/home"
) -> httpx.Response:
    csrf = await as_web(client, user, page)
    return await client.post(path, data={"csrf": csrf, **data})


async def relationship(client: httpx.AsyncClient, user: User, other: User) -> dict[str, Any]:
    answer = await client.get(
        f"/api/v1/accounts/relationships?id[]={other.id}", headers=user.headers
    )
    body: list[dict[str, Any]] = answer.json()
    return body[0]


async def test_profile_shows_header_counts_and_grid_named_by_alt_text(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    media = [await upload_photo(client, ana, description=f"Lake {i}") for i in range(2)]
    answer = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "two", "media_ids": [m["id"] for m in media]},
    )
    assert answer.status_code == 200
    await post_photo(client, ana, "one")
    await as_web(client, ben)
    page = await client.get("/@ana")
    assert page.status_code == 200
    html = page.text
    assert '<h1 class="profile-username">ana' in html
    assert "<strong>2</strong> posts" in html
    assert 'alt="Lake 0"' in html and ", 2 photos and videos" in html
    assert html.count('class="tile"') == 2
    assert ">Follow</button>" in html and 'name="follow" value="true"' in html
    assert "Edit profile" not in html and "/@ana/saved" not in html
    # Unknown people are a 404 page.
    assert (await client.get("/@nobody")).status_code == 404


async def test_follow_and_unfollow_a_public_account(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    done = await web_post(
        client, ben, f"/web/accounts/{ana.id}/follow", {"follow": "true", "next": "/@ana"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/@ana"
    assert (await relationship(client, ben, ana))["following"]
    assert ">Following</button>" in (await client.get("/@ana")).text
    # A script gets the Relationship, as the API's route gives it.
    csrf = await as_web(client, ben, "/@ana")
    undone = await client.post(
        f"/web/accounts/{ana.id}/follow",
        data={"follow": "false"},
        headers={"Accept": "application/json", "X-CSRF-Token": csrf},
    )
    assert undone.status_code == 200 and undone.json()["following"] is False


async def test_private_account_request_approved_then_posts_show(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    await post_photo(client, ana, "private life")
    locked = await web_post(
        client,
        ana,
        "/web/profile",
        {"display_name": "Ana", "note": "", "website": "", "locked": "true"},
        page="/profile/edit",
    )
    assert locked.status_code == 303 and locked.headers["location"] == "/@ana"
    await as_web(client, ben)
    hidden = (await client.get("/@ana")).text
    assert "This account is private" in hidden and 'class="tile"' not in hidden
    assert "Private account" in hidden  # the lock's name
    lists = (await client.get("/@ana/followers")).text
    assert "only its approved followers" in lists
    await web_post(client, ben, f"/web/accounts/{ana.id}/follow", {"follow": "true"})
    assert ">Requested</button>" in (await client.get("/@ana")).text
    # Ana sees the request on her page and approves it.
    await as_web(client, ana)
    own = (await client.get("/@ana")).text
    assert "Follow requests (1)" in own and "Edit profile" in own and 'href="/settings"' in own
    requests = (await client.get("/follow_requests")).text
    assert "@ben" in requests
    approved = await web_post(client, ana, f"/web/follow_requests/{ben.id}/authorize", {})
    assert approved.status_code == 303 and approved.headers["location"] == "/follow_requests"
    await as_web(client, ben)
    shown = (await client.get("/@ana")).text
    assert ">Following</button>" in shown and 'class="tile"' in shown
    assert "@ben" in (await client.get("/@ana/followers")).text


async def test_reject_request_and_remove_follower(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    cy = await sign_up(client, "cy")
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=ana.headers, data={"locked": "true"}
    )
    await follow(client, ben, ana)
    rejected = await web_post(client, ana, f"/web/follow_requests/{ben.id}/reject", {})
    assert rejected.status_code == 303
    assert not (await relationship(client, ben, ana))["requested"]
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=ana.headers, data={"locked": "false"}
    )
    await follow(client, cy, ana)
    listed = await as_web(client, ana, "/@ana/followers")
    assert listed
    page = (await client.get("/@ana/followers")).text
    assert "@cy" in page and "Remove" in page
    removed = await web_post(
        client, ana, f"/web/accounts/{cy.id}/remove_follower", {"next": "/@ana/followers"}
    )
    assert removed.status_code == 303
    assert not (await relationship(client, cy, ana))["following"]


async def test_block_mute_and_report(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    muted = await web_post(client, ben, f"/web/accounts/{ana.id}/mute", {"muted": "true"})
    assert muted.status_code == 303
    assert (await relationship(client, ben, ana))["muting"]
    assert ">Unmute</button>" in (await client.get("/@ana")).text
    await web_post(client, ben, f"/web/accounts/{ana.id}/mute", {"muted": "false"})
    assert not (await relationship(client, ben, ana))["muting"]
    report_form = (await client.get("/@ana/report")).text
    assert "Send report" in report_form
    reported = await web_post(
        client,
        ben,
        f"/web/accounts/{ana.id}/report",
        {"category": "spam", "comment": HOSTILE, "next": "/@ana/report?sent=1"},
    )
    assert reported.status_code == 303 and reported.headers["location"] == "/@ana/report?sent=1"
    assert "your report was sent" in (await client.get("/@ana/report?sent=1")).text
    bad = await web_post(client, ben, f"/web/accounts/{ana.id}/report", {"category": "nope"})
    assert bad.status_code == 422
    blocked = await web_post(client, ben, f"/web/accounts/{ana.id}/block", {"blocked": "true"})
    assert blocked.status_code == 303
    assert (await relationship(client, ben, ana))["blocking"]
    assert ">Unblock</button>" in (await client.get("/@ana")).text
    # The blocked person finds nothing of the blocker.
    await as_web(client, ana)
    assert (await client.get("/@ben")).status_code == 404


async def test_edit_profile_hostile_text_is_inert_and_a_refusal_changes_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    changed = await web_post(
        client,
        ana,
        "/web/profile",
        {"display_name": HOSTILE[:30], "note": HOSTILE, "website": "https://ana.example/"},
        page="/profile/edit",
    )
    assert changed.status_code == 303
    await as_web(client, ben)
    html = (await client.get("/@ana")).text
    assert "<b>bold</b>" not in html and "<img src=x" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert 'href="https://ana.example/"' in html and ">ana.example<" in html
    refused = await web_post(
        client,
        ana,
        "/web/profile",
        {"display_name": "Someone else", "note": "", "website": "javascript:alert(1)"},
        page="/profile/edit",
    )
    assert refused.status_code == 422 and "website must be an http(s) URL" in refused.text
    assert 'value="Someone else"' in refused.text  # the form again, as typed
    me = (await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)).json()
    assert me["display_name"] == HOSTILE[:30]  # nothing changed


async def test_avatar_upload(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    before = (await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)).json()
    csrf = await as_web(client, ana, "/profile/edit")
    answer = await client.post(
        "/web/profile",
        data={"csrf": csrf, "display_name": "Ana", "note": "", "website": ""},
        files={"avatar": ("me.png", small_png(), "image/png")},
    )
    assert answer.status_code == 303, answer.text
    after = (await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)).json()
    assert after["avatar"] != before["avatar"]
    # No file chosen: the picture stays.
    csrf = await as_web(client, ana, "/profile/edit")
    kept = await client.post(
        "/web/profile",
        data={"csrf": csrf, "display_name": "Ana", "note": "", "website": ""},
        files={"avatar": ("", b"", "application/octet-stream")},
    )
    assert kept.status_code == 303, kept.text
    again = (await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)).json()
    assert again["avatar"] == after["avatar"]


async def test_saved_tab_is_the_owners_only(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    status = await post_photo(client, ben, "saved one")
    await client.post(f"/api/v1/statuses/{status['id']}/bookmark", headers=ana.headers)
    await as_web(client, ana)
    saved = (await client.get("/@ana/saved")).text
    assert saved.count('class="tile"') == 1 and 'aria-current="page">Saved' in saved
    await as_web(client, ben)
    assert (await client.get("/@ana/saved")).status_code == 404


async def test_search_as_you_type_fragment_and_explore(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Any
) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    status = await post_photo(client, ana, "Golden hour #sunset")
    await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=ben.headers)
    await run_jobs()
    await as_web(client, ben)
    page = await client.get("/search?q=an")
    assert page.status_code == 200
    assert 'href="/@ana"' in page.text and "@ana" in page.text
    fragment = await client.get("/search?q=sun", headers={"X-Shutter-Fragment": "search"})
    assert "<html" not in fragment.text and 'href="/tags/sunset"' in fragment.text
    empty = await client.get("/search")
    assert "Explore" in empty.text
    tag = await client.get("/tags/sunset")
    assert tag.status_code == 200 and tag.text.count('class="tile"') == 1
    unknown = await client.get("/tags/neverused")
    assert unknown.status_code == 200 and "No public posts" in unknown.text
    long = await client.get("/search?q=" + "a" * 300)
    assert long.status_code == 422


async def test_pages_need_a_session(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await sign_up(client, "ana")
    for path in ("/@ana", "/@ana/followers", "/search", "/tags/x", "/profile/edit"):
        answer = await client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
