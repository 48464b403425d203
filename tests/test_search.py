"""Search: accounts (exact > prefix > fuzzy), hashtags by prefix, blocks, bad input."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import User, follow, post_photo, sign_up
from tests.support.schema import assert_entity
from tests.test_blocks import scoped_token


async def _search(
    client: httpx.AsyncClient, query: str, user: User | None = None, **params: Any
) -> dict[str, Any]:
    headers = user.headers if user else {}
    response = await client.get("/api/v2/search", params={"q": query, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert_entity("Search", response.json())
    return response.json()


async def _usernames(
    client: httpx.AsyncClient, query: str, user: User | None = None, **params: Any
) -> list[str]:
    body = await _search(client, query, user, type="accounts", **params)
    assert body["hashtags"] == [] and body["statuses"] == []
    return [a["username"] for a in body["accounts"]]


async def _rename(client: httpx.AsyncClient, user: User, display_name: str) -> None:
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=user.headers,
        data={"display_name": display_name},
    )
    assert response.status_code == 200, response.text


async def test_accounts_rank_exact_then_prefix_then_fuzzy(client: httpx.AsyncClient) -> None:
    users = {n: await sign_up(client, n) for n in ("malice", "zed", "alice_b", "alice", "bob")}
    await _rename(client, users["zed"], "Alice Cooper")
    assert await _usernames(client, "alice") == ["alice", "alice_b", "zed", "malice"]
    # Case, a leading @ and a domain part do not matter.
    assert await _usernames(client, "@ALICE@testserver") == ["alice", "alice_b", "zed", "malice"]
    # A typo still finds the name (trigram similarity), ranked after real prefixes.
    assert await _usernames(client, "alise") == ["alice"]
    # Two letters have no trigram: prefixes of usernames and of display-name words only.
    assert await _usernames(client, "al") == ["alice", "alice_b", "zed"]
    assert await _usernames(client, "coo") == ["zed"]
    assert await _usernames(client, "nobody-like-this") == []
    # Pages by offset and limit, in the same order.
    assert await _usernames(client, "alice", users["bob"], limit=2) == ["alice", "alice_b"]
    assert await _usernames(client, "alice", users["bob"], limit=2, offset=2) == ["zed", "malice"]


async def test_search_follows_profile_changes_and_unicode(client: httpx.AsyncClient) -> None:
    bob = await sign_up(client, "bob")
    assert await _usernames(client, "sunny") == []
    await _rename(client, bob, "Sunny Day")
    assert await _usernames(client, "sunny") == ["bob"]
    await _rename(client, bob, "Élodie")
    assert await _usernames(client, "sunny") == []
    assert await _usernames(client, "élodie") == ["bob"]
    assert await _usernames(client, "élo") == ["bob"]


async def test_blocked_accounts_are_excluded_both_ways(client: httpx.AsyncClient) -> None:
    ana, alice, alicia = [await sign_up(client, n) for n in ("ana", "alice", "alicia")]
    response = await client.post(f"/api/v1/accounts/{alice.id}/block", headers=ana.headers)
    assert response.status_code == 200
    assert await _usernames(client, "ali", ana) == ["alicia"]
    assert await _usernames(client, "ana", alice) == []
    assert await _usernames(client, "ali", alicia) == ["alice", "alicia"]
    assert await _usernames(client, "ali") == ["alice", "alicia"]  # anonymous
    accounts = await client.get("/api/v1/accounts/search?q=ali", headers=ana.headers)
    assert [a["username"] for a in accounts.json()] == ["alicia"]


async def test_following_restricts_to_followed_accounts(client: httpx.AsyncClient) -> None:
    ana, alice, _alicia = [await sign_up(client, n) for n in ("ana", "alice", "alicia")]
    await follow(client, ana, alice)
    assert await _usernames(client, "ali", ana, following="true") == ["alice"]
    assert await _usernames(client, "ali", alice, following="true") == []
    assert await _usernames(client, "ali", following="true") == []  # anonymous follows nobody
    response = await client.get(
        "/api/v1/accounts/search", params={"q": "ali", "following": "true"}, headers=ana.headers
    )
    assert response.status_code == 200
    for account in response.json():
        assert_entity("Account", account)
    assert [a["username"] for a in response.json()] == ["alice"]


async def test_hashtags_by_prefix(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    await post_photo(client, ana, "#Sunset over the bay #sunrise")
    await post_photo(client, ana, "#sun #Moon")
    body = await _search(client, "sun", type="hashtags")
    assert body["accounts"] == []
    assert [t["name"] for t in body["hashtags"]] == ["sun", "Sunset", "sunrise"]
    for tag in body["hashtags"]:
        assert_entity("Tag", tag)
    assert [t["name"] for t in (await _search(client, "#SUNS"))["hashtags"]] == ["Sunset"]
    # Without a type both kinds are searched.
    both = await _search(client, "an")
    assert [a["username"] for a in both["accounts"]] == ["ana"] and both["hashtags"] == []
    assert (await _search(client, "moon", type="statuses")) == {
        "accounts": [],
        "statuses": [],
        "hashtags": [],
    }


async def test_search_bad_input(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    # As Mastodon: a blank query is an empty result, not an error.
    for blank in ("", "   ", "@"):
        assert await _search(client, blank, ana) == {"accounts": [], "statuses": [], "hashtags": []}
    assert (await client.get("/api/v2/search")).status_code == 200
    for params in (
        {"q": "ana", "type": "people"},
        {"q": "ana", "limit": "many"},
        {"q": "ana", "offset": "-1"},
        {"q": "ana", "offset": str(10**30)},
        {"q": "ana", "following": "perhaps"},
    ):
        response = await client.get("/api/v2/search", params=params, headers=ana.headers)
        assert response.status_code == 422, (params, response.text)
        assert isinstance(response.json()["error"], str)
    # A huge limit is clamped; a long query is cut, never an error.
    huge = await client.get("/api/v2/search?q=ana&limit=1000000", headers=ana.headers)
    assert huge.status_code == 200 and len(huge.json()["accounts"]) == 1
    assert await _usernames(client, "a" * 5000) == []
    # Paging needs a user (Mastodon's rule); `resolve` is accepted and ignored.
    anonymous_page = await client.get("/api/v2/search?q=ana&offset=1")
    assert anonymous_page.status_code == 401
    assert await _usernames(client, "ana", resolve="true") == ["ana"]
    # Scopes: read:search for v2, read:accounts for v1 account search.
    accounts_only = await scoped_token(client, "ana", "read:accounts")
    assert (await client.get("/api/v2/search?q=ana", headers=accounts_only)).status_code == 403
    search_only = await scoped_token(client, "ana", "read:search")
    assert (await client.get("/api/v2/search?q=ana", headers=search_only)).status_code == 200
    v1 = "/api/v1/accounts/search?q=ana"
    assert (await client.get(v1, headers=search_only)).status_code == 403
    assert (await client.get(v1, headers=accounts_only)).status_code == 200
    assert (await client.get(v1)).status_code == 401
    assert (await client.get(v1 + "&limit=1000", headers=ana.headers)).status_code == 200
    empty = await client.get("/api/v1/accounts/search?q=", headers=ana.headers)
    assert empty.status_code == 200 and empty.json() == []
