"""Moderation beyond reports and accounts: a moderator removes one post (as its author's
delete would: comments, media, feed entries, counts), the author is told why; the
dashboard's measures; the audit log's access."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx

from shutter.infra.context import AppContext
from tests.support.api import follow, post_photo, sign_up
from tests.support.hostile import BAD_PATH_IDS
from tests.support.moderation import moderation_rows, notifications_of
from tests.support.roles import staff
from tests.support.schema import assert_entity

Jobs = Callable[[], Awaitable[int]]
REMOVE = "/api/v1/shutter/admin/statuses/{}"


async def test_a_moderator_removes_a_post_as_its_author_would(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    mod = await staff(client, ctx, "mod", "moderator")
    await follow(client, bob, ana)
    post = await post_photo(client, ana, "not allowed here", visibility="private")
    comment = await client.post(
        "/api/v1/statuses",
        headers=bob.headers,
        json={"status": "nice", "in_reply_to_id": post["id"]},
    )
    assert comment.status_code == 200, comment.text
    await run_jobs()
    home = await client.get("/api/v1/timelines/home", headers=bob.headers)
    assert [s["id"] for s in home.json()] == [post["id"]]

    # The moderator may not see the private post, and removes it all the same.
    removed = await client.request(
        "DELETE", REMOVE.format(post["id"]), headers=mod.headers, data={"text": "spam"}
    )
    assert removed.status_code == 200, removed.text
    await run_jobs()
    for path in (f"/api/v1/statuses/{post['id']}", f"/api/v1/statuses/{comment.json()['id']}"):
        assert (await client.get(path, headers=bob.headers)).status_code == 404
    assert (await client.get("/api/v1/timelines/home", headers=bob.headers)).json() == []
    me = await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)
    assert me.json()["statuses_count"] == 0

    [note] = await notifications_of(client, ana, "moderation_warning")
    assert_entity("Notification", note)
    warning = note["moderation_warning"]
    assert warning["action"] == "delete_statuses" and warning["status_ids"] == [post["id"]]
    assert warning["text"] == "spam"
    log = await client.get("/api/v1/shutter/admin/audit_log", headers=mod.headers)
    [entry] = log.json()
    assert (entry["action"], entry["target_type"], entry["target_id"]) == (
        "destroy_status",
        "Status",
        post["id"],
    )
    gone = await client.request("DELETE", REMOVE.format(post["id"]), headers=mod.headers)
    assert gone.status_code == 404


async def test_a_moderator_removes_a_comment(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    mod = await staff(client, ctx, "mod", "moderator")
    post = await post_photo(client, ana, "a lake")
    comment = await client.post(
        "/api/v1/statuses",
        headers=bob.headers,
        json={"status": "ugh", "in_reply_to_id": post["id"]},
    )
    removed = await client.delete(REMOVE.format(comment.json()["id"]), headers=mod.headers)
    assert removed.status_code == 200, removed.text
    shown = await client.get(f"/api/v1/statuses/{post['id']}", headers=ana.headers)
    assert shown.status_code == 200 and shown.json()["replies_count"] == 0
    context = await client.get(f"/api/v1/statuses/{post['id']}/context", headers=ana.headers)
    assert context.json()["descendants"] == []
    await run_jobs()
    [note] = await notifications_of(client, bob, "moderation_warning")
    assert note["moderation_warning"]["status_ids"] == [comment.json()["id"]]


async def test_who_may_remove_a_post(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    mod = await staff(client, ctx, "mod", "moderator")
    admin = await staff(client, ctx, "boss", "admin")
    eve = await staff(client, ctx, "eve", "user")
    post = await post_photo(client, ana, "fine")
    admins_post = await post_photo(client, admin, "the rules")
    mods_post = await post_photo(client, mod, "mine")
    for who, target in (
        (ana, post),  # a user, with the post's owner's own token
        (eve, post),  # admin scopes without a role
        (mod, admins_post),  # a moderator on an admin
        (mod, mods_post),  # one's own: delete it as its author
    ):
        refused = await client.delete(REMOVE.format(target["id"]), headers=who.headers)
        assert refused.status_code == 403, (who.username, refused.text)
    too_long = await client.request(
        "DELETE", REMOVE.format(post["id"]), headers=mod.headers, data={"text": "x" * 5001}
    )
    assert too_long.status_code == 422
    assert (await client.delete(REMOVE.format("123"), headers=mod.headers)).status_code == 404
    assert await moderation_rows(ctx) == (0, 0, 0)
    for target in (post, admins_post, mods_post):
        assert (await client.get(f"/api/v1/statuses/{target['id']}")).status_code == 200
    assert (
        await client.delete(REMOVE.format(admins_post["id"]), headers=admin.headers)
    ).status_code == 403


async def test_measures_count_new_and_active_users(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await sign_up(client, "ana")
    await sign_up(client, "bob")
    admin = await staff(client, ctx, "boss", "admin")
    # Tokens' last use is written after the response: read something first.
    await client.get("/api/v1/accounts/verify_credentials", headers=admin.headers)
    today = datetime.now(UTC).date()
    body = {
        "keys": ["new_users", "active_users", "interactions"],
        "start_at": (today - timedelta(days=2)).isoformat(),
        "end_at": today.isoformat(),
    }
    answer = await client.post("/api/v1/admin/measures", headers=admin.headers, json=body)
    assert answer.status_code == 200, answer.text
    new_users, active_users, interactions = answer.json()
    for measure in answer.json():
        assert_entity("AdminMeasure", measure)
    assert new_users["key"] == "new_users" and new_users["total"] == "3"
    assert [d["value"] for d in new_users["data"]] == ["0", "0", "3"]
    assert new_users["data"][-1]["date"] == f"{today.isoformat()}T00:00:00.000Z"
    assert int(active_users["total"]) >= 1 and len(active_users["data"]) == 3
    assert int(active_users["total"]) == max(int(d["value"]) for d in active_users["data"])
    assert interactions == {
        "key": "interactions", "unit": None, "total": "0", "human_value": None,
        "previous_total": None, "data": [],
    }  # fmt: skip

    for bad in (
        {**body, "keys": ["nonsense"]},
        {**body, "keys": []},
        {**body, "start_at": "yesterday"},
        {**body, "end_at": (today - timedelta(days=5)).isoformat()},
        {**body, "start_at": "2000-01-01"},
        {"keys": ["new_users"]},
    ):
        refused = await client.post("/api/v1/admin/measures", headers=admin.headers, json=bad)
        assert refused.status_code == 422, (bad, refused.text)
    user = await staff(client, ctx, "eve", "user")
    refused = await client.post("/api/v1/admin/measures", headers=user.headers, json=body)
    assert refused.status_code == 403
    mod = await staff(client, ctx, "mod", "moderator")  # the dashboard is theirs too
    assert (
        await client.post("/api/v1/admin/measures", headers=mod.headers, json=body)
    ).status_code == 200


async def test_report_measures(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    mod = await staff(client, ctx, "mod", "moderator")
    for target in (ana, mod):
        filed = await client.post(
            "/api/v1/reports", headers=bob.headers, data={"account_id": target.id}
        )
        assert filed.status_code == 200, filed.text
    first = filed.json()["id"]
    assert (
        await client.post(f"/api/v1/admin/reports/{first}/resolve", headers=mod.headers)
    ).status_code == 200
    today = datetime.now(UTC).date().isoformat()
    body = {"keys": ["opened_reports", "resolved_reports"], "start_at": today, "end_at": today}
    answer = await client.post("/api/v1/admin/measures", headers=mod.headers, json=body)
    assert [(m["key"], m["total"]) for m in answer.json()] == [
        ("opened_reports", "2"),
        ("resolved_reports", "1"),
    ]


async def test_the_audit_log_is_staffs(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    eve = await staff(client, ctx, "eve", "user")
    for who in (ana, eve):
        answer = await client.get("/api/v1/shutter/admin/audit_log", headers=who.headers)
        assert answer.status_code == 403
    admin = await staff(client, ctx, "boss", "admin")
    for n in range(3):
        acted = await client.post(
            f"/api/v1/admin/accounts/{ana.id}/action",
            headers=admin.headers,
            data={"type": "none", "text": f"note {n}", "send_email_notification": "false"},
        )
        assert acted.status_code == 200, acted.text
    page = await client.get("/api/v1/shutter/admin/audit_log?limit=2", headers=admin.headers)
    assert [e["text"] for e in page.json()] == ["note 2", "note 1"]
    rest = await client.get(page.links["next"]["url"], headers=admin.headers)
    assert [e["text"] for e in rest.json()] == ["note 0"]


async def test_path_ids_that_cannot_name_a_row_are_404(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    admin = await staff(client, ctx, "boss", "admin")
    routes = [
        ("GET", "/api/v1/admin/accounts/{}"),
        ("POST", "/api/v1/admin/accounts/{}/action"),
        ("POST", "/api/v1/admin/accounts/{}/approve"),
        ("POST", "/api/v1/admin/accounts/{}/unsuspend"),
        ("DELETE", "/api/v1/admin/accounts/{}"),
        ("POST", "/api/v1/shutter/admin/accounts/{}/role"),
        ("GET", "/api/v1/admin/reports/{}"),
        ("PUT", "/api/v1/admin/reports/{}"),
        ("POST", "/api/v1/admin/reports/{}/resolve"),
        ("DELETE", "/api/v1/shutter/admin/statuses/{}"),
    ]
    for method, template in routes:
        for bad in BAD_PATH_IDS:
            answer = await client.request(
                method, template.format(bad), headers=admin.headers, data={"role": "user"}
            )
            assert answer.status_code == 404, (method, template, bad, answer.text)
    assert await moderation_rows(ctx) == (0, 0, 0)
