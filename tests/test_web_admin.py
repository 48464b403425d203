"""The moderation and administration pages over HTTP, on SQLite and PostgreSQL: only
staff open them (the admin API's permissions), the actions call the moderation service
(audit log, the person's warning), bad input is refused, and user text shows literally.

The browser test (tests/web/test_web_admin.py) drives the same pages in Chromium.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from shutter.auth.web_sessions import SESSION_COOKIE
from shutter.infra.context import AppContext
from tests.support.api import post_photo, sign_up
from tests.support.instances import Instance
from tests.support.roles import sign_up_with, staff
from tests.test_web_profiles import HOSTILE, as_web, web_post

PAGES = (
    "/admin",
    "/admin/reports",
    "/admin/reports?resolved=true",
    "/admin/accounts",
    "/admin/accounts?status=silenced&staff=true&username=a",
    "/admin/registrations",
    "/admin/rules",
    "/admin/audit",
)


async def test_only_staff_open_the_admin_pages(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    mod = await staff(client, ctx, "mod", "moderator")
    # A visitor is asked to log in.
    visitor = await client.get("/admin/reports")
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/login?next=")
    await as_web(client, ana)
    for path in PAGES:
        page = await client.get(path)
        assert page.status_code == 403, path
    assert (await client.get(f"/admin/accounts/{mod.id}")).status_code == 403
    refused = await web_post(client, ana, f"/web/admin/accounts/{mod.id}/action", {"type": "none"})
    assert refused.status_code == 403
    home = await client.get("/home")
    assert 'href="/admin"' not in home.text
    # A moderator opens all but the admins' rules; the navigation shows the way in.
    await as_web(client, mod)
    for path in PAGES:
        page = await client.get(path)
        assert page.status_code == (403 if path == "/admin/rules" else 200), path
    assert 'href="/admin"' in (await client.get("/home")).text
    assert 'href="/admin/rules"' not in (await client.get("/admin")).text


async def test_a_report_is_handled_and_the_account_silenced(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    mod = await staff(client, ctx, "mod", "moderator")
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=ana.headers, data={"display_name": HOSTILE}
    )
    post = await post_photo(client, ana, "look")
    filed = await client.post(
        "/api/v1/reports",
        headers=ben.headers,
        data={"account_id": ana.id, "status_ids[]": post["id"], "comment": HOSTILE},
    )
    assert filed.status_code == 200, filed.text
    report_id = filed.json()["id"]
    await as_web(client, mod)
    queue = await client.get("/admin/reports")
    assert f"/admin/reports/{report_id}" in queue.text
    assert HOSTILE not in queue.text and "&lt;b&gt;bold&lt;/b&gt;" in queue.text
    assert "@ana" in queue.text and "@ben" in queue.text
    assigned = await web_post(
        client, mod, f"/web/admin/reports/{report_id}/assign", {"assigned": "true"}
    )
    assert assigned.status_code == 303
    shown = await client.get(f"/admin/reports/{report_id}")
    assert "Unassign" in shown.text and "Apply action" in shown.text
    # Bad input is a 422 and changes nothing.
    bad = await web_post(client, mod, f"/web/admin/accounts/{ana.id}/action", {"type": "ban"})
    assert bad.status_code == 422
    acted = await web_post(
        client,
        mod,
        f"/web/admin/accounts/{ana.id}/action",
        {"type": "silence", "text": "Spam <again>", "notify": "true", "report_id": report_id},
    )
    assert acted.status_code == 303, acted.text
    account = await client.get(f"/api/v1/admin/accounts/{ana.id}", headers=mod.headers)
    assert account.json()["silenced"] is True
    report = await client.get(f"/api/v1/admin/reports/{report_id}", headers=mod.headers)
    assert report.json()["action_taken"] is True
    await run_jobs()
    notes = await client.get("/api/v1/notifications", headers=ana.headers)
    assert any(n["type"] == "moderation_warning" for n in notes.json())
    log = await client.get("/admin/audit")
    assert "Silence" in log.text and "Spam &lt;again&gt;" in log.text and "Resolve" in log.text
    page = await client.get(f"/admin/accounts/{ana.id}")
    assert "Limited" in page.text and "Unlimit" in page.text
    # Undo, and reopen.
    await web_post(client, mod, f"/web/admin/accounts/{ana.id}/undo", {"undo": "unsilence"})
    account = await client.get(f"/api/v1/admin/accounts/{ana.id}", headers=mod.headers)
    assert account.json()["silenced"] is False
    await web_post(client, mod, f"/web/admin/reports/{report_id}/reopen", {})
    report = await client.get(f"/api/v1/admin/reports/{report_id}", headers=mod.headers)
    assert report.json()["action_taken"] is False
    # A single post removed with a reason.
    removed = await web_post(
        client, mod, f"/web/admin/statuses/{post['id']}/remove", {"text": "Not allowed"}
    )
    assert removed.status_code == 303
    gone = await client.get(f"/api/v1/statuses/{post['id']}", headers=ana.headers)
    assert gone.status_code == 404


async def test_roles_rules_and_invites_are_the_admins(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    boss = await staff(client, ctx, "boss", "admin")
    mod = await staff(client, ctx, "mod", "moderator")
    refused = await web_post(client, mod, f"/web/admin/accounts/{ana.id}/role", {"role": "admin"})
    assert refused.status_code == 403
    changed = await web_post(
        client, boss, f"/web/admin/accounts/{ana.id}/role", {"role": "moderator"}
    )
    assert changed.status_code == 303
    me = await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)
    assert me.json()["role"]["name"] == "moderator"
    # Rules: add, edit, delete.
    assert (await web_post(client, mod, "/web/admin/rules", {"text": "x"})).status_code == 403
    added = await web_post(client, boss, "/web/admin/rules", {"text": HOSTILE, "hint": "Why"})
    assert added.status_code == 303
    rules = (await client.get("/api/v1/instance/rules")).json()
    assert [r["text"] for r in rules] == [HOSTILE]
    page = await client.get("/admin/rules")
    assert HOSTILE not in page.text
    edited = await web_post(
        client, boss, f"/web/admin/rules/{rules[0]['id']}", {"text": "Be kind", "hint": ""}
    )
    assert edited.status_code == 303
    assert [r["text"] for r in (await client.get("/api/v1/instance/rules")).json()] == ["Be kind"]
    blank = await web_post(client, boss, f"/web/admin/rules/{rules[0]['id']}", {"text": " "})
    assert blank.status_code == 422
    await web_post(client, boss, f"/web/admin/rules/{rules[0]['id']}/delete", {})
    assert (await client.get("/api/v1/instance/rules")).json() == []
    # Invites: made, listed, expired.
    made = await web_post(
        client, boss, "/web/admin/invites", {"max_uses": "5", "expires_in": "86400"}
    )
    assert made.status_code == 303
    page = await client.get("/admin/registrations")
    assert "/invite/" in page.text and "0 of 5" in page.text
    odd = await web_post(client, boss, "/web/admin/invites", {"max_uses": "7"})
    assert odd.status_code == 422
    invite_id = page.text.split('name="invite" value="')[1].split('"')[0]
    await web_post(client, boss, "/web/admin/invites/expire", {"invite": invite_id})
    assert "Ended" in (await client.get("/admin/registrations")).text
    # Deleting data needs a suspended account and the box ticked.
    unticked = await web_post(client, boss, f"/web/admin/accounts/{ana.id}/delete_data", {})
    assert unticked.status_code == 422
    not_suspended = await web_post(
        client, boss, f"/web/admin/accounts/{ana.id}/delete_data", {"confirm": "true"}
    )
    assert not_suspended.status_code == 403


async def test_a_pending_sign_up_is_approved(
    database_url: str, ctx: AppContext, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    mod = await staff(client, ctx, "mod", "moderator")
    async with Instance(database_url, tmp_path, registrations="approval") as api:
        for name in ("ana", "bob"):
            signed = await sign_up_with(api, name, reason=f"{name} likes <i>photos</i>")
            assert signed.status_code == 200, signed.text
        api.cookies.set(SESSION_COOKIE, mod.token)
        page = await api.get("/admin/registrations")
        assert "approval" in page.text and "ana likes &lt;i&gt;photos&lt;/i&gt;" in page.text
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        pending = await api.get("/api/v2/admin/accounts?status=pending", headers=mod.headers)
        ids = {a["username"]: a["id"] for a in pending.json()}
        approved = await api.post(f"/web/admin/accounts/{ids['ana']}/approve", data={"csrf": csrf})
        assert approved.status_code == 303
        rejected = await api.post(f"/web/admin/accounts/{ids['bob']}/reject", data={"csrf": csrf})
        assert rejected.status_code == 303
        left = await api.get("/api/v2/admin/accounts?status=pending", headers=mod.headers)
        assert left.json() == []
        log = await api.get("/admin/audit")
        assert "Approve" in log.text and "Reject" in log.text
