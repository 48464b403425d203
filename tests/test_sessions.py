"""An account's sessions and authorised apps (shutter/auth/sessions.py, usage.py), through
HTTP: each live token listed with its app, device, address and last use (written at most
once per interval); one, all others, all, or an app's tokens revoked at once, their
streams ended; nothing of another account's reachable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from shutter.auth import service as auth
from shutter.auth.revocation import AccessEnded, AccessWatch
from shutter.infra.context import AppContext
from shutter.notifications.streaming import READ_SCOPES
from shutter.notifications.streams import next_event
from tests.conftest import BASE_URL
from tests.support.api import User, sign_up
from tests.support.credentials import bearer, password_grant
from tests.support.feed_stores import redis_space
from tests.support.instances import Instance, token_queries

SESSIONS = "/api/v1/shutter/sessions"
APPS = "/api/v1/shutter/authorized_apps"
ME = "/api/v1/accounts/verify_credentials"
PHONE = ("203.0.113.7", "PhotoPhone/3.1 (iPhone; iOS 18.2)")
DESK = ("2001:db8::42", "DeskShutter/1.0 (X11; Linux x86_64)")

Devices = Callable[[str, str], httpx.AsyncClient]
NextEvent = Callable[..., Awaitable[object]]


@pytest.fixture
async def devices(
    app_and_ctx: tuple[object, AppContext], ctx: AppContext
) -> AsyncIterator[Devices]:
    """Clients of the test app from an address of their own, with their own User-Agent."""
    opened: list[httpx.AsyncClient] = []

    def device(ip: str, user_agent: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app_and_ctx[0], client=(ip, 4321))  # type: ignore[arg-type]
        client = httpx.AsyncClient(
            transport=transport, base_url=BASE_URL, headers={"User-Agent": user_agent}
        )
        opened.append(client)
        return client

    yield device
    for client in opened:
        await client.aclose()


async def _register(http: httpx.AsyncClient, name: str, website: str) -> dict[str, Any]:
    answer = await http.post(
        "/api/v1/apps",
        data={
            "client_name": name,
            "website": website,
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow",
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _log_in(
    http: httpx.AsyncClient, app: dict[str, Any], user: User, scope: str = "read write"
) -> str:
    answer = await password_grant(http, user.username, app=app, scope=scope)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def _sessions(http: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    answer = await http.get(SESSIONS, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    listed: list[dict[str, Any]] = answer.json()
    return listed


async def _current_id(http: httpx.AsyncClient, token: str) -> str:
    (current,) = [s for s in await _sessions(http, token) if s["current"]]
    return str(current["id"])


async def _status(http: httpx.AsyncClient, token: str) -> int:
    return (await http.get(ME, headers=bearer(token))).status_code


@contextmanager
def token_writes(ctx: AppContext) -> Iterator[list[str]]:
    """The UPDATEs of oauth_tokens while in the block (last uses, revocations)."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        if str(args[2]).startswith("UPDATE oauth_tokens"):
            seen.append(str(args[2]))

    engine = ctx.db.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_sessions_list_apps_devices_and_addresses(
    client: httpx.AsyncClient, devices: Devices
) -> None:
    ana = await sign_up(client, "ana")
    phone, desk = devices(*PHONE), devices(*DESK)
    phone_app = await _register(phone, "PhotoPhone", "https://phone.example")
    desk_app = await _register(desk, "DeskShutter", "https://desk.example/app")
    on_phone = await _log_in(phone, phone_app, ana)
    on_desk = await _log_in(desk, desk_app, ana, scope="read")
    assert await _status(desk, on_desk) == 200  # its first use is written

    listed = await _sessions(phone, on_phone)
    by_app = {s["app"]["name"]: s for s in listed}
    assert set(by_app) == {"PhotoPhone", "DeskShutter", "tests"}  # "tests": the sign-up's
    assert by_app["tests"]["issued_user_agent"].startswith("python-httpx/")
    assert [s["current"] for s in listed].count(True) == 1
    mine = by_app["PhotoPhone"]
    assert mine["current"] is True
    assert mine["app"]["website"] == "https://phone.example"
    assert mine["scopes"] == ["read", "write"]
    assert (mine["issued_ip"], mine["issued_user_agent"]) == PHONE
    assert mine["created_at"].endswith("Z")
    assert mine["last_used_at"] is None  # written after this answer, as its first use
    desk_session = by_app["DeskShutter"]
    assert desk_session["current"] is False
    assert desk_session["scopes"] == ["read"]
    assert (desk_session["issued_ip"], desk_session["issued_user_agent"]) == DESK
    assert (desk_session["last_ip"], desk_session["last_user_agent"]) == DESK
    assert desk_session["last_used_at"] >= desk_session["created_at"]
    # The sign-up's token was used by the sign-up helper's verify_credentials.
    assert by_app["tests"]["last_ip"] == "127.0.0.1"
    assert by_app["tests"]["last_used_at"] is not None
    # Now the phone's own first use shows, and the most recently used comes first.
    again = await _sessions(desk, on_desk)
    assert (again[0]["app"]["name"], again[0]["last_ip"]) == ("PhotoPhone", PHONE[0])
    assert [s["current"] for s in again] == [s["app"]["name"] == "DeskShutter" for s in again]

    apps = (await desk.get(APPS, headers=bearer(on_desk))).json()
    assert {a["name"]: a["website"] for a in apps} == {
        "PhotoPhone": "https://phone.example",
        "DeskShutter": "https://desk.example/app",
        "tests": None,
    }
    (desk_entry,) = [a for a in apps if a["name"] == "DeskShutter"]
    assert desk_entry["id"] == desk_app["id"]
    assert desk_entry["scopes"] == ["read"]
    assert desk_entry["created_at"] == desk_session["created_at"]
    assert desk_entry["last_used_at"] is not None


