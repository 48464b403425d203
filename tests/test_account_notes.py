"""Personal notes on accounts: kept per viewer, shown in its Relationships only, gone
with either account."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import func, select

from shutter.graph.models import AccountNote, DomainBlock
from shutter.infra.context import AppContext
from shutter.posts.models import ConversationMute
from tests.support.api import User, post_photo, sign_up
from tests.support.schema import assert_entity


async def _note(client: httpx.AsyncClient, user: User, target: str, body: object) -> httpx.Response:
    return await client.post(f"/api/v1/accounts/{target}/note", headers=user.headers, json=body)


async def _relationship(client: httpx.AsyncClient, user: User, target: User) -> dict:
    response = await client.get(
        "/api/v1/accounts/relationships", params={"id[]": target.id}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    [relationship] = response.json()
    assert_entity("Relationship", relationship)
    return relationship


async def test_note_is_kept_replaced_and_removed(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    response = await _note(client, ana, bob.id, {"comment": "met at the café ☕"})
    assert response.status_code == 200, response.text
    assert_entity("Relationship", response.json())
    assert response.json()["id"] == bob.id
    assert response.json()["note"] == "met at the café ☕"
    assert (await _relationship(client, ana, bob))["note"] == "met at the café ☕"
    # Only the note's writer sees it.
    assert (await _relationship(client, bob, ana))["note"] == ""
    replaced = await client.post(
        f"/api/v1/accounts/{bob.id}/note", headers=ana.headers, data={"comment": "photographer"}
    )
    assert replaced.json()["note"] == "photographer"
    assert (await _relationship(client, ana, bob))["note"] == "photographer"
    removed = await _note(client, ana, bob.id, {"comment": ""})
    assert removed.status_code == 200 and removed.json()["note"] == ""
    assert (await _relationship(client, ana, bob))["note"] == ""
    # No comment at all removes it too (Mastodon's blank note).
    await _note(client, ana, bob.id, {"comment": "again"})
    assert (await _note(client, ana, bob.id, {})).json()["note"] == ""


async def test_hostile_notes_change_nothing(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await _note(client, ana, bob.id, {"comment": "kept"})
    longest = await _note(client, ana, bob.id, {"comment": "x" * 2000})
    assert longest.status_code == 200
    await _note(client, ana, bob.id, {"comment": "kept"})
    for body in (
        {"comment": "x" * 2001},
        {"comment": "nul\x00byte"},
        {"comment": ["a", "list"]},
        {"comment": {"a": "dict"}},
    ):
        response = await _note(client, ana, bob.id, body)
        assert response.status_code == 422, (body, response.text)
        assert "error" in response.json()
    for target in ("0", "99999999999999999999", "123456789"):
        response = await _note(client, ana, target, {"comment": "who?"})
        assert response.status_code == 404, (target, response.text)
    unauthenticated = await client.post(f"/api/v1/accounts/{bob.id}/note", json={"comment": "x"})
    assert unauthenticated.status_code == 401
    assert (await _relationship(client, ana, bob))["note"] == "kept"


async def test_a_deleted_account_takes_its_personal_records_along(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    await _note(client, ana, bob.id, {"comment": "ana on bob"})
    await _note(client, bob, ana.id, {"comment": "bob on ana"})
    await client.post("/api/v1/domain_blocks", headers=ana.headers, json={"domain": "x.example"})
    status = await post_photo(client, bob, "bob's thread")
    await client.post(f"/api/v1/statuses/{status['id']}/mute", headers=ana.headers)
    deleted = await client.post(
        "/api/v1/shutter/account/delete",
        headers=ana.headers,
        data={"password": "correct horse battery"},
    )
    assert deleted.status_code == 202, deleted.text
    await run_jobs()
    async with ctx.db.read() as session:
        for model in (AccountNote, DomainBlock, ConversationMute):
            count = await session.scalar(select(func.count()).select_from(model))
            assert count == 0, model.__name__
