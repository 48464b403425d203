"""Instance routes beside `/api/v1/instance`: the pages admins write (extended
description, privacy policy, dated terms of service), the weekly activity, and the
answers of a server without federation or translation."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from shutter.infra.context import AppContext
from tests.support.api import User, post_photo, sign_up
from tests.support.roles import staff
from tests.support.schema import assert_entity

ADMIN = "/api/v1/shutter/admin/instance"


async def _get(client: httpx.AsyncClient, path: str, status: int = 200) -> Any:
    response = await client.get(path)  # public: no token
    assert response.status_code == status, (path, response.text)
    return response.json()


async def test_pages_default_then_written_by_admins(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    described = await _get(client, "/api/v1/instance/extended_description")
    assert_entity("ExtendedDescription", described)
    assert described["content"] == ""
    policy = await _get(client, "/api/v1/instance/privacy_policy")
    assert_entity("PrivacyPolicy", policy)
    assert "<p>" in policy["content"]  # a default policy, as Mastodon has

    admin = await staff(client, ctx, "boss", "admin")
    written = await client.put(
        f"{ADMIN}/extended_description",
        headers=admin.headers,
        json={"text": "About us\n\nWe <3 photos"},
    )
    assert written.status_code == 200, written.text
    described = await _get(client, "/api/v1/instance/extended_description")
    assert_entity("ExtendedDescription", described)
    assert described["content"] == "<p>About us</p><p>We &lt;3 photos</p>"
    assert described["updated_at"] > "2026-01-02"
    policy_written = await client.put(
        f"{ADMIN}/privacy_policy", headers=admin.headers, data={"text": "We keep little."}
    )
    assert policy_written.status_code == 200
    assert (await _get(client, "/api/v1/instance/privacy_policy"))["content"] == (
        "<p>We keep little.</p>"
    )


async def test_terms_of_service_by_date(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await _get(client, "/api/v1/instance/terms_of_service", 404)
    admin = await staff(client, ctx, "boss", "admin")
    today = datetime.now(UTC).date()
    past, future = today - timedelta(days=30), today + timedelta(days=30)
    for day, text in ((past, "Be nice."), (future, "Be nicer.")):
        added = await client.post(
            f"{ADMIN}/terms_of_service",
            headers=admin.headers,
            json={"text": text, "effective_date": day.isoformat()},
        )
        assert added.status_code == 200, added.text
        assert_entity("TermsOfService", added.json())
    current = await _get(client, "/api/v1/instance/terms_of_service")
    assert_entity("TermsOfService", current)
    assert current == {
        "effective_date": past.isoformat(),
        "effective": True,
        "content": "<p>Be nice.</p>",
        "succeeded_by": future.isoformat(),
    }
    coming = await _get(client, f"/api/v1/instance/terms_of_service/{future.isoformat()}")
    assert_entity("TermsOfService", coming)
    assert (coming["effective"], coming["succeeded_by"]) == (False, None)
    for unknown in (today.isoformat(), "2026-02-30", "yesterday", "0"):
        await _get(client, f"/api/v1/instance/terms_of_service/{unknown}", 404)

    rewritten = await client.post(
        f"{ADMIN}/terms_of_service",
        headers=admin.headers,
        data={"text": "Be very nice.", "effective_date": past.isoformat()},
    )
    assert rewritten.status_code == 200
    assert (await _get(client, "/api/v1/instance/terms_of_service"))["content"] == (
        "<p>Be very nice.</p>"
    )
    removed = await client.delete(
        f"{ADMIN}/terms_of_service/{past.isoformat()}", headers=admin.headers
    )
    assert removed.status_code == 200
    # Only future terms left: shown, not yet in effect.
    left = await _get(client, "/api/v1/instance/terms_of_service")
    assert (left["effective_date"], left["effective"]) == (future.isoformat(), False)


async def test_bad_page_writes_change_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    admin = await staff(client, ctx, "boss", "admin")
    ana = await sign_up(client, "ana")
    moderator = await staff(client, ctx, "mod", "moderator")
    before = await _get(client, "/api/v1/instance/extended_description")
    for intruder in (ana, moderator):
        refused = await client.put(
            f"{ADMIN}/extended_description", headers=intruder.headers, json={"text": "pwned"}
        )
        assert refused.status_code == 403
        refused = await client.post(
            f"{ADMIN}/terms_of_service",
            headers=intruder.headers,
            json={"text": "pwned", "effective_date": "2026-01-01"},
        )
        assert refused.status_code == 403
    assert (
        await client.put(f"{ADMIN}/extended_description", json={"text": "x"})
    ).status_code == 401
    for path, fields, status in (
        (f"{ADMIN}/extended_description", {}, 422),
        (f"{ADMIN}/extended_description", {"text": "x" * 100_001}, 422),
        (f"{ADMIN}/extended_description", {"text": "nul\x00"}, 422),
        (f"{ADMIN}/unknown_page", {"text": "x"}, 404),
    ):
        response = await client.put(path, headers=admin.headers, json=fields)
        assert response.status_code == status, (path, fields, response.text)
    for fields in (
        {"text": "x"},
        {"text": "x", "effective_date": "soon"},
        {"text": "", "effective_date": "2026-01-01"},
        {"effective_date": "2026-01-01"},
    ):
        response = await client.post(
            f"{ADMIN}/terms_of_service", headers=admin.headers, json=fields
        )
        assert response.status_code == 422, (fields, response.text)
    missing = await client.delete(f"{ADMIN}/terms_of_service/2026-01-01", headers=admin.headers)
    assert missing.status_code == 404
    assert await _get(client, "/api/v1/instance/extended_description") == before
    await _get(client, "/api/v1/instance/terms_of_service", 404)


async def test_no_federation_no_translation(client: httpx.AsyncClient) -> None:
    assert await _get(client, "/api/v1/instance/peers") == []
    assert await _get(client, "/api/v1/instance/domain_blocks") == []
    assert await _get(client, "/api/v1/instance/translation_languages") == {}


async def test_activity_counts_this_week(client: httpx.AsyncClient) -> None:
    empty = await _get(client, "/api/v1/instance/activity")
    assert len(empty) == 12
    weeks = [int(week["week"]) for week in empty]
    assert weeks == sorted(weeks, reverse=True)
    monday = datetime.fromtimestamp(weeks[0], UTC)
    assert monday.weekday() == 0 and monday.date() <= date.today()
    assert all(b - a == -7 * 86400 for a, b in itertools.pairwise(weeks))
    assert {k for week in empty for k in week} == {"week", "statuses", "logins", "registrations"}
    assert all(isinstance(v, str) for week in empty for v in week.values())
    assert all(week["statuses"] == "0" for week in empty)

    ana: User = await sign_up(client, "ana")
    await sign_up(client, "bo")
    await post_photo(client, ana, "one")
    await post_photo(client, ana, "two")
    # A second log-in of the same account counts once.
    app = await client.post(
        "/api/v1/apps",
        data={"client_name": "t", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"},
    )
    login = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"],
            "username": "ana@example.com",
            "password": "correct horse battery",
            "scope": "read",
        },
    )
    assert login.status_code == 200, login.text
    [this_week, *earlier] = await _get(client, "/api/v1/instance/activity")
    assert (this_week["statuses"], this_week["registrations"], this_week["logins"]) == (
        "2",
        "2",
        "2",
    )
    assert all(week["statuses"] == "0" for week in earlier)
