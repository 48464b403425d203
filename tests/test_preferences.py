"""Preferences (`GET /api/v1/preferences`) from the posting defaults that
`update_credentials` sets through `source[privacy]`, `source[sensitive]` and
`source[language]`, as Mastodon clients read and write them."""

from __future__ import annotations

from typing import Any

import httpx

from shutter.infra.context import AppContext
from tests.support.api import User, sign_up
from tests.support.roles import sign_up_with
from tests.support.schema import assert_entity

CREDENTIALS = "/api/v1/accounts/update_credentials"


async def _preferences(client: httpx.AsyncClient, user: User) -> dict[str, Any]:
    response = await client.get("/api/v1/preferences", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert_entity("Preferences", body)
    return body


async def _source(client: httpx.AsyncClient, user: User) -> dict[str, Any]:
    response = await client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    assert response.status_code == 200
    assert_entity("CredentialAccount", response.json())
    source: dict[str, Any] = response.json()["source"]
    return source


async def test_defaults_then_round_trip(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    assert await _preferences(client, ana) == {
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }
    changed = await client.patch(
        CREDENTIALS,
        headers=ana.headers,
        data={
            "source[privacy]": "unlisted",
            "source[sensitive]": "true",
            "source[language]": "FR",
        },
    )
    assert changed.status_code == 200, changed.text
    assert_entity("CredentialAccount", changed.json())
    source = changed.json()["source"]
    assert (source["privacy"], source["sensitive"], source["language"]) == ("unlisted", True, "fr")
    prefs = await _preferences(client, ana)
    assert prefs["posting:default:visibility"] == "unlisted"
    assert prefs["posting:default:sensitive"] is True
    assert prefs["posting:default:language"] == "fr"
    assert (await _source(client, ana))["language"] == "fr"

    # JSON, as masto.js sends it; an empty language forgets the choice.
    again = await client.patch(
        CREDENTIALS,
        headers=ana.headers,
        json={"source": {"privacy": "private", "sensitive": False, "language": ""}},
    )
    assert again.status_code == 200, again.text
    prefs = await _preferences(client, ana)
    assert prefs["posting:default:visibility"] == "private"
    assert prefs["posting:default:sensitive"] is False
    assert prefs["posting:default:language"] is None
    assert (await _source(client, ana))["language"] == ""


async def test_a_locked_account_without_a_choice_defaults_to_followers(
    client: httpx.AsyncClient,
) -> None:
    bo = await sign_up(client, "bo")
    locked = await client.patch(CREDENTIALS, headers=bo.headers, data={"locked": "true"})
    assert locked.status_code == 200
    assert (await _preferences(client, bo))["posting:default:visibility"] == "private"


async def test_bad_values_are_refused_and_change_nothing(client: httpx.AsyncClient) -> None:
    cy = await sign_up(client, "cy")
    await client.patch(
        CREDENTIALS,
        headers=cy.headers,
        data={"source[privacy]": "unlisted", "source[language]": "de"},
    )
    before = await _preferences(client, cy)
    for fields in (
        {"source[privacy]": "direct"},
        {"source[privacy]": "everyone"},
        {"source[language]": "english"},
        {"source[language]": "e1"},
        {"source[language]": "<b>"},
        {"source[sensitive]": "maybe"},
        {"source[language]": "fr", "source[privacy]": "nobody"},
    ):
        refused = await client.patch(CREDENTIALS, headers=cy.headers, data=fields)
        assert refused.status_code == 422, (fields, refused.text)
        assert "error" in refused.json()
    assert await _preferences(client, cy) == before


async def test_preferences_need_a_user_token_with_read_accounts(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    assert (await client.get("/api/v1/preferences")).status_code == 401
    writer = await sign_up_with(client, "writer", scopes="write")
    assert writer.status_code == 200, writer.text
    token = writer.json()["access_token"]
    refused = await client.get("/api/v1/preferences", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
    reader = await sign_up_with(client, "reader", scopes="read:accounts write:accounts")
    assert reader.status_code == 200, reader.text
    token = reader.json()["access_token"]
    allowed = await client.get("/api/v1/preferences", headers={"Authorization": f"Bearer {token}"})
    assert allowed.status_code == 200
    assert_entity("Preferences", allowed.json())
