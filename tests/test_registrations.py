"""Registrations through the API: open, approval and closed modes, invite links, the
pending state until approval, and the sign-up limit per address."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from shutter.accounts.models import Account, Credential, Invite
from shutter.accounts.service import do_create_account, registrations
from shutter.assembly import create_context
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.errors import ApiError
from shutter.infra.settings import Settings
from tests import conftest
from tests.conftest import BASE_URL
from tests.support.api import User, app_token, register_app, sign_up
from tests.support.instances import Instance
from tests.support.live import run_shutter, shutter_env
from tests.support.mail import MailServer, mail_server, mailing
from tests.support.roles import sign_up_with, staff
from tests.support.schema import assert_entity

__all__ = ["mail_server"]  # a fixture used by these tests

PENDING = {"error": "Your login is currently pending approval"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _account(ctx: AppContext, username: str) -> Account | None:
    async with ctx.db.read() as session:
        found: Account | None = await session.scalar(
            select(Account).where(Account.username_lower == username.lower())
        )
        return found


async def _invite(api: httpx.AsyncClient, user: User, **fields: int) -> dict[str, object]:
    response = await api.post("/api/v1/shutter/invites", headers=user.headers, data=fields)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def _instance(api: httpx.AsyncClient) -> tuple[dict[str, object], dict[str, object]]:
    v1, v2 = (await api.get("/api/v1/instance")).json(), (await api.get("/api/v2/instance")).json()
    assert_entity("V1Instance", v1)
    assert_entity("Instance", v2)
    return v1, v2


# --- modes ---------------------------------------------------------------------------------


async def test_open_by_default(client: httpx.AsyncClient) -> None:
    v1, v2 = await _instance(client)
    assert (v1["registrations"], v1["approval_required"], v1["invites_enabled"]) == (
        True,
        False,
        True,
    )
    assert v2["registrations"] == {
        "enabled": True,
        "approval_required": False,
        "reason_required": False,
        "message": None,
        "url": None,
    }
    ana = await sign_up(client, "ana")  # usable at once
    assert (await client.get("/api/v1/timelines/home", headers=ana.headers)).status_code == 200


async def test_approval_leaves_the_account_pending_until_approved(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    async with Instance(database_url, tmp_path, registrations="approval") as api:
        v1, v2 = await _instance(api)
        assert v1["registrations"] is True and v1["approval_required"] is True
        registration = v2["registrations"]
        assert isinstance(registration, dict)
        assert registration["approval_required"] is True
        assert registration["reason_required"] is True

        # Without a reason: refused, and nothing written (the name is still free).
        no_reason = await sign_up_with(api, "ana")
        assert no_reason.status_code == 422
        assert "reason" in no_reason.json()["details"]
        assert await _account(ctx, "ana") is None

        signed = await sign_up_with(api, "ana", reason="I take photos of bridges")
        assert signed.status_code == 200  # a token, as Mastodon answers
        token = signed.json()["access_token"]
        for path in ("/api/v1/accounts/verify_credentials", "/api/v1/timelines/home"):
            refused = await api.get(path, headers=_bearer(token))
            assert (refused.status_code, refused.json()) == (403, PENDING)
        invite = await api.post("/api/v1/shutter/invites", headers=_bearer(token))
        assert invite.status_code == 403
        account = await _account(ctx, "ana")
        assert account is not None and account.approved_at is None
        assert (await api.get(f"/api/v1/accounts/{account.id}")).status_code == 404
        assert (await api.get("/api/v1/accounts/lookup?acct=ana")).status_code == 404
        async with ctx.db.read() as session:
            credential = await session.get(Credential, account.id)
            assert credential is not None
            assert credential.signup_reason == "I take photos of bridges"

        async with ctx.db.write() as session:
            await registrations.do_approve_account(
                session, settings=ctx.settings, account_id=account.id
            )
        me = await api.get("/api/v1/accounts/verify_credentials", headers=_bearer(token))
        assert me.status_code == 200 and me.json()["username"] == "ana"
        assert (await api.get("/api/v1/accounts/lookup?acct=ana")).status_code == 200

        # Approving again (or an account that never waited) is refused.
        async with ctx.db.write() as session:
            with pytest.raises(ApiError) as again:
                await registrations.do_approve_account(
                    session, settings=ctx.settings, account_id=account.id
                )
        assert again.value.status == 403


async def test_a_rejected_account_is_gone_and_its_name_free(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    async with Instance(database_url, tmp_path, registrations="approval") as api:
        signed = await sign_up_with(api, "ana", reason="hello")
        token = signed.json()["access_token"]
        account = await _account(ctx, "ana")
        assert account is not None
        async with ctx.db.write() as session:
            await registrations.do_reject_account(
                session, settings=ctx.settings, account_id=account.id
            )
        gone = await api.get("/api/v1/accounts/verify_credentials", headers=_bearer(token))
        assert gone.status_code == 401
        assert (await sign_up_with(api, "ana", reason="again")).status_code == 200


async def test_the_person_is_mailed_the_decision(
    database_url: str, ctx: AppContext, tmp_path: Path, mail_server: MailServer
) -> None:
    async with mailing(database_url, tmp_path, mail_server, registrations="approval") as api:
        for name in ("ana", "bob"):
            signed = await sign_up_with(api.http, name, reason="hi")
            assert signed.status_code == 200, signed.text
        ana, bob = await _account(ctx, "ana"), await _account(ctx, "bob")
        assert ana is not None and bob is not None
        async with ctx.db.write() as session:
            await registrations.do_approve_account(
                session, settings=ctx.settings, account_id=ana.id
            )
            await registrations.do_reject_account(session, settings=ctx.settings, account_id=bob.id)
        await api.run_jobs()
    approved = mail_server.last_to("ana@example.com")
    assert "approved" in approved.subject and f"log in now at {BASE_URL}" in approved.text
    assert "not accepted" in mail_server.last_to("bob@example.com").subject


async def test_closed_refuses_sign_ups_without_an_invite(
    database_url: str, ctx: AppContext, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    ana = await sign_up(client, "ana")  # joined while open
    async with Instance(
        database_url, tmp_path, registrations="closed", registrations_message="Invite only"
    ) as api:
        v1, v2 = await _instance(api)
        assert (v1["registrations"], v1["invites_enabled"]) == (False, False)
        registration = v2["registrations"]
        assert isinstance(registration, dict)
        assert registration["enabled"] is False and registration["message"] == "Invite only"

        refused = await sign_up_with(api, "bob")
        assert refused.status_code == 403 and "invite" in refused.json()["error"]
        bad_code = await sign_up_with(api, "bob", invite_code="nope")
        assert bad_code.status_code == 422 and "invite_code" in bad_code.json()["details"]
        assert await _account(ctx, "bob") is None

        # Users may not invite while closed; admins and moderators may.
        by_user = await api.post("/api/v1/shutter/invites", headers=ana.headers)
        assert by_user.status_code == 403
        moderator = await staff(client, ctx, "mod", "moderator")
        invite = await _invite(api, moderator)
        joined = await sign_up_with(api, "bob", invite_code=str(invite["code"]))
        assert joined.status_code == 200
        me = await api.get(
            "/api/v1/accounts/verify_credentials", headers=_bearer(joined.json()["access_token"])
        )
        assert me.status_code == 200
        bob = await _account(ctx, "bob")
        async with ctx.db.read() as session:
            credential = await session.get(Credential, bob.id if bob else 0)
        assert credential is not None and str(credential.invite_id) == invite["id"]


async def test_an_invite_skips_approval_and_the_reason(
    database_url: str, ctx: AppContext, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    ana = await sign_up(client, "ana")
    async with Instance(database_url, tmp_path, registrations="approval") as api:
        invite = await _invite(api, ana)  # any active user invites while not closed
        joined = await sign_up_with(api, "bob", invite_code=str(invite["code"]))
        assert joined.status_code == 200
        token = joined.json()["access_token"]
        me = await api.get("/api/v1/accounts/verify_credentials", headers=_bearer(token))
        assert me.status_code == 200


# --- invites ------------------------------------------------------------------------------


async def test_an_invite_admits_at_most_max_uses(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    invite = await _invite(client, ana, max_uses=2)
    assert invite["url"] == f"http://testserver/invite/{invite['code']}"
    assert (invite["uses"], invite["max_uses"], invite["usable"]) == (0, 2, True)
    for name in ("bob", "cy"):
        assert (
            await sign_up_with(client, name, invite_code=str(invite["code"]))
        ).status_code == 200
    third = await sign_up_with(client, "dee", invite_code=str(invite["code"]))
    assert third.status_code == 422 and "invite_code" in third.json()["details"]
    assert await _account(ctx, "dee") is None
    listed = (await client.get("/api/v1/shutter/invites", headers=ana.headers)).json()
    assert [(i["id"], i["uses"], i["usable"]) for i in listed] == [(invite["id"], 2, False)]


async def test_a_failed_sign_up_gives_the_use_back(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    invite = await _invite(client, ana, max_uses=1)
    bad = await sign_up_with(client, "has space", invite_code=str(invite["code"]))
    assert bad.status_code == 422 and "username" in bad.json()["details"]
    taken = await sign_up_with(client, "ana", invite_code=str(invite["code"]))
    assert taken.status_code == 422
    async with ctx.db.read() as session:
        assert await session.scalar(select(Invite.uses)) == 0
    assert (await sign_up_with(client, "bob", invite_code=str(invite["code"]))).status_code == 200


async def test_expired_and_withdrawn_invites_admit_no_one(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    timed = await _invite(client, ana, expires_in=3600)
    assert timed["expires_at"] is not None
    async with ctx.db.write() as session:
        await session.execute(
            update(Invite)
            .where(Invite.id == int(str(timed["id"])))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    late = await sign_up_with(client, "cy", invite_code=str(timed["code"]))
    assert late.status_code == 422

    withdrawn = await _invite(client, ana)
    assert (await client.delete(f"/api/v1/shutter/invites/{withdrawn['id']}")).status_code == 401
    not_hers = await client.delete(
        f"/api/v1/shutter/invites/{withdrawn['id']}", headers=bob.headers
    )
    assert not_hers.status_code == 404
    for bad_id in ("123", "x", "-1"):
        missing = await client.delete(f"/api/v1/shutter/invites/{bad_id}", headers=ana.headers)
        assert missing.status_code == 404
    gone = await client.delete(f"/api/v1/shutter/invites/{withdrawn['id']}", headers=ana.headers)
    assert gone.status_code == 200 and gone.json()["usable"] is False
    refused = await sign_up_with(client, "cy", invite_code=str(withdrawn["code"]))
    assert refused.status_code == 422
    assert await _account(ctx, "cy") is None
    # Bob sees only his own (none).
    assert (await client.get("/api/v1/shutter/invites", headers=bob.headers)).json() == []


@pytest.mark.parametrize(
    "fields",
    [
        {"max_uses": "0"},
        {"max_uses": "10001"},
        {"max_uses": "many"},
        {"expires_in": "59"},
        {"expires_in": str(400 * 86400)},
        {"expires_in": "1.5"},
    ],
)
async def test_bad_invite_limits_are_refused(
    client: httpx.AsyncClient, fields: dict[str, str]
) -> None:
    ana = await sign_up(client, "ana")
    response = await client.post("/api/v1/shutter/invites", headers=ana.headers, data=fields)
    assert response.status_code == 422, response.text
    assert set(response.json()["details"]) <= {"max_uses", "expires_in"}
    assert (await client.get("/api/v1/shutter/invites", headers=ana.headers)).json() == []


@pytest.mark.parametrize("code", ["x" * 33, "bad code", "é", "%00", "a/b"])
async def test_odd_invite_codes_are_a_clear_422(client: httpx.AsyncClient, code: str) -> None:
    response = await sign_up_with(client, "zoe", invite_code=code)
    assert response.status_code == 422
    assert "invite_code" in response.json()["details"]


async def test_the_invite_link_opens_a_page(
    database_url: str, ctx: AppContext, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    ana = await sign_up(client, "ana")
    invite = await _invite(client, ana)
    title = "<script>alert(1)</script> Photos"
    async with Instance(database_url, tmp_path, instance_title=title) as api:
        page = await api.get(f"/invite/{invite['code']}")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["Cache-Control"] == "no-store"
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert str(invite["code"]) in page.text and "testserver" in page.text
        assert "<script>" not in page.text and "&lt;script&gt;" in page.text
        missing = await api.get("/invite/nothing-here")
        assert missing.status_code == 404 and "expired" in missing.text


# --- the sign-up limit --------------------------------------------------------------------


async def test_one_address_may_sign_up_25_times_in_five_minutes(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    defaults = Settings.model_fields
    assert defaults["rate_limit_signup_requests"].default == 25
    assert defaults["rate_limit_signup_window_seconds"].default == 300
    instance = Instance(
        database_url,
        tmp_path,
        rate_limit_signup_requests=defaults["rate_limit_signup_requests"].default,
        rate_limit_signup_window_seconds=defaults["rate_limit_signup_window_seconds"].default,
    )
    async with instance as api:
        token = await app_token(api, await register_app(api))

        async def join(client: httpx.AsyncClient, name: str) -> int:
            response = await client.post(
                "/api/v1/accounts",
                headers=_bearer(token),
                data={"username": name, "email": f"{name}@example.com", "password": "long pw!!"},
            )
            return response.status_code

        statuses = [await join(api, f"neighbour{n}") for n in range(26)]
        assert statuses == [200] * 25 + [429]
        assert await _account(ctx, "neighbour25") is None
        # Another address is not held back by this one's sign-ups.
        async with instance.client("10.0.0.9") as elsewhere:
            assert await join(elsewhere, "faraway") == 200


# --- operators ----------------------------------------------------------------------------


async def _pending_in(var_dir: Path, username: str) -> None:
    ctx = create_context(
        conftest.test_settings(var_dir, f"sqlite+aiosqlite:///{var_dir / 'shutter.db'}")
    )
    try:
        async with ctx.db.write() as session:
            await do_create_account(
                session,
                settings=ctx.settings,
                username=username,
                email=f"{username}@example.com",
                password="long enough pw",
                approved=False,
            )
    finally:
        await ctx.close()


async def _approved_at(var_dir: Path, username: str) -> list[object]:
    ctx = create_context(
        conftest.test_settings(var_dir, f"sqlite+aiosqlite:///{var_dir / 'shutter.db'}")
    )
    try:
        async with ctx.db.read() as session:
            return list(
                await session.scalars(
                    select(Account.approved_at).where(Account.username_lower == username)
                )
            )
    finally:
        await ctx.close()


async def test_operators_approve_and_reject_from_the_command_line(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = shutter_env("", var_dir)
    assert run_shutter(["migrate"], env).returncode == 0
    await _pending_in(var_dir, "ana")
    await _pending_in(var_dir, "bob")
    approved = run_shutter(["accounts", "approve", "ana"], env)
    assert approved.returncode == 0, approved.stderr
    assert "Approved @ana" in approved.stdout
    [when] = await _approved_at(var_dir, "ana")
    assert when is not None
    again = run_shutter(["accounts", "approve", "ana"], env)
    assert again.returncode == 1 and "not awaiting approval" in again.stderr
    rejected = run_shutter(["accounts", "reject", "bob"], env)
    assert rejected.returncode == 0, rejected.stderr
    assert await _approved_at(var_dir, "bob") == []
    missing = run_shutter(["accounts", "approve", "nobody"], env)
    assert missing.returncode == 1 and "Account not found" in missing.stderr


async def test_an_account_made_outside_sign_up_is_never_pending(ctx: AppContext) -> None:
    """A row written without `approved_at` (a benchmark's seed, an import) is approved:
    only a sign-up under approval makes a pending account."""
    async with ctx.db.write() as session:
        session.add(
            Account(
                id=4242,
                username="seeded",
                username_lower="seeded",
                display_name="",
                note="",
                website="",
            )
        )
    async with ctx.db.read() as session:
        seeded = await session.get(Account, 4242)
        assert seeded is not None and seeded.approved_at is not None
