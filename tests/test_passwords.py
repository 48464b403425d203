"""Password change (current password asked; every other token and its streams end) and
reset by a mailed, single-use, expiring link, followed through the app as a person would."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import func, select, update

from shutter.accounts.models import CredentialToken
from shutter.accounts.pages import reset_form
from shutter.auth import service as auth
from shutter.auth.revocation import AccessEnded, AccessWatch
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.events import access_channel
from shutter.infra.jobs import Job
from shutter.notifications.streaming import READ_SCOPES
from tests.support.api import sign_up
from tests.support.credentials import BROWSER, PASSWORD, bearer, form_of, log_in, password_grant
from tests.support.live import LiveServer, start_server
from tests.support.mail import MailingApi, MailServer, mail_server, mailing
from tests.support.streams import open_sse, sse_ends, sse_event

__all__ = ["mail_server"]  # a fixture used by these tests

NEW_PASSWORD = "a brand new passphrase"
OOB = "urn:ietf:wg:oauth:2.0:oob"
RESET = "/api/v1/shutter/password/reset"


@pytest.fixture
async def api(
    database_url: str, ctx: AppContext, tmp_path: Path, mail_server: MailServer
) -> AsyncIterator[MailingApi]:
    async with mailing(database_url, tmp_path, mail_server) as instance:
        yield instance


async def _works(http: httpx.AsyncClient, token: str) -> bool:
    answer = await http.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


async def _change(
    http: httpx.AsyncClient, token: str, *, current: str = PASSWORD, new: str = NEW_PASSWORD
) -> httpx.Response:
    return await http.post(
        "/api/v1/shutter/password",
        headers=bearer(token),
        data={"current_password": current, "password": new},
    )


async def _jobs(ctx: AppContext) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Job)) or 0)


# --- change ------------------------------------------------------------------------------


async def test_a_change_ends_every_other_token_and_mails_a_notice(
    api: MailingApi, mail_server: MailServer
) -> None:
    ana = await sign_up(api.http, "ana")
    laptop, phone = await log_in(api.http, "ana"), await log_in(api.http, "ana")

    changed = await _change(api.http, laptop)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {}

    assert await _works(api.http, laptop)  # the token that changed it stays logged in
    assert not await _works(api.http, phone)
    assert not await _works(api.http, ana.token)
    assert (await password_grant(api.http, "ana")).status_code == 400
    await log_in(api.http, "ana", NEW_PASSWORD)

    assert await api.run_jobs() == 1
    notice = mail_server.last_to("ana@example.com")
    assert notice.subject == "Shutter: your password was changed"
    assert "@ana" in notice.text


@pytest.mark.parametrize(
    ("fields", "status", "problem"),
    [
        (
            {"current_password": "not my password", "password": NEW_PASSWORD},
            422,
            "current_password",
        ),
        ({"current_password": PASSWORD, "password": "short"}, 422, "password"),
        ({"current_password": PASSWORD}, 422, "password"),
        ({"password": NEW_PASSWORD}, 422, "current_password"),
        ({"current_password": PASSWORD, "password": "x" * 1025}, 422, "password"),
    ],
)
async def test_a_refused_change_changes_nothing(
    api: MailingApi,
    ctx: AppContext,
    mail_server: MailServer,
    fields: dict[str, str],
    status: int,
    problem: str,
) -> None:
    await sign_up(api.http, "ana")
    laptop, phone = await log_in(api.http, "ana"), await log_in(api.http, "ana")
    refused = await api.http.post("/api/v1/shutter/password", headers=bearer(laptop), data=fields)
    assert refused.status_code == status, refused.text
    assert problem in refused.json()["error"]
    assert problem in refused.json()["details"]
    assert await _works(api.http, laptop) and await _works(api.http, phone)
    await log_in(api.http, "ana")  # the old password still
    assert (await password_grant(api.http, "ana", NEW_PASSWORD)).status_code == 400
    assert await _jobs(ctx) == 0
    assert await api.run_jobs() == 0 and mail_server.received == []


async def test_a_change_needs_a_user_token_with_write_accounts(api: MailingApi) -> None:
    await sign_up(api.http, "ana")
    app = (
        await api.http.post(
            "/api/v1/apps",
            data={
                "client_name": "ro",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": "read",
            },
        )
    ).json()
    token = await password_grant(api.http, "ana", app=app, scope="read")
    read_only = token.json()["access_token"]
    assert (await _change(api.http, read_only)).status_code == 403
    assert (await api.http.post("/api/v1/shutter/password", data={})).status_code == 401
    await log_in(api.http, "ana")


async def test_a_change_ends_the_other_tokens_streams_and_not_its_own(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """What a stream listens for (auth/revocation.py), on both databases."""
    ana = await sign_up(client, "ana")
    laptop = await log_in(client, "ana")
    watches = {}
    async with ctx.db.read() as session:
        for raw in (ana.token, laptop):
            caller = await auth.authenticate(session, raw)
            assert caller is not None
            watches[raw] = AccessWatch(ctx, raw, caller, READ_SCOPES)
    subscription = await ctx.events.subscribe([access_channel(int(ana.id))])
    try:
        assert (await _change(client, laptop)).status_code == 200
        channel, event = await asyncio.wait_for(subscription.get(), 2)
    finally:
        await subscription.close()
    assert channel == access_channel(int(ana.id))
    with pytest.raises(AccessEnded):
        watches[ana.token].revoked_by(event)
    watches[laptop].revoked_by(event)  # its own stream goes on


# --- over real HTTP: the streams themselves end ------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("password-streams")
    with start_server(f"sqlite+aiosqlite:///{folder / 'live.db'}", folder / "var") as live:
        yield live


async def test_a_change_ends_the_other_tokens_open_streams(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        ana = await sign_up(http, f"ana{uuid.uuid4().hex[:8]}")
        bo = await sign_up(http, f"bo{uuid.uuid4().hex[:8]}")
        kept, ended = await log_in(http, ana.username), await log_in(http, ana.username)
        socket_url = server.url.replace("http://", "ws://") + "/api/v1/streaming"
        async with (
            websockets.connect(f"{socket_url}?access_token={ended}&stream=user") as socket,
            open_sse(http, "/api/v1/streaming/user", bearer(ended)) as ended_lines,
            open_sse(http, "/api/v1/streaming/user", bearer(kept)) as kept_lines,
        ):
            await asyncio.sleep(0.2)  # the streams listen before the change
            started = time.monotonic()
            assert (await _change(http, kept)).status_code == 200
            assert await sse_ends(ended_lines, within=2.0)
            with pytest.raises(websockets.ConnectionClosed):
                async with asyncio.timeout(2.0):
                    while True:
                        await socket.recv()
            assert socket.close_code == 1008
            assert time.monotonic() - started < 2.0
            # The changer's own stream goes on: it hears of a new follower.
            followed = await http.post(f"/api/v1/accounts/{ana.id}/follow", headers=bo.headers)
            assert followed.status_code == 200, followed.text
            assert json.loads((await sse_event(kept_lines))["data"])["account"]["id"] == bo.id


# --- reset -------------------------------------------------------------------------------


async def _reset_link(api: MailingApi, mail_server: MailServer, email: str) -> str:
    answer = await api.http.post(RESET, data={"email": email})
    assert answer.status_code == 202, answer.text
    await api.run_jobs()
    return mail_server.last_to(email).link("/auth/password/reset")


async def test_a_reset_link_opens_a_form_that_sets_the_password_and_ends_every_token(
    api: MailingApi, mail_server: MailServer
) -> None:
    ana = await sign_up(api.http, "ana")
    laptop = await log_in(api.http, "ana")
    link = await _reset_link(api, mail_server, "ana@example.com")
    mail = mail_server.last_to("ana@example.com")
    assert mail.subject == "Shutter: reset your password"
    assert "1 hour" in mail.text

    page = await api.http.get(link, headers=BROWSER)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    action, hidden = form_of(page.text)
    assert action == "/api/v1/shutter/password/reset/confirm"

    done = await api.http.post(
        action,
        headers=BROWSER,
        data=hidden | {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
    )
    assert done.status_code == 200, done.text
    assert "new password is set" in done.text

    assert not await _works(api.http, ana.token)
    assert not await _works(api.http, laptop)
    assert (await password_grant(api.http, "ana")).status_code == 400
    await log_in(api.http, "ana", NEW_PASSWORD)
    await api.run_jobs()
    assert mail_server.last_to("ana@example.com").subject == "Shutter: your password was changed"

    # Used once: the link is gone, as a page and as a script would use it.
    assert (await api.http.get(link, headers=BROWSER)).status_code == 404
    again = await api.http.post(action, data=hidden | {"password": "yet another one"})
    assert again.status_code == 422
    assert again.json()["error"] == "Validation failed: token is invalid or has expired"
    await log_in(api.http, "ana", NEW_PASSWORD)


async def test_a_reset_from_a_script(api: MailingApi, mail_server: MailServer) -> None:
    await sign_up(api.http, "ana")
    link = await _reset_link(api, mail_server, "ana@example.com")
    token = httpx.URL(link).params["token"]
    done = await api.http.post(f"{RESET}/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 200, done.text
    assert done.json() == {}
    assert done.headers["cache-control"] == "no-store"
    await log_in(api.http, "ana", NEW_PASSWORD)


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    api: MailingApi, ctx: AppContext, mail_server: MailServer
) -> None:
    await sign_up(api.http, "ana")
    answers = []
    for email in ("ana@example.com", "nobody@example.com"):
        before = await _jobs(ctx)
        answers.append(await api.http.post(RESET, data={"email": email}))
        assert await _jobs(ctx) == before + 1  # the same work: one job, looked up later
    known, unknown = answers
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert (known.status_code, known.json()) == (202, {})
    varying = {"x-ratelimit-remaining", "x-ratelimit-reset", "date"}
    assert {k: v for k, v in known.headers.items() if k not in varying} == {
        k: v for k, v in unknown.headers.items() if k not in varying
    }
    assert await api.run_jobs() == 2
    assert [mail.envelope_to for mail in mail_server.received] == [["ana@example.com"]]


async def test_the_address_is_matched_in_any_case(api: MailingApi, mail_server: MailServer) -> None:
    await sign_up(api.http, "ana")
    await api.http.post(RESET, data={"email": "  Ana@EXAMPLE.com "})
    await api.run_jobs()
    assert [mail.envelope_to for mail in mail_server.received] == [["ana@example.com"]]


async def test_an_expired_link_is_refused_and_changes_nothing(
    api: MailingApi, ctx: AppContext, mail_server: MailServer
) -> None:
    ana = await sign_up(api.http, "ana")
    link = await _reset_link(api, mail_server, "ana@example.com")
    async with ctx.db.write() as session:
        await session.execute(update(CredentialToken).values(expires_at=utcnow()))
    page = await api.http.get(link, headers=BROWSER)
    assert page.status_code == 404
    assert "invalid or has expired" in page.text
    token = httpx.URL(link).params["token"]
    refused = await api.http.post(
        f"{RESET}/confirm", data={"token": token, "password": NEW_PASSWORD}
    )
    assert refused.status_code == 422
    assert "token" in refused.json()["details"]
    assert await _works(api.http, ana.token)
    await log_in(api.http, "ana")


async def test_a_refused_new_password_leaves_the_link_usable(
    api: MailingApi, mail_server: MailServer
) -> None:
    ana = await sign_up(api.http, "ana")
    link = await _reset_link(api, mail_server, "ana@example.com")
    action, hidden = form_of((await api.http.get(link, headers=BROWSER)).text)

    short = await api.http.post(action, data=hidden | {"password": "short"})
    assert short.status_code == 422 and "password" in short.json()["details"]
    mismatch = await api.http.post(
        action,
        headers=BROWSER,
        data=hidden | {"password": NEW_PASSWORD, "password_confirmation": "something else"},
    )
    assert mismatch.status_code == 422
    assert "password_confirmation does not match password" in mismatch.text
    assert form_of(mismatch.text) == (action, hidden)  # the form again, to try once more
    assert await _works(api.http, ana.token)
    await log_in(api.http, "ana")

    done = await api.http.post(action, data=hidden | {"password": NEW_PASSWORD})
    assert done.status_code == 200, done.text
    await log_in(api.http, "ana", NEW_PASSWORD)


async def test_only_the_newest_link_works(api: MailingApi, mail_server: MailServer) -> None:
    await sign_up(api.http, "ana")
    first = await _reset_link(api, mail_server, "ana@example.com")
    second = await _reset_link(api, mail_server, "ana@example.com")
    assert first != second
    assert (await api.http.get(first)).status_code == 404
    assert (await api.http.get(second)).status_code == 200


async def test_a_password_change_cancels_a_pending_reset_link(
    api: MailingApi, mail_server: MailServer
) -> None:
    ana = await sign_up(api.http, "ana")
    link = await _reset_link(api, mail_server, "ana@example.com")
    assert (await _change(api.http, ana.token)).status_code == 200
    assert (await api.http.get(link)).status_code == 404


async def test_reset_requests_are_limited_per_address_and_per_client_address(
    database_url: str, ctx: AppContext, tmp_path: Path, mail_server: MailServer
) -> None:
    async with mailing(
        database_url, tmp_path, mail_server, rate_limit_mail_requests=2, rate_limit_login_requests=4
    ) as api:
        for _ in range(2):
            assert (
                await api.http.post(RESET, data={"email": "ana@example.com"})
            ).status_code == 202
        spent = await api.http.post(RESET, data={"email": "ANA@example.com"})
        assert spent.status_code == 429
        assert "Retry-After" in spent.headers
        # Another address has its own budget, until this client address has asked 4 times.
        assert (await api.http.post(RESET, data={"email": "bo@example.com"})).status_code == 202
        assert (await api.http.post(RESET, data={"email": "cy@example.com"})).status_code == 429
        async with api.instance.client("10.0.0.7") as elsewhere:
            assert (
                await elsewhere.post(RESET, data={"email": "cy@example.com"})
            ).status_code == 202
        assert await _jobs(ctx) == 4  # refused requests enqueued nothing


@pytest.mark.parametrize("email", ["", "not an address", "a@b", "x" * 300 + "@example.com"])
async def test_a_malformed_address_is_a_422(api: MailingApi, ctx: AppContext, email: str) -> None:
    answer = await api.http.post(RESET, data={"email": email})
    assert answer.status_code == 422, answer.text
    assert await _jobs(ctx) == 0


def test_the_form_escapes_what_it_shows() -> None:
    page = reset_form('"><script>alert(1)</script>', error="<b>no</b>")
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;no&lt;/b&gt;" in page
