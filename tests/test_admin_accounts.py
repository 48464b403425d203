"""Mastodon's admin API for accounts, end to end: finding accounts (v1 and v2 filters,
pages), acting on them (warn, sensitive, disable, silence, suspend and their undoing),
approving sign-ups, deleting a suspended account's data, and roles. The person acted on
is told (an AccountWarning in a `moderation_warning` notification, and a mail); each
action is in the audit log; who may not act gets 403 and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from shutter.infra.context import AppContext
from shutter.infra.jobs import drain
from tests.support.api import User, sign_up
from tests.support.credentials import log_in, password_grant
from tests.support.instances import Instance
from tests.support.live import run_shutter, shutter_env
from tests.support.moderation import grouped_of, moderation_rows, notifications_of
from tests.support.roles import give_role, sign_up_with, staff
from tests.support.schema import assert_entity

Jobs = Callable[[], Awaitable[int]]


async def _admin_account(client: httpx.AsyncClient, who: User, target: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/admin/accounts/{target}", headers=who.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert_entity("AdminAccount", body)
    return body


async def _act(client: httpx.AsyncClient, who: User, target: str, **fields: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/admin/accounts/{target}/action", headers=who.headers, data=fields
    )


async def test_listing_and_filtering_accounts(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bobby")
    mod = await staff(client, ctx, "mod", "moderator")
    admin = await staff(client, ctx, "boss", "admin")
    everyone = [admin.id, mod.id, bob.id, ana.id]  # newest first

    listed = await client.get("/api/v2/admin/accounts", headers=mod.headers)
    assert listed.status_code == 200, listed.text
    assert [a["id"] for a in listed.json()] == everyone
    for body in listed.json():
        assert_entity("AdminAccount", body)
    first = listed.json()[-1]
    assert first["email"] == "ana@example.com" and first["approved"] is True
    assert first["role"]["permissions"] == "65536" and first["ip"] == "127.0.0.1"

    for query, found in (
        ({"permissions": "staff"}, [admin.id, mod.id]),
        ({"role_ids[]": "3"}, [admin.id]),
        ({"username": "bob"}, [bob.id]),
        ({"username": "%"}, []),  # a wildcard is a character like any other
        ({"email": "ana@"}, [ana.id]),
        ({"status": "active"}, everyone),
        ({"status": "suspended"}, []),
        ({"origin": "remote"}, []),
        ({"by_domain": "elsewhere.example"}, []),
        ({"ip": "127.0.0.1"}, everyone),
        ({"ip": "10.0.0.1"}, []),
    ):
        page = await client.get("/api/v2/admin/accounts", params=query, headers=mod.headers)
        assert page.status_code == 200, (query, page.text)
        assert [a["id"] for a in page.json()] == found, query

    # Pages as Mastodon's: limit, and Link headers to follow.
    page = await client.get("/api/v2/admin/accounts?limit=2", headers=mod.headers)
    assert [a["id"] for a in page.json()] == everyone[:2]
    following = await client.get(page.links["next"]["url"], headers=mod.headers)
    assert [a["id"] for a in following.json()] == everyone[2:]

    v1 = await client.get("/api/v1/admin/accounts?staff=true", headers=mod.headers)
    assert [a["id"] for a in v1.json()] == [admin.id, mod.id]
    v1_all = await client.get("/api/v1/admin/accounts?local=true", headers=mod.headers)
    assert [a["id"] for a in v1_all.json()] == everyone

    for query in ({"status": "gone"}, {"origin": "mars"}, {"limit": "many"}, {"max_id": "x"}):
        refused = await client.get("/api/v2/admin/accounts", params=query, headers=mod.headers)
        assert refused.status_code == 422, query
    assert (await client.get("/api/v1/admin/accounts/123", headers=mod.headers)).status_code == 404
    for who in (ana, await staff(client, ctx, "eve", "user")):
        for url in (
            "/api/v2/admin/accounts",
            "/api/v1/admin/accounts",
            f"/api/v1/admin/accounts/{ana.id}",
        ):
            assert (await client.get(url, headers=who.headers)).status_code == 403


async def test_actions_are_applied_logged_and_told(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    mod = await staff(client, ctx, "mod", "moderator")

    steps: list[tuple[str, str, str]] = [
        ("sensitive", "sensitized", "unsensitive"),
        ("silence", "silenced", "unsilence"),
        ("disable", "disabled", "enable"),
        ("suspend", "suspended", "unsuspend"),
    ]
    for action, flag, undo in steps:
        acted = await _act(client, mod, ana.id, type=action, text=f"because {action}")
        assert acted.status_code == 200, acted.text
        assert (await _admin_account(client, mod, ana.id))[flag] is True
        undone = await client.post(f"/api/v1/admin/accounts/{ana.id}/{undo}", headers=mod.headers)
        assert undone.status_code == 200, undone.text
        assert_entity("AdminAccount", undone.json())
        assert undone.json()[flag] is False
    warned = await _act(client, mod, ana.id, type="none", text="a word")
    assert warned.status_code == 200, warned.text

    # Ana reads every warning, newest first, with its text (she logs in anew after the
    # suspension ended her tokens).
    await run_jobs()
    ana = await _log_in(client, "ana")
    notes = await notifications_of(client, ana, "moderation_warning")
    assert [n["moderation_warning"]["action"] for n in notes] == [
        "none",
        "suspend",
        "disable",
        "silence",
        "sensitive",
    ]
    for note in notes:
        assert_entity("Notification", note)
        assert note["account"]["id"] == ana.id
        assert note["moderation_warning"]["target_account"]["id"] == ana.id
    assert notes[0]["moderation_warning"]["text"] == "a word"
    grouped = await grouped_of(client, ana, "moderation_warning")
    assert [g["moderation_warning"]["action"] for g in grouped["notification_groups"]][:2] == [
        "none",
        "suspend",
    ]
    assert_entity("GroupedNotificationsResults", grouped)

    log = await client.get("/api/v1/shutter/admin/audit_log", headers=mod.headers)
    assert [e["action"] for e in log.json()] == [
        "warn", "unsuspend", "suspend", "enable", "disable", "unsilence", "silence",
        "unsensitive", "sensitive",
    ]  # fmt: skip
    assert log.json()[0]["text"] == "a word" and log.json()[0]["target_type"] == "Account"


async def _log_in(client: httpx.AsyncClient, username: str) -> User:
    token = await log_in(client, f"{username}@example.com")
    me = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert me.status_code == 200, me.text
    return User(id=me.json()["id"], username=username, token=token)


async def test_who_may_act_on_whom(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    mod = await staff(client, ctx, "mod", "moderator")
    admin = await staff(client, ctx, "boss", "admin")
    other_admin = await staff(client, ctx, "chief", "admin")
    eve = await staff(client, ctx, "eve", "user")  # admin scopes, no role

    for who, target in (
        (mod, admin.id),
        (mod, mod.id),
        (admin, admin.id),
        (eve, ana.id),
        (ana, mod.id),
    ):
        refused = await _act(client, who, target, type="suspend")
        assert refused.status_code == 403, (who.username, target, refused.text)
        undo = await client.post(f"/api/v1/admin/accounts/{target}/unsuspend", headers=who.headers)
        assert undo.status_code == 403
    for fields in (
        {"type": "explode"},
        {"type": "none", "report_id": "x"},
        {"type": "none", "text": "x" * 5001},
    ):
        refused = await _act(client, mod, ana.id, **fields)
        assert refused.status_code == 422, (fields, refused.text)
    unknown_report = await _act(client, mod, ana.id, type="none", report_id="12345")
    assert unknown_report.status_code == 404
    assert (await _act(client, mod, "123", type="none")).status_code == 404
    assert await moderation_rows(ctx) == (0, 0, 0)
    assert (await _admin_account(client, mod, ana.id))["suspended"] is False

    # An admin may act on another admin; deleting data is an admin's, and only of a
    # suspended account.
    assert (await _act(client, admin, other_admin.id, type="silence")).status_code == 200
    assert (
        await client.delete(f"/api/v1/admin/accounts/{ana.id}", headers=admin.headers)
    ).status_code == 403
    assert (await _act(client, mod, ana.id, type="suspend")).status_code == 200
    assert (
        await client.delete(f"/api/v1/admin/accounts/{ana.id}", headers=mod.headers)
    ).status_code == 403
    deleted = await client.delete(f"/api/v1/admin/accounts/{ana.id}", headers=admin.headers)
    assert deleted.status_code == 200, deleted.text
    assert_entity("AdminAccount", deleted.json())
    assert deleted.json()["suspended"] is True
    assert (await password_grant(client, "ana@example.com")).status_code in (400, 401)
    assert (await _act(client, admin, ana.id, type="none")).status_code == 403  # deleted


async def test_an_action_resolves_the_reports_it_answers(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bob, cy = [await sign_up(client, name) for name in ("ana", "bob", "cy")]
    mod = await staff(client, ctx, "mod", "moderator")
    reports = []
    for who, target in ((bob, ana), (cy, ana), (ana, bob)):
        filed = await client.post(
            "/api/v1/reports", headers=who.headers, data={"account_id": target.id}
        )
        reports.append(filed.json()["id"])
    # A report about someone else is refused.
    wrong = await _act(client, mod, ana.id, type="none", report_id=reports[2])
    assert wrong.status_code == 422
    # A warning resolves only its report; an action every open report about the account.
    assert (await _act(client, mod, ana.id, type="none", report_id=reports[0])).status_code == 200
    open_ids = [
        r["id"] for r in (await client.get("/api/v1/admin/reports", headers=mod.headers)).json()
    ]
    assert open_ids == [reports[2], reports[1]]
    assert (await _act(client, mod, ana.id, type="silence")).status_code == 200
    open_ids = [
        r["id"] for r in (await client.get("/api/v1/admin/reports", headers=mod.headers)).json()
    ]
    assert open_ids == [reports[2]]


async def test_sign_ups_are_announced_and_approved_or_rejected(
    database_url: str, ctx: AppContext, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    mod = await staff(client, ctx, "mod", "moderator")  # before approval was asked
    async with Instance(database_url, tmp_path, registrations="approval") as api:
        for name in ("ana", "bob"):
            signed = await sign_up_with(api, name, reason="I like photos")
            assert signed.status_code == 200, signed.text
        await drain(ctx)
        notes = await notifications_of(api, mod, "admin.sign_up")
        assert [n["account"]["username"] for n in notes] == ["bob", "ana"]
        for note in notes:
            assert_entity("Notification", note)
        pending = await api.get("/api/v2/admin/accounts?status=pending", headers=mod.headers)
        assert [a["username"] for a in pending.json()] == ["bob", "ana"]
        assert pending.json()[0]["invite_request"] == "I like photos"
        ana_id, bob_id = pending.json()[1]["id"], pending.json()[0]["id"]

        approved = await api.post(f"/api/v1/admin/accounts/{ana_id}/approve", headers=mod.headers)
        assert approved.status_code == 200 and approved.json()["approved"] is True
        again = await api.post(f"/api/v1/admin/accounts/{ana_id}/approve", headers=mod.headers)
        assert again.status_code == 403
        rejected = await api.post(f"/api/v1/admin/accounts/{bob_id}/reject", headers=mod.headers)
        assert rejected.status_code == 200 and rejected.json()["username"] == "bob"
        assert (
            await api.get(f"/api/v1/admin/accounts/{bob_id}", headers=mod.headers)
        ).status_code == 404
        log = await api.get("/api/v1/shutter/admin/audit_log", headers=mod.headers)
        assert [e["action"] for e in log.json()] == ["reject", "approve"]


async def test_roles_change_through_the_api(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    admin = await staff(client, ctx, "boss", "admin")
    mod = await staff(client, ctx, "mod", "moderator")
    url = f"/api/v1/shutter/admin/accounts/{ana.id}/role"
    for who in (mod, ana):
        assert (
            await client.post(url, headers=who.headers, data={"role": "admin"})
        ).status_code == 403
    for role in ("owner", ""):
        assert (
            await client.post(url, headers=admin.headers, data={"role": role})
        ).status_code == 422
    mine = await client.post(
        f"/api/v1/shutter/admin/accounts/{admin.id}/role",
        headers=admin.headers,
        data={"role": "user"},
    )
    assert mine.status_code == 403
    assert await moderation_rows(ctx) == (0, 0, 0)

    made = await client.post(url, headers=admin.headers, data={"role": "moderator"})
    assert made.status_code == 200, made.text
    assert made.json()["role"]["name"] == "moderator"
    me = await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)
    assert me.json()["role"] == made.json()["role"]
    assert_entity("Role", me.json()["role"])
    # Her token has no admin scopes: the role alone does not open the admin API.
    assert (await client.get("/api/v2/admin/accounts", headers=ana.headers)).status_code == 403
    await give_role(ctx, mod, "user")  # and a role taken away closes it
    assert (await client.get("/api/v2/admin/accounts", headers=mod.headers)).status_code == 403
    by_id = await client.post(url, headers=admin.headers, data={"role": "-99"})
    assert by_id.json()["role"]["name"] == ""


@pytest.mark.parametrize("role", ["moderator", "admin"])
async def test_the_cli_gives_roles(
    database_url: str, ctx: AppContext, client: httpx.AsyncClient, tmp_path: Path, role: str
) -> None:
    ana = await sign_up(client, "ana")
    env = shutter_env(database_url, tmp_path)
    done = run_shutter(["accounts", "role", "ana", role], env)
    assert done.returncode == 0, done.stderr
    assert f"@ana is now {role}" in done.stdout
    me = await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)
    assert me.json()["role"]["name"] == role
    refused = run_shutter(["accounts", "role", "ana", "king"], env)
    assert refused.returncode == 1 and "role must be one of" in refused.stderr