async def test_an_app_with_two_tokens_is_listed_once_with_both_scopes(
    client: httpx.AsyncClient, devices: Devices
) -> None:
    ana = await sign_up(client, "ana")
    phone, desk = devices(*PHONE), devices(*DESK)
    app = await _register(phone, "PhotoPhone", "https://phone.example")
    first = await _log_in(phone, app, ana, scope="read")
    await _log_in(desk, app, ana, scope="write follow")
    listed = await _sessions(phone, first)
    assert len(listed) == 3
    (entry,) = [
        a for a in (await phone.get(APPS, headers=bearer(first))).json() if a["id"] == app["id"]
    ]
    # The scopes of its sessions, the most recently used first.
    assert entry["scopes"] == ["read", "write", "follow"]
    phone_tokens = [s for s in listed if s["app"]["id"] == app["id"]]
    assert entry["created_at"] == min(s["created_at"] for s in phone_tokens)


async def test_a_long_user_agent_is_trimmed_and_control_characters_dropped(
    client: httpx.AsyncClient, devices: Devices
) -> None:
    ana = await sign_up(client, "ana")
    odd = devices("192.0.2.9", "Odd\tClient/" + "x" * 1000)
    token = await _log_in(odd, await _register(odd, "Odd", "https://odd.example"), ana)
    assert await _status(odd, token) == 200
    (mine,) = [s for s in await _sessions(odd, token) if s["current"]]
    assert mine["issued_user_agent"] == "OddClient/" + "x" * 245
    assert mine["last_user_agent"] == mine["issued_user_agent"]


