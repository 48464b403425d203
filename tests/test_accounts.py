from __future__ import annotations

import httpx
import pytest

from tests.support.api import DEFAULT_PHOTO, app_token, register_app, sign_up
from tests.support.schema import assert_entity


async def test_sign_up_and_verify_credentials(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "Ana.Photos")
    me = await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)
    assert me.status_code == 200
    body = me.json()
    assert_entity("CredentialAccount", body)
    assert body["username"] == "Ana.Photos"
    assert body["acct"] == "Ana.Photos"
    public = await client.get(f"/api/v1/accounts/{ana.id}")
    assert public.status_code == 200
    assert_entity("Account", public.json())


async def test_username_unique_case_insensitively(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ana")
    app = await register_app(client)
    token = await app_token(client, app)
    response = await client.post(
        "/api/v1/accounts",
        headers={"Authorization": f"Bearer {token}"},
        data={"username": "ANA", "email": "other@example.com", "password": "long enough pw"},
    )
    assert response.status_code == 422
    assert "username" in response.json()["error"]


async def _signup_with(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    app = await register_app(client)
    token = await app_token(client, app)
    body = {"username": "zoe", "email": "zoe@example.com", "password": "long enough pw"}
    return await client.post(
        "/api/v1/accounts",
        headers={"Authorization": f"Bearer {token}"},
        data=body | fields,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"username": ""},
        {"username": "a" * 31},
        {"username": "has space"},
        {"username": "dash-name"},
        {"email": "not-an-email"},
        {"password": "short"},
        {"agreement": "false"},
    ],
)
async def test_bad_sign_ups_are_refused(client: httpx.AsyncClient, fields: dict[str, str]) -> None:
    response = await _signup_with(client, **fields)
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("Validation failed")
    assert (await client.get("/api/v1/accounts/lookup?acct=zoe")).status_code == 404


async def test_sign_up_needs_an_app_token_and_a_unique_email(client: httpx.AsyncClient) -> None:
    anonymous = await client.post(
        "/api/v1/accounts",
        data={"username": "zoe", "email": "zoe@example.com", "password": "long enough pw"},
    )
    assert anonymous.status_code == 401
    assert (await _signup_with(client)).status_code == 200
    again = await _signup_with(client, username="zoe2", email="ZOE@example.com")
    assert again.status_code == 422 and "email" in again.json()["error"]


async def test_lookup_and_unknown_accounts(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    found = await client.get("/api/v1/accounts/lookup", params={"acct": "ANA"})
    assert found.status_code == 200 and found.json()["id"] == ana.id
    assert (
        await client.get("/api/v1/accounts/lookup", params={"acct": "nobody"})
    ).status_code == 404
    assert (await client.get("/api/v1/accounts/lookup")).status_code == 422
    for path in ("/api/v1/accounts/1", "/api/v1/accounts/99999999999999999999999"):
        assert (await client.get(path)).status_code == 404


async def test_update_profile(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        data={"display_name": "Ana P.", "note": "Light & shadow\nin Lisbon", "locked": "true"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert_entity("CredentialAccount", body)
    assert body["display_name"] == "Ana P." and body["locked"] is True
    assert body["note"] == "<p>Light &amp; shadow<br>in Lisbon</p>"
    assert body["source"]["note"] == "Light & shadow\nin Lisbon"


@pytest.mark.parametrize(
    "fields",
    [{"note": "x" * 151}, {"display_name": "y" * 31}, {"locked": "maybe"}, {"note": ["a", "b"]}],
)
async def test_bad_profile_updates_change_nothing(
    client: httpx.AsyncClient, fields: dict[str, str]
) -> None:
    ana = await sign_up(client, "ana")
    response = await client.patch(
        "/api/v1/accounts/update_credentials", headers=ana.headers, json=fields
    )
    assert response.status_code == 422, response.text
    me = (await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)).json()
    assert me["note"] == "" and me["display_name"] == "" and me["locked"] is False


async def test_avatar_upload(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    photo = DEFAULT_PHOTO.read_bytes()
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        files={"avatar": ("me.jpg", photo, "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    avatar = response.json()["avatar"]
    assert "/media/" in avatar
    served = await client.get(avatar.removeprefix("http://testserver"))
    assert served.status_code == 200 and served.headers["content-type"].startswith("image/")
    bad = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        files={"avatar": ("me.jpg", b"<html>not an image</html>", "image/jpeg")},
    )
    assert bad.status_code == 422
    assert (await client.get(f"/api/v1/accounts/{ana.id}")).json()["avatar"] == avatar


async def test_account_reads_carry_an_etag_and_answer_304(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    first = await client.get(f"/api/v1/accounts/{ana.id}")
    etag = first.headers["ETag"]
    again = await client.get(f"/api/v1/accounts/{ana.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=ana.headers, data={"display_name": "A"}
    )
    changed = await client.get(f"/api/v1/accounts/{ana.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
