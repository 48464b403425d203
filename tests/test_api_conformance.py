"""Rules and shapes Mastodon clients rely on: the username rule (sign-up and
createadmin share it), the scope of a status's source, and instance entities that pass
the schema including its formats."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import test_settings as settings_for_tests
from tests.support.api import User, app_token, post_photo, register_app, sign_up
from tests.support.credentials import password_grant
from tests.support.instances import Instance
from tests.support.live import run_shutter, shutter_env
from tests.support.schema import assert_entity

PASSWORD = "correct horse battery"


async def _sign_up(client: httpx.AsyncClient, username: str) -> httpx.Response:
    app = await register_app(client)
    token = await app_token(client, app)
    return await client.post(
        "/api/v1/accounts",
        headers={"Authorization": f"Bearer {token}"},
        data={
            "username": username,
            "email": "someone@example.com",
            "password": PASSWORD,
            "agreement": "true",
        },
    )


@pytest.mark.parametrize(
    "username", [".", "..", ".hidden", "trailing.", "a..", "-dash", "dash-", "a b", "é", "a" * 31]
)
async def test_usernames_follow_mastodons_rule(client: httpx.AsyncClient, username: str) -> None:
    response = await _sign_up(client, username)
    assert response.status_code == 422, response.text
    assert "username" in response.json()["details"]


@pytest.mark.parametrize("username", ["a", "_", "ana.b", "a_b", "a..b", "A9", "x" * 30])
async def test_usernames_mastodon_allows_are_allowed(
    client: httpx.AsyncClient, username: str
) -> None:
    response = await _sign_up(client, username)
    assert response.status_code == 200, response.text


def test_createadmin_applies_the_same_rule(tmp_path: Path) -> None:
    env = shutter_env("", tmp_path / "var")
    made = run_shutter(
        ["createadmin", ".hidden", "--email", "boss@example.com", "--password", PASSWORD], env
    )
    assert made.returncode == 1, made.stdout
    assert "username" in made.stderr


async def test_a_status_source_needs_read_statuses(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana", password=PASSWORD)
    status = await post_photo(client, ana, "caption")
    app = await register_app(client, scopes="read write")

    async def token(scope: str) -> User:
        response = await password_grant(client, "ana", PASSWORD, app=app, scope=scope)
        assert response.status_code == 200, response.text
        return User(id=ana.id, username="ana", token=response.json()["access_token"])

    path = f"/api/v1/statuses/{status['id']}/source"
    reader = await client.get(path, headers=(await token("read:statuses")).headers)
    assert reader.status_code == 200, reader.text
    assert reader.json()["text"] == "caption"
    writer = await client.get(path, headers=(await token("write")).headers)
    assert writer.status_code == 403


async def test_instance_entities_pass_the_schema_with_formats(client: httpx.AsyncClient) -> None:
    v1 = (await client.get("/api/v1/instance")).json()
    assert_entity("V1Instance", v1, check_formats=True)
    v2 = (await client.get("/api/v2/instance")).json()
    assert_entity("Instance", v2, check_formats=True)
    assert v1["email"] == v2["contact"]["email"] == "postmaster@testserver"


async def test_the_configured_contact_is_published(
    database_url: str, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    async with Instance(database_url, tmp_path, contact_email="admin@photos.example") as api:
        v2 = (await api.get("/api/v2/instance")).json()
        assert v2["contact"]["email"] == "admin@photos.example"
        assert_entity("Instance", v2, check_formats=True)


def test_a_contact_that_is_no_address_stops_the_settings(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="contact_email"):
        settings_for_tests(tmp_path, contact_email="nobody")
