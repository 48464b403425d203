"""Reports end to end: filed by anyone about an account and its posts, seen, assigned,
recategorised, resolved and reopened by moderators, who are notified; the reporter is
mailed the outcome. Bad reports are refused and write nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from shutter.infra.context import AppContext
from tests.support.api import User, post_photo, sign_up
from tests.support.mail import MailServer, mail_server, mailing
from tests.support.moderation import grouped_of, moderation_rows, notifications_of
from tests.support.roles import give_role, staff
from tests.support.schema import assert_entity

__all__ = ["mail_server"]  # a fixture used by these tests

Jobs = Callable[[], Awaitable[int]]


async def _report(client: httpx.AsyncClient, who: User, **fields: object) -> httpx.Response:
    return await client.post("/api/v1/reports", headers=who.headers, json=fields)


async def _rule(client: httpx.AsyncClient, admin: User, text: str) -> str:
    made = await client.post(
        "/api/v1/shutter/admin/rules", headers=admin.headers, data={"text": text}
    )
    assert made.status_code == 200, made.text
    rule_id: str = made.json()["id"]
    return rule_id


async def test_a_report_reaches_moderators_who_handle_it(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    mod = await staff(client, ctx, "mod", "moderator")
    admin = await staff(client, ctx, "boss", "admin")
    rule = await _rule(client, admin, "No spam")
    post = await post_photo(client, ana, "buy my stuff")

    filed = await _report(
        client, bob, account_id=ana.id, status_ids=[post["id"]], comment="spam", rule_ids=[rule]
    )
    assert filed.status_code == 200, filed.text
    report = filed.json()
    assert_entity("Report", report)
    assert report["category"] == "violation"  # rules named: a violation of them
    assert report["status_ids"] == [post["id"]] and report["rule_ids"] == [rule]
    assert report["target_account"]["id"] == ana.id and report["action_taken"] is False

    # Every moderator hears of it, with the report; the reported account does not.
    await run_jobs()
    for who in (mod, admin):
        [note] = await notifications_of(client, who, "admin.report")
        assert_entity("Notification", note)
        assert note["account"]["id"] == bob.id and note["report"]["id"] == report["id"]
        grouped = await grouped_of(client, who, "admin.report")
        [group] = grouped["notification_groups"]
        assert group["type"] == "admin.report" and group["report"]["id"] == report["id"]
    assert await notifications_of(client, ana, "admin.report") == []

    listed = await client.get("/api/v1/admin/reports", headers=mod.headers)
    assert listed.status_code == 200, listed.text
    [entry] = listed.json()
    assert_entity("AdminReport", entry)
    assert entry["account"]["id"] == bob.id and entry["target_account"]["id"] == ana.id
    assert [s["id"] for s in entry["statuses"]] == [post["id"]]
    assert [r["text"] for r in entry["rules"]] == ["No spam"]
    for query, found in (
        ({"target_account_id": ana.id}, [report["id"]]),
        ({"account_id": bob.id}, [report["id"]]),
        ({"account_id": ana.id}, []),
        ({"resolved": "true"}, []),
    ):
        page = await client.get("/api/v1/admin/reports", params=query, headers=mod.headers)
        assert [r["id"] for r in page.json()] == found, query

    base = f"/api/v1/admin/reports/{report['id']}"
    assigned = await client.post(f"{base}/assign_to_self", headers=mod.headers)
    assert assigned.status_code == 200 and assigned.json()["assigned_account"]["id"] == mod.id
    unassigned = await client.post(f"{base}/unassign", headers=mod.headers)
    assert unassigned.json()["assigned_account"] is None
    changed = await client.put(base, headers=mod.headers, json={"category": "spam"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["category"] == "spam" and changed.json()["rules"] == []

    resolved = await client.post(f"{base}/resolve", headers=mod.headers)
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert_entity("AdminReport", body)
    assert body["action_taken"] is True and body["action_taken_by_account"]["id"] == mod.id
    unresolved = await client.get("/api/v1/admin/reports", headers=mod.headers)
    assert unresolved.json() == []
    reopened = await client.post(f"{base}/reopen", headers=mod.headers)
    assert reopened.json()["action_taken"] is False
    shown = await client.get(base, headers=mod.headers)
    assert shown.status_code == 200 and shown.json()["id"] == report["id"]

    log = await client.get("/api/v1/shutter/admin/audit_log", headers=admin.headers)
    assert log.status_code == 200, log.text
    assert [(e["action"], e["account"]["id"]) for e in log.json()] == [
        ("reopen", mod.id),
        ("resolve", mod.id),
        ("update", mod.id),
        ("unassigned", mod.id),
        ("assigned_to_self", mod.id),
    ]
    assert {e["target_id"] for e in log.json()} == {report["id"]}

    # Suspending the account resolves the report; its posts stay in it for review.
    suspended = await client.post(
        f"/api/v1/admin/accounts/{ana.id}/action", headers=mod.headers, data={"type": "suspend"}
    )
    assert suspended.status_code == 200, suspended.text
    kept = (await client.get(base, headers=mod.headers)).json()
    assert kept["action_taken"] is True and [s["id"] for s in kept["statuses"]] == [post["id"]]
    assert_entity("AdminReport", kept)


async def test_bad_reports_are_refused_and_write_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bob, cy = [await sign_up(client, name) for name in ("ana", "bob", "cy")]
    hidden = await post_photo(client, ana, "for followers", visibility="private")
    other = await post_photo(client, cy, "cy's")
    cases: list[tuple[dict[str, object], int]] = [
        ({"account_id": bob.id}, 422),  # oneself
        ({"account_id": "999999"}, 404),
        ({"account_id": "x"}, 422),
        ({"account_id": ana.id, "status_ids": [hidden["id"]]}, 404),  # bob may not see it
        ({"account_id": ana.id, "status_ids": [other["id"]]}, 404),  # not ana's
        ({"account_id": ana.id, "status_ids": ["nope"]}, 422),
        ({"account_id": ana.id, "category": "rude"}, 422),
        ({"account_id": ana.id, "rule_ids": ["12345"]}, 422),
        ({"account_id": ana.id, "comment": "x" * 1001}, 422),
        ({"account_id": ana.id, "comment": "a\x00b"}, 422),
        ({}, 422),
    ]
    for fields, status in cases:
        answer = await _report(client, bob, **fields)
        assert answer.status_code == status, (fields, answer.text)
        assert "error" in answer.json()
    assert await moderation_rows(ctx) == (0, 0, 0)


async def test_only_moderators_with_admin_scopes_handle_reports(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    filed = await _report(client, bob, account_id=ana.id)
    assert filed.status_code == 200, filed.text
    base = f"/api/v1/admin/reports/{filed.json()['id']}"
    # A user, even with the admin scopes; a moderator whose token lacks them.
    user_with_scopes = await staff(client, ctx, "eve", "user")
    mod_without_scopes = await sign_up(client, "mallory")
    await give_role(ctx, mod_without_scopes, "moderator")
    for who in (bob, user_with_scopes, mod_without_scopes):
        for method, url in (
            ("GET", "/api/v1/admin/reports"),
            ("GET", base),
            ("PUT", base),
            ("POST", f"{base}/resolve"),
            ("POST", f"{base}/assign_to_self"),
        ):
            answer = await client.request(method, url, headers=who.headers)
            assert answer.status_code == 403, (who.username, method, url, answer.text)
    assert (await client.get("/api/v1/admin/reports")).status_code == 401
    mod = await staff(client, ctx, "mod", "moderator")
    assert (await client.get(f"{base}0", headers=mod.headers)).status_code == 404
    bad = await client.put(base, headers=mod.headers, json={"category": "rude"})
    assert bad.status_code == 422
    assert await moderation_rows(ctx) == (1, 0, 0)


@pytest.mark.parametrize("via_action", [False, True])
async def test_the_reporter_is_mailed_the_outcome(
    database_url: str, ctx: AppContext, tmp_path: Path, mail_server: MailServer, via_action: bool
) -> None:
    async with mailing(database_url, tmp_path, mail_server) as api:
        ana, bob = await sign_up(api.http, "ana"), await sign_up(api.http, "bob")
        mod = await staff(api.http, api.instance.ctx, "mod", "moderator")
        filed = await _report(api.http, bob, account_id=ana.id, comment="rude")
        report_id = filed.json()["id"]
        if via_action:
            acted = await api.http.post(
                f"/api/v1/admin/accounts/{ana.id}/action",
                headers=mod.headers,
                data={"type": "none", "report_id": report_id, "text": "Be nice"},
            )
            assert acted.status_code == 200, acted.text
        else:
            resolved = await api.http.post(
                f"/api/v1/admin/reports/{report_id}/resolve", headers=mod.headers
            )
            assert resolved.status_code == 200, resolved.text
        await api.run_jobs()
        mail = mail_server.last_to("bob@example.com")
        assert "report" in mail.subject and "@ana" in mail.text
        if via_action:
            warning = mail_server.last_to("ana@example.com")
            assert "Be nice" in warning.text
        # Resolving again tells nobody twice.
        again = await api.http.post(
            f"/api/v1/admin/reports/{report_id}/resolve", headers=mod.headers
        )
        assert again.status_code == 200
        await api.run_jobs()
        assert len(mail_server.to("bob@example.com")) == 1
