"""The instance's rules: admins write them through Shutter's admin routes, everyone
reads them as Mastodon's Rule entities (/api/v1/instance/rules and both instances)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shutter.infra.context import AppContext
from shutter.instance.rules import rule_book
from tests.support.api import User, sign_up
from tests.support.live import run_shutter, shutter_env
from tests.support.roles import staff
from tests.support.schema import assert_entity

ADMIN_RULES = "/api/v1/shutter/admin/rules"


@pytest.fixture
async def fresh_rules(ctx: AppContext) -> AsyncIterator[None]:
    """The tables are emptied before each test; so is this process's copy of the rules."""
    rule_book(ctx).forget()
    yield
    rule_book(ctx).forget()


@pytest.fixture
async def admin(client: httpx.AsyncClient, ctx: AppContext, fresh_rules: None) -> User:
    return await staff(client, ctx, "boss", "admin")


async def _add(client: httpx.AsyncClient, admin: User, **fields: str) -> dict[str, Any]:
    response = await client.post(ADMIN_RULES, headers=admin.headers, data=fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert_entity("Rule", body)
    return body


async def _rules(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/instance/rules")
    assert response.status_code == 200
    rules: list[dict[str, Any]] = response.json()
    for rule in rules:
        assert_entity("Rule", rule)
    return rules


async def test_admins_write_rules_and_everyone_reads_them(
    client: httpx.AsyncClient, admin: User
) -> None:
    assert await _rules(client) == []
    kind = await _add(client, admin, text="  Be kind  ", hint="No harassment.")
    assert (kind["text"], kind["hint"]) == ("Be kind", "No harassment.")
    own = await _add(client, admin, text="Post your own photos")
    first = await _add(client, admin, text="Read this first", position="0")
    assert [r["text"] for r in await _rules(client)] == [
        "Read this first",
        "Be kind",
        "Post your own photos",
    ]

    edited = await client.put(
        f"{ADMIN_RULES}/{own['id']}", headers=admin.headers, data={"hint": "Credit others."}
    )
    assert edited.status_code == 200
    assert edited.json() == {
        "id": own["id"],
        "text": "Post your own photos",
        "hint": "Credit others.",
    }
    removed = await client.delete(f"{ADMIN_RULES}/{first['id']}", headers=admin.headers)
    assert removed.status_code == 200
    expected = [kind, {**own, "hint": "Credit others."}]
    assert await _rules(client) == expected

    v1 = (await client.get("/api/v1/instance")).json()
    v2 = (await client.get("/api/v2/instance")).json()
    assert_entity("V1Instance", v1)
    assert_entity("Instance", v2)
    assert v1["rules"] == expected and v2["rules"] == expected
    # A withdrawn rule is gone for editing too.
    again = await client.put(
        f"{ADMIN_RULES}/{first['id']}", headers=admin.headers, data={"text": "x"}
    )
    assert again.status_code == 404


async def test_only_admins_edit_rules(
    client: httpx.AsyncClient, ctx: AppContext, admin: User
) -> None:
    rule = await _add(client, admin, text="Be kind")
    ana = await sign_up(client, "ana")  # a user token without the admin scopes
    user_with_scopes = await staff(client, ctx, "bob", "user")
    moderator = await staff(client, ctx, "mod", "moderator")
    for caller, status in ((ana, 403), (user_with_scopes, 403), (moderator, 403)):
        headers = caller.headers
        assert (
            await client.post(ADMIN_RULES, headers=headers, data={"text": "Mine"})
        ).status_code == status
        put = await client.put(
            f"{ADMIN_RULES}/{rule['id']}", headers=headers, data={"text": "Mine"}
        )
        assert put.status_code == status
        delete = await client.delete(f"{ADMIN_RULES}/{rule['id']}", headers=headers)
        assert delete.status_code == status
    assert (await client.post(ADMIN_RULES, data={"text": "Anon"})).status_code == 401
    assert await _rules(client) == [rule]


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"text": ""},
        {"text": "   "},
        {"text": "x" * 301},
        {"text": "ok", "hint": "h" * 1001},
        {"text": "ok", "position": "-1"},
        {"text": "ok", "position": "first"},
        {"text": "ok", "position": "1000001"},
    ],
)
async def test_bad_rules_are_refused(
    client: httpx.AsyncClient, admin: User, fields: dict[str, str]
) -> None:
    response = await client.post(ADMIN_RULES, headers=admin.headers, data=fields)
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("Validation failed")
    assert await _rules(client) == []


async def test_bad_edits_change_nothing(client: httpx.AsyncClient, admin: User) -> None:
    rule = await _add(client, admin, text="Be kind", hint="Always.")
    for fields in ({"text": ""}, {"hint": "h" * 1001}, {"position": "-5"}, {"text": "y" * 301}):
        response = await client.put(
            f"{ADMIN_RULES}/{rule['id']}", headers=admin.headers, data=fields
        )
        assert response.status_code == 422, fields
    for bad_id in ("999", "abc", "-1", "1" * 30):
        put = await client.put(f"{ADMIN_RULES}/{bad_id}", headers=admin.headers, data={"text": "x"})
        assert put.status_code == 404
        delete = await client.delete(f"{ADMIN_RULES}/{bad_id}", headers=admin.headers)
        assert delete.status_code == 404
    assert await _rules(client) == [rule]


async def test_at_most_a_hundred_rules(client: httpx.AsyncClient, admin: User) -> None:
    for n in range(100):
        await _add(client, admin, text=f"Rule {n}")
    refused = await client.post(ADMIN_RULES, headers=admin.headers, data={"text": "One more"})
    assert refused.status_code == 422
    assert len(await _rules(client)) == 100


def test_operators_edit_rules_from_the_command_line(tmp_path: Path) -> None:
    env = shutter_env("", tmp_path / "var")
    added = run_shutter(["rules", "add", "Be kind", "--hint", "Always."], env)
    assert added.returncode == 0, added.stderr
    first = run_shutter(["rules", "add", "Read this first", "--position", "0"], env)
    assert first.returncode == 0, first.stderr
    listed = run_shutter(["rules", "list"], env).stdout.splitlines()
    assert [line.split("  ", 1)[1] for line in listed if not line.startswith(" ")] == [
        "Read this first",
        "Be kind",
    ]
    rule_id = listed[0].split()[0]
    assert run_shutter(["rules", "remove", rule_id], env).returncode == 0
    again = run_shutter(["rules", "remove", rule_id], env)
    assert again.returncode == 1 and "Rule not found" in again.stderr
    blank = run_shutter(["rules", "add", " "], env)
    assert blank.returncode == 1 and "text must not be blank" in blank.stderr
    assert "Read this first" not in run_shutter(["rules", "list"], env).stdout