async def test_last_use_is_written_once_per_interval_not_on_every_request(
    client: httpx.AsyncClient, devices: Devices, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = await sign_up(client, "ana")
    phone, desk = devices(*PHONE), devices(*DESK)
    token = await _log_in(phone, await _register(phone, "PhotoPhone", "https://p.example"), ana)
    with token_writes(ctx) as writes:
        assert await _status(phone, token) == 200  # the first use: written
        for _ in range(5):
            assert await _status(desk, token) == 200  # within the interval: not written
    assert len(writes) == 1, writes
    (seen,) = [s for s in await _sessions(phone, token) if s["current"]]
    assert (seen["last_ip"], seen["last_user_agent"]) == PHONE

    monkeypatch.setattr(ctx.settings, "token_use_interval_seconds", 0)
    with token_writes(ctx) as writes:
        assert await _status(desk, token) == 200
    assert len(writes) == 1, writes
    (now,) = [s for s in await _sessions(desk, token) if s["current"]]
    assert (now["last_ip"], now["last_user_agent"]) == DESK
    assert now["last_used_at"] > seen["last_used_at"]


async def test_a_remembered_caller_writes_its_last_use_once_per_interval(
    request: pytest.FixtureRequest, database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    """With Redis an instance remembers callers across requests: their last use must not
    look old forever (a write per request), nor be written by every request."""
    with redis_space(request, "redis") as (url, prefix):
        instance = Instance(database_url, tmp_path, redis_url=url, redis_prefix=prefix)
        async with instance as http:
            ana = await sign_up(http, "ana")  # its read wrote the token's first use
            with token_writes(instance.ctx) as writes:
                for _ in range(3):  # remembered from the second read on
                    assert (await http.get(ME, headers=ana.headers)).status_code == 200
            assert writes == []
            # The remembered caller's last use (loaded with it) grows old: the first
            # read past the interval writes, the next ones know it written.
            instance.ctx.settings.token_use_interval_seconds = 1
            await asyncio.sleep(1.1)
            with token_writes(instance.ctx) as writes, token_queries(instance) as lookups:
                for _ in range(6):
                    assert (await http.get(ME, headers=ana.headers)).status_code == 200
            assert lookups == []  # all six were served by the remembered caller
            assert len(writes) == 1, writes


async def test_a_revoked_session_remembered_by_an_instance_is_refused_at_once(
    request: pytest.FixtureRequest, database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    with redis_space(request, "redis") as (url, prefix):
        instance = Instance(database_url, tmp_path, redis_url=url, redis_prefix=prefix)
        async with instance as http:
            ana = await sign_up(http, "ana")
            app = await _register(http, "PhotoPhone", "https://p.example")
            other = await _log_in(http, app, ana)
            for _ in range(2):  # remembered from the second read on
                assert await _status(http, ana.token) == 200
            (signed_up,) = [s for s in await _sessions(http, other) if s["app"]["name"] == "tests"]
            revoked = await http.delete(f"{SESSIONS}/{signed_up['id']}", headers=bearer(other))
            assert revoked.status_code == 200
            assert await _status(http, ana.token) == 401
            assert await _status(http, other) == 200


async def test_revoking_one_session_refuses_that_token_at_once(
    client: httpx.AsyncClient, devices: Devices
) -> None:
    ana = await sign_up(client, "ana")
    phone, desk = devices(*PHONE), devices(*DESK)
    on_phone = await _log_in(phone, await _register(phone, "PhotoPhone", "https://p.example"), ana)
    on_desk = await _log_in(desk, await _register(desk, "DeskShutter", "https://d.example"), ana)
    desk_id = await _current_id(desk, on_desk)
    revoked = await phone.delete(f"{SESSIONS}/{desk_id}", headers=bearer(on_phone))
    assert (revoked.status_code, revoked.json()) == (200, {})
    assert await _status(desk, on_desk) == 401
    assert await _status(phone, on_phone) == 200
    assert await _status(client, ana.token) == 200
    assert desk_id not in {s["id"] for s in await _sessions(phone, on_phone)}
    again = await phone.delete(f"{SESSIONS}/{desk_id}", headers=bearer(on_phone))
    assert again.status_code == 404
    # One's own current session may go too.
    own = await phone.delete(
        f"{SESSIONS}/{await _current_id(phone, on_phone)}", headers=bearer(on_phone)
    )
    assert own.status_code == 200
    assert await _status(phone, on_phone) == 401


async def test_revoking_all_but_the_current_session_then_all(
    client: httpx.AsyncClient, devices: Devices
) -> None:
    ana = await sign_up(client, "ana")
    phone, desk = devices(*PHONE), devices(*DESK)
    on_phone = await _log_in(phone, await _register(phone, "PhotoPhone", "https://p.example"), ana)
    on_desk = await _log_in(desk, await _register(desk, "DeskShutter", "https://d.example"), ana)
    bob = await sign_up(client, "bob")
    ended = await phone.delete(SESSIONS, headers=bearer(on_phone))
    assert (ended.status_code, ended.json()) == (200, {})
    assert await _status(desk, on_desk) == 401
    assert await _status(client, ana.token) == 401
    assert await _status(phone, on_phone) == 200
    assert [s["current"] for s in await _sessions(phone, on_phone)] == [True]
    assert await _status(client, bob.token) == 200  # another account's are untouched

    refused = await phone.delete(f"{SESSIONS}?include_current=maybe", headers=bearer(on_phone))
    assert refused.status_code == 422
    assert await _status(phone, on_phone) == 200
    ended = await phone.delete(f"{SESSIONS}?include_current=true", headers=bearer(on_phone))
    assert ended.status_code == 200
    assert await _status(phone, on_phone) == 401
    assert await _status(client, bob.token) == 200


async def test_revoking_an_app_ends_each_of_its_tokens_and_no_others(
    client: httpx.AsyncClient, devices: Devices
) -> None:
    ana = await sign_up(client, "ana")
    phone, desk = devices(*PHONE), devices(*DESK)
    phone_app = await _register(phone, "PhotoPhone", "https://p.example")
    first, second = await _log_in(phone, phone_app, ana), await _log_in(desk, phone_app, ana)
    on_desk = await _log_in(desk, await _register(desk, "DeskShutter", "https://d.example"), ana)
    bob = await sign_up(client, "bob")
    on_bobs_phone = await _log_in(phone, phone_app, bob)
    revoked = await desk.delete(f"{APPS}/{phone_app['id']}", headers=bearer(on_desk))
    assert (revoked.status_code, revoked.json()) == (200, {})
    assert await _status(phone, first) == 401
    assert await _status(desk, second) == 401
    assert await _status(desk, on_desk) == 200
    assert await _status(phone, on_bobs_phone) == 200  # the app's tokens of others stay
    names = {a["name"] for a in (await desk.get(APPS, headers=bearer(on_desk))).json()}
    assert names == {"DeskShutter", "tests"}
    again = await desk.delete(f"{APPS}/{phone_app['id']}", headers=bearer(on_desk))
    assert again.status_code == 404


async def test_another_accounts_sessions_are_404_and_nothing_changes(
    client: httpx.AsyncClient, devices: Devices
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    phone = devices(*PHONE)
    bobs_app = await _register(phone, "BobApp", "https://b.example")
    on_bobs_phone = await _log_in(phone, bobs_app, bob)
    bobs_session = await _current_id(phone, on_bobs_phone)
    before = await _sessions(phone, on_bobs_phone)
    gone = await client.delete(f"{SESSIONS}/{bobs_session}", headers=ana.headers)
    assert gone.status_code == 404
    gone = await client.delete(f"{APPS}/{bobs_app['id']}", headers=ana.headers)
    assert gone.status_code == 404
    assert await _status(phone, on_bobs_phone) == 200
    assert await _status(client, bob.token) == 200
    after = await _sessions(phone, on_bobs_phone)
    assert [s["id"] for s in after] == [s["id"] for s in before]
    assert bobs_session not in {s["id"] for s in await _sessions(client, ana.token)}


@pytest.mark.parametrize("bad", ["123", "abc", "-1", "1.5", "18446744073709551616", "%20"])
async def test_ids_that_name_no_row_are_404(client: httpx.AsyncClient, bad: str) -> None:
    ana = await sign_up(client, "ana")
    for path in (SESSIONS, APPS):
        answer = await client.delete(f"{path}/{bad}", headers=ana.headers)
        assert answer.status_code == 404, (path, answer.text)
    assert await _status(client, ana.token) == 200


async def test_listing_needs_read_and_revoking_write_scope_of_a_user(
    client: httpx.AsyncClient, devices: Devices
) -> None:
    ana = await sign_up(client, "ana")
    phone = devices(*PHONE)
    app = await _register(phone, "PhotoPhone", "https://p.example")
    reader = await _log_in(phone, app, ana, scope="read:accounts")
    writer = await _log_in(phone, app, ana, scope="write:accounts")
    assert (await phone.get(SESSIONS, headers=bearer(reader))).status_code == 200
    assert (await phone.get(APPS, headers=bearer(writer))).status_code == 403
    assert (await phone.delete(SESSIONS, headers=bearer(reader))).status_code == 403
    assert await _status(client, ana.token) == 200
    assert (await phone.get(SESSIONS)).status_code == 401
    app_only = await phone.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read",
        },
    )
    answer = await phone.get(SESSIONS, headers=bearer(app_only.json()["access_token"]))
    assert answer.status_code == 422


@asynccontextmanager
async def _watching(ctx: AppContext, token: str) -> AsyncIterator[NextEvent]:
    """What a stream of `token` does between its events: wait for the next one, ending
    (AccessEnded) when its token is revoked."""
    async with ctx.db.read() as session:
        caller = await auth.authenticate(session, token)
    assert caller is not None
    access = AccessWatch(ctx, token, caller, READ_SCOPES)
    subscription = await ctx.events.subscribe([access.channel])

    async def wait_next(wait: float = 2.0) -> object:
        return await next_event(subscription, access, idle_after=wait)

    try:
        yield wait_next
    finally:
        await subscription.close()


async def test_a_revoked_sessions_open_stream_ends_and_the_others_stay(
    client: httpx.AsyncClient, devices: Devices, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    phone, desk = devices(*PHONE), devices(*DESK)
    app = await _register(phone, "PhotoPhone", "https://p.example")
    on_phone, on_desk = await _log_in(phone, app, ana), await _log_in(desk, app, ana)
    desk_id = await _current_id(desk, on_desk)
    async with _watching(ctx, on_desk) as desk_stream, _watching(ctx, on_phone) as phone_stream:
        revoked = await phone.delete(f"{SESSIONS}/{desk_id}", headers=bearer(on_phone))
        assert revoked.status_code == 200
        started = time.monotonic()
        with pytest.raises(AccessEnded):
            await desk_stream()
        assert time.monotonic() - started < 1.0
        assert await phone_stream(0.3) is None  # the event was not of its token
    # Revoking an app (or all sessions) ends its streams the same way.
    async with _watching(ctx, on_phone) as phone_stream:
        assert (await client.delete(f"{APPS}/{app['id']}", headers=ana.headers)).status_code == 200
        with pytest.raises(AccessEnded):
            await phone_stream()
