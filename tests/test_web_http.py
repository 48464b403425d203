"""The website over HTTP, on SQLite and PostgreSQL: web sessions are the auth service's
tokens, CSRF on every state change, the pages' headers, escaping, the rate limit.

The browser tests (tests/web/) drive the same pages in Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.accounts.service import states
from shutter.auth.service import second_factor
from shutter.infra.context import AppContext
from tests.support.api import follow, post_photo, sign_up
from tests.support.credentials import PASSWORD, bearer, password_grant
from tests.support.instances import Instance
from tests.support.two_factor import Clock, enable

StateChange = Callable[[AsyncSession, Account], Awaitable[None]]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def _csrf(http: httpx.AsyncClient, page: str = "/login") -> str:
    found = CSRF_META.search((await http.get(page)).text)
    assert found, page
    return found.group(1)


async def _web_log_in(http: httpx.AsyncClient, login: str) -> httpx.Response:
    token = await _csrf(http)
    return await http.post(
        "/login", data={"csrf": token, "username": login, "password": PASSWORD, "next": "/home"}
    )


async def test_log_in_opens_a_session_the_sessions_list_shows_and_revocation_ends(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    answer = await _web_log_in(client, "ana")
    assert answer.status_code == 303 and answer.headers["location"] == "/home"
    cookie = answer.headers["set-cookie"]
    assert "shutter_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # http://testserver; Secure on HTTPS
    assert (await client.get("/home")).status_code == 200
    sessions = (await client.get("/api/v1/shutter/sessions", headers=ana.headers)).json()
    web = [s for s in sessions if s["app"]["name"] == "Shutter website"]
    assert len(web) == 1 and web[0]["issued_user_agent"]
    ended = await client.delete(f"/api/v1/shutter/sessions/{web[0]['id']}", headers=ana.headers)
    assert ended.status_code == 200
    gone = await client.get("/home")
    assert gone.status_code == 303 and gone.headers["location"] == "/login?next=/home"


async def test_a_new_password_ends_web_sessions(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    await _web_log_in(client, "ana")
    changed = await client.post(
        "/api/v1/shutter/password",
        headers=ana.headers,
        data={"current_password": PASSWORD, "password": "another horse battery"},
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get("/home")).status_code == 303


async def test_log_out_revokes_the_session(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await sign_up(client, "ana")
    await _web_log_in(client, "ana")
    raw = client.cookies["shutter_session"]
    token = await _csrf(client, "/home")
    out = await client.post("/logout", data={"csrf": token})
    assert out.status_code == 303 and out.headers["location"] == "/"
    # The token itself is revoked, not only the cookie dropped.
    answer = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(raw))
    assert answer.status_code == 401


async def test_wrong_password_shows_the_form_again(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await sign_up(client, "ana")
    token = await _csrf(client)
    answer = await client.post(
        "/login", data={"csrf": token, "username": "<b>ana</b>", "password": "nope"}
    )
    assert answer.status_code == 401
    assert "incorrect" in answer.text and 'value="&lt;b&gt;ana&lt;/b&gt;"' in answer.text
    assert "shutter_session" not in answer.headers.get("set-cookie", "")


async def test_state_changes_need_the_csrf_token_and_the_same_origin(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: object
) -> None:
    ana = await sign_up(client, "ana")
    post = await post_photo(client, ana, "a lake")
    await _web_log_in(client, "ana")
    token = await _csrf(client, "/home")
    like = f"/web/posts/{post['id']}/like"
    json = {"Accept": "application/json"}
    refusals = [
        ({}, {"liked": "true"}),  # no token
        ({}, {"liked": "true", "csrf": "0" * 64}),  # a wrong one
        ({"Origin": "https://evil.example"}, {"liked": "true", "csrf": token}),
        ({"Sec-Fetch-Site": "cross-site"}, {"liked": "true", "csrf": token}),
        ({"Origin": "null"}, {"liked": "true", "csrf": token}),
    ]
    for headers, data in refusals:
        refused = await client.post(like, headers=json | headers, data=data)
        assert refused.status_code == 403, (headers, refused.text)
    status = await client.get(f"/api/v1/statuses/{post['id']}", headers=ana.headers)
    assert status.json()["favourited"] is False  # nothing was written
    # From the page itself: a form field, or the header the modules send.
    taken = await client.post(
        like, headers=json | {"Origin": "http://testserver"}, data={"liked": "true", "csrf": token}
    )
    assert taken.status_code == 200 and taken.json()["favourited"] is True
    again = await client.post(like, headers=json | {"X-CSRF-Token": token}, data={"liked": "false"})
    assert again.status_code == 200 and again.json()["favourited"] is False
    # Without scripts: back to the page, at the post.
    form = await client.post(like, data={"liked": "true", "csrf": token, "next": "//evil/"})
    assert form.status_code == 303 and form.headers["location"] == f"/home#post-{post['id']}"


async def test_log_in_form_is_bound_to_the_browser(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await sign_up(client, "ana")
    token = await _csrf(client)
    client.cookies.clear()  # another browser: the token is not its own
    refused = await client.post(
        "/login", data={"csrf": token, "username": "ana", "password": PASSWORD}
    )
    assert refused.status_code == 403


async def test_pages_carry_the_security_headers(client: httpx.AsyncClient, ctx: AppContext) -> None:
    for path in ("/", "/login", "/signup"):
        answer = await client.get(path)
        assert answer.status_code == 200, path
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
        assert "script-src 'self'" in policy and "object-src 'none'" in policy
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "private, no-cache"
        assert "<script>" not in answer.text and " style=" not in answer.text


async def test_home_shows_the_feed_escaped(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: object
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=bob.headers,
        data={"display_name": "<img src=x onerror=1>"},
    )
    await follow(client, ana, bob)
    await post_photo(client, bob, "<script>alert(1)</script> #tea", photos=2)
    await run_jobs()  # type: ignore[operator]
    await _web_log_in(client, "ana")
    page = (await client.get("/home")).text
    assert page.count("<article") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "&lt;img src=x onerror=1&gt;" in page and "<img src=x" not in page
    assert 'aria-label="2 of 2"' in page and 'srcset="' in page
    assert 'href="/@bob"' in page and 'aria-current="page"' in page


async def test_the_landing_page_shows_public_posts_only(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    await post_photo(client, ana, "for everyone")
    await post_photo(client, ana, "for followers", visibility="private")
    page = await client.get("/")
    assert page.status_code == 200
    assert page.text.count('class="tile"') == 1
    assert 'href="/signup"' in page.text and 'href="/login"' in page.text


async def test_pages_count_once_and_static_files_not_at_all(
    database_url: str, ctx: AppContext, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ana")
    async with Instance(database_url, tmp_path, rate_limit_requests=6) as web:
        await _web_log_in(web, "ana")  # the log-in page and form: the address's budget
        first = await web.get("/home")  # the gate learns whose session it is: charged to
        assert first.headers["x-ratelimit-remaining"] == "3"  # the address and the person
        home = await web.get("/home")
        assert home.headers["x-ratelimit-remaining"] == "4"  # the person's own: 2 of 6
        css = re.search(r'href="(/static/v/[^"]+)"', home.text)
        assert css
        for _ in range(10):
            asset = await web.get(css.group(1))
            assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        assert (await web.get("/home")).headers["x-ratelimit-remaining"] == "3"


async def test_log_in_with_two_factor_asks_for_the_code(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(second_factor, "clock", clock)
    ana = await sign_up(client, "ana")
    secret, recovery = await enable(client, ana, clock)
    answer = await _web_log_in(client, "ana")
    assert answer.status_code == 200 and "Authentication code" in answer.text
    assert "shutter_session" not in answer.headers.get("set-cookie", "")
    pending = re.search(r'name="pending" value="([^"]+)"', answer.text)
    token = CSRF_META.search(answer.text)
    assert pending and token
    fields = {"csrf": token.group(1), "pending": pending.group(1), "next": "/home"}
    wrong = await client.post("/login/code", data=fields | {"code": "000000"})
    assert wrong.status_code == 401 and "Wrong password or code." in wrong.text
    good = await client.post("/login/code", data=fields | {"code": clock.code(secret)})
    assert good.status_code == 303 and good.headers["location"] == "/home"
    assert (await client.get("/home")).status_code == 200
    # A wrong password gets the code page too, and no code lets it in.
    client.cookies.clear()
    guess = await client.post(
        "/login",
        data={"csrf": await _csrf(client), "username": "ana", "password": "wrong horse"},
    )
    assert guess.status_code == 200 and "Authentication code" in guess.text
    pending = re.search(r'name="pending" value="([^"]+)"', guess.text)
    token = CSRF_META.search(guess.text)
    assert pending and token
    refused = await client.post(
        "/login/code",
        data={"csrf": token.group(1), "pending": pending.group(1), "code": recovery[0]},
    )
    assert refused.status_code == 401


async def _set_state(ctx: AppContext, username: str, change: StateChange) -> None:
    async with ctx.db.write() as session:
        account = await session.scalar(select(Account).where(Account.username == username))
        assert account is not None
        await change(session, account)


async def test_a_disabled_account_cannot_log_in_and_its_session_shows_why(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await sign_up(client, "ana")
    assert (await _web_log_in(client, "ana")).status_code == 303
    await _set_state(ctx, "ana", states.disable)
    notice = await client.get("/home")
    assert notice.status_code == 403 and "Log-in disabled" in notice.text
    client.cookies.clear()
    refused = await _web_log_in(client, "ana")
    assert refused.status_code == 403 and "Your login is currently disabled" in refused.text
    assert "shutter_session" not in refused.headers.get("set-cookie", "")


async def test_logging_in_on_the_website_reactivates_a_deactivated_account(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await sign_up(client, "ana")
    await _set_state(ctx, "ana", states.deactivate)
    assert (await client.get("/api/v1/accounts/lookup?acct=ana")).status_code == 404
    assert (await _web_log_in(client, "ana")).status_code == 303
    assert (await client.get("/home")).status_code == 200
    assert (await client.get("/api/v1/accounts/lookup?acct=ana")).status_code == 200


async def test_a_token_with_fewer_scopes_than_the_website_opens_no_page(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """A read-only app token pasted into the session cookie must not do what the pages
    do (like, post, change settings): the pages see a visitor."""
    await sign_up(client, "ana")
    granted = await password_grant(client, "ana", PASSWORD, scope="read")
    assert granted.status_code == 200, granted.text
    client.cookies.set("shutter_session", granted.json()["access_token"])
    answer = await client.get("/home")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/home"
    assert "Log in" in (await client.get("/")).text
