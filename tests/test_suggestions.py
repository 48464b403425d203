"""Follow suggestions (v1, v2, dismissal) and the profile directory, from the real graph."""

from __future__ import annotations

from typing import Any

import httpx

from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.schema import assert_entity
from tests.support.states import change


async def _suggested(client: httpx.AsyncClient, user: User, query: str = "") -> list[Any]:
    response = await client.get(f"/api/v2/suggestions{query}", headers=user.headers)
    assert response.status_code == 200, response.text
    for body in response.json():
        assert_entity("Suggestion", body)
        assert_entity("Account", body["account"])
    return [(s["account"]["username"], s["sources"]) for s in response.json()]


async def test_friends_of_friends_then_most_followed(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    me, pal, pal2 = [await sign_up(client, n) for n in ("me", "pal", "pal2")]
    fof, fof2, star, nobody = [await sign_up(client, n) for n in ("fof", "fof2", "star", "nobody")]
    fans = [await sign_up(client, f"fan{i}") for i in range(2)]
    await follow(client, me, pal)
    await follow(client, me, pal2)
    await follow(client, pal, fof)
    await follow(client, pal2, fof)  # two of my follows follow fof, one fof2
    await follow(client, pal, fof2)
    await follow(client, pal2, me)  # never myself
    for fan in fans:
        await follow(client, fan, star)
    await follow(client, fans[0], pal)
    friends = [(n, ["friends_of_friends"]) for n in ("fof", "fof2")]
    popular = [(n, ["most_followed"]) for n in ("star",)]
    assert await _suggested(client, me) == [*friends, *popular]
    assert (await _suggested(client, me, "?limit=1")) == friends[:1]
    v1 = await client.get("/api/v1/suggestions", headers=me.headers)
    assert [a["username"] for a in v1.json()] == ["fof", "fof2", "star"]
    for body in v1.json():
        assert_entity("Account", body)
    # Blocks either way, mutes, follows and requests, silenced and suspended accounts leave.
    assert (await client.post(f"/api/v1/accounts/{me.id}/block", headers=fof2.headers)).is_success
    assert (await client.post(f"/api/v1/accounts/{star.id}/mute", headers=me.headers)).is_success
    assert await _suggested(client, me) == friends[:1]
    await change(ctx, fof, "silence")
    assert await _suggested(client, me) == []
    await change(ctx, fof, "unsilence")
    await follow(client, me, fof)
    assert await _suggested(client, me) == []
    assert nobody.username == "nobody"  # no follower, no follows in common: never suggested


async def test_dismissed_for_good(client: httpx.AsyncClient) -> None:
    me, pal, fof = [await sign_up(client, n) for n in ("me", "pal", "fof")]
    await follow(client, me, pal)
    await follow(client, pal, fof)
    assert [n for n, _ in await _suggested(client, me)] == ["fof"]
    gone = await client.delete(f"/api/v1/suggestions/{fof.id}", headers=me.headers)
    assert gone.status_code == 200 and gone.json() == {}
    assert (await client.delete(f"/api/v1/suggestions/{fof.id}", headers=me.headers)).is_success
    assert await _suggested(client, me) == []
    assert [n for n, _ in await _suggested(client, pal)] == []  # pal follows fof already
    for bad in ("999", "abc", "-1", "99999999999999999999999"):
        response = await client.delete(f"/api/v1/suggestions/{bad}", headers=me.headers)
        assert response.status_code == 404, bad
    assert (await client.get("/api/v2/suggestions")).status_code == 401
    assert (await client.delete(f"/api/v1/suggestions/{fof.id}")).status_code == 401
    response = await client.get("/api/v2/suggestions?limit=x", headers=me.headers)
    assert response.status_code == 422


async def _directory(
    client: httpx.AsyncClient, query: str = "", user: User | None = None
) -> list[str]:
    response = await client.get(f"/api/v1/directory{query}", headers=user.headers if user else {})
    assert response.status_code == 200, response.text
    for body in response.json():
        assert_entity("Account", body)
    return [a["username"] for a in response.json()]


async def test_directory(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo, cy, dee = [await sign_up(client, n) for n in ("ana", "bo", "cy", "dee")]
    await post_photo(client, bo, "bo first")
    await post_photo(client, ana, "ana later")
    assert await _directory(client, "?order=new") == ["dee", "cy", "bo", "ana"]
    assert await _directory(client) == ["ana", "bo", "dee", "cy"]  # active: last post first
    assert await _directory(client, "?order=active&local=true") == ["ana", "bo", "dee", "cy"]
    assert await _directory(client, "?order=new&offset=1&limit=2") == ["cy", "bo"]
    assert (await client.post(f"/api/v1/accounts/{dee.id}/block", headers=cy.headers)).is_success
    assert await _directory(client, "?order=new", cy) == ["cy", "bo", "ana"]
    await change(ctx, bo, "silence")
    await change(ctx, ana, "suspend")
    assert await _directory(client, "?order=new") == ["dee", "cy"]
    for query in ("?order=popular", "?offset=-1", "?limit=x", "?local=maybe", "?offset=99999999"):
        response = await client.get(f"/api/v1/directory{query}")
        assert response.status_code == 422, query
        assert "error" in response.json()
