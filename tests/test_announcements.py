"""Announcements: admins write, publish and withdraw them through Shutter's admin routes;
users read them (`GET /api/v1/announcements`), dismiss them and react with unicode or
custom emojis, as Mastodon's clients do; open `user` streams hear of each change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
import pyvips
from sqlalchemy import update

from shutter.accounts.models import Account
from shutter.emojis.catalog import emoji_catalog
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.events import Subscription, user_channel
from shutter.notifications.streams import resolve_stream
from tests.support.api import User, sign_up
from tests.support.roles import staff
from tests.support.schema import assert_entity

ADMIN = "/api/v1/shutter/admin/announcements"
THUMBS = "\N{THUMBS UP SIGN}"
HEART = "\N{HEAVY BLACK HEART}\N{VARIATION SELECTOR-16}"


@pytest.fixture
async def admin(client: httpx.AsyncClient, ctx: AppContext) -> AsyncIterator[User]:
    emoji_catalog(ctx).forget()
    yield await staff(client, ctx, "boss", "admin")
    emoji_catalog(ctx).forget()


async def _create(client: httpx.AsyncClient, admin: User, **fields: Any) -> dict[str, Any]:
    response = await client.post(ADMIN, headers=admin.headers, json=fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _shown(
    client: httpx.AsyncClient, user: User, *, with_dismissed: bool = False
) -> list[dict[str, Any]]:
    query = "?with_dismissed=true" if with_dismissed else ""
    response = await client.get(f"/api/v1/announcements{query}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    for announcement in body:
        assert_entity("Announcement", announcement)
        for reaction in announcement["reactions"]:
            assert_entity("Reaction", reaction)
    return body


def _reaction_path(announcement: dict[str, Any], name: str) -> str:
    return f"/api/v1/announcements/{announcement['id']}/reactions/{quote(name)}"


async def _admin_list(client: httpx.AsyncClient, admin: User) -> list[dict[str, Any]]:
    response = await client.get(ADMIN, headers=admin.headers)
    assert response.status_code == 200
    body: list[dict[str, Any]] = response.json()
    return body


async def test_admins_publish_users_read_and_dismiss(
    client: httpx.AsyncClient, admin: User
) -> None:
    ana = await sign_up(client, "ana")
    assert await _shown(client, ana) == []
    starts = datetime(2030, 5, 1, tzinfo=UTC)
    event = await _create(
        client,
        admin,
        text="Meet-up in the park\n\nBring <b>photos</b>",
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(days=1)).isoformat(),
        all_day=True,
    )
    assert event["published"] is True
    draft = await _create(client, admin, text="Not yet", published=False)
    assert (draft["published"], draft["published_at"]) == (False, None)

    [shown] = await _shown(client, ana)
    assert shown["id"] == event["id"]
    assert shown["content"] == "<p>Meet-up in the park</p><p>Bring &lt;b&gt;photos&lt;/b&gt;</p>"
    assert (shown["starts_at"], shown["all_day"], shown["read"]) == (
        "2030-05-01T00:00:00.000Z",
        True,
        False,
    )
    assert shown["reactions"] == [] and shown["emojis"] == []

    published = await client.patch(
        f"{ADMIN}/{draft['id']}", headers=admin.headers, data={"published": "true"}
    )
    assert published.status_code == 200 and published.json()["published"] is True
    # Mastodon's order: by the start of what they announce, else their publication.
    assert [a["id"] for a in await _shown(client, ana)] == [draft["id"], event["id"]]

    dismissed = await client.post(
        f"/api/v1/announcements/{event['id']}/dismiss", headers=ana.headers
    )
    assert dismissed.status_code == 200 and dismissed.json() == {}
    again = await client.post(f"/api/v1/announcements/{event['id']}/dismiss", headers=ana.headers)
    assert again.status_code == 200
    assert [a["id"] for a in await _shown(client, ana)] == [draft["id"]]
    with_dismissed = await _shown(client, ana, with_dismissed=True)
    assert [(a["id"], a["read"]) for a in with_dismissed] == [
        (draft["id"], False),
        (event["id"], True),
    ]
    # Another user has read nothing.
    bo = await sign_up(client, "bo")
    assert len(await _shown(client, bo)) == 2

    edited = await client.put(
        f"{ADMIN}/{draft['id']}", headers=admin.headers, json={"text": "Now it is"}
    )
    assert edited.status_code == 200
    assert (await _shown(client, bo))[0]["content"] == "<p>Now it is</p>"
    unpublished = await client.patch(
        f"{ADMIN}/{draft['id']}", headers=admin.headers, json={"published": False}
    )
    assert unpublished.status_code == 200
    assert [a["id"] for a in await _shown(client, bo)] == [event["id"]]
    deleted = await client.delete(f"{ADMIN}/{event['id']}", headers=admin.headers)
    assert deleted.status_code == 200
    assert await _shown(client, bo) == []
    assert [a["id"] for a in await _admin_list(client, admin)] == [draft["id"]]


async def test_an_announcement_past_its_end_is_not_shown(
    client: httpx.AsyncClient, admin: User
) -> None:
    ana = await sign_up(client, "ana")
    now = datetime.now(UTC)
    await _create(
        client,
        admin,
        text="Over",
        starts_at=(now - timedelta(days=2)).isoformat(),
        ends_at=(now - timedelta(days=1)).isoformat(),
    )
    current = await _create(
        client, admin, text="Current", ends_at=(now + timedelta(days=1)).isoformat()
    )
    assert [a["id"] for a in await _shown(client, ana)] == [current["id"]]


async def test_reactions_count_per_name_with_me(
    client: httpx.AsyncClient, admin: User, ctx: AppContext
) -> None:
    image = (
        pyvips.Image.black(16, 16, bands=3)
        .linear([1, 1, 1], [1, 99, 1])
        .cast("uchar")
        .pngsave_buffer()
    )
    emoji = await client.post(
        "/api/v1/shutter/admin/custom_emojis",
        headers=admin.headers,
        data={"shortcode": "blobcat"},
        files={"image": ("b.png", image, "image/png")},
    )
    assert emoji.status_code == 200, emoji.text
    announcement = await _create(client, admin, text="Hello :blobcat:")
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")

    for user, name in ((ana, THUMBS), (ana, THUMBS), (bo, THUMBS), (bo, "blobcat"), (ana, HEART)):
        response = await client.put(_reaction_path(announcement, name), headers=user.headers)
        assert response.status_code == 200, (name, response.text)
    [seen] = await _shown(client, ana)
    assert [e["shortcode"] for e in seen["emojis"]] == ["blobcat"]
    reactions = {r["name"]: r for r in seen["reactions"]}
    assert [r["name"] for r in seen["reactions"]] == [THUMBS, "blobcat", HEART]
    assert (reactions[THUMBS]["count"], reactions[THUMBS]["me"]) == (2, True)
    assert (reactions["blobcat"]["count"], reactions["blobcat"]["me"]) == (1, False)
    assert reactions["blobcat"]["url"] == emoji.json()["url"]
    assert reactions["blobcat"]["static_url"] == emoji.json()["static_url"]
    assert "url" not in reactions[THUMBS]
    [seen_by_bo] = await _shown(client, bo)
    assert {r["name"]: r["me"] for r in seen_by_bo["reactions"]} == {
        THUMBS: True,
        "blobcat": True,
        HEART: False,
    }

    taken_back = await client.delete(_reaction_path(announcement, THUMBS), headers=ana.headers)
    assert taken_back.status_code == 200
    taken_back = await client.delete(_reaction_path(announcement, HEART), headers=ana.headers)
    assert taken_back.status_code == 200
    not_given = await client.delete(_reaction_path(announcement, HEART), headers=ana.headers)
    assert not_given.status_code == 200
    [seen] = await _shown(client, ana)
    assert [(r["name"], r["count"], r["me"]) for r in seen["reactions"]] == [
        (THUMBS, 1, False),
        ("blobcat", 1, False),
    ]


async def test_bad_reactions_are_refused_and_change_nothing(
    client: httpx.AsyncClient, admin: User
) -> None:
    announcement = await _create(client, admin, text="React")
    draft = await _create(client, admin, text="Draft", published=False)
    ana = await sign_up(client, "ana")
    for name in (
        "notanemoji",
        "Blobcat",
        "a",
        "<script>",
        THUMBS + "x",
        ":blobcat:",
        "1",
        "\x00",
        "a\x00b",
    ):
        response = await client.put(_reaction_path(announcement, name), headers=ana.headers)
        assert response.status_code == 422, (name, response.text)
    on_draft = await client.put(_reaction_path(draft, THUMBS), headers=ana.headers)
    assert on_draft.status_code == 404
    unknown = await client.put(
        f"/api/v1/announcements/123456789/reactions/{quote(THUMBS)}", headers=ana.headers
    )
    assert unknown.status_code == 404
    assert (await client.put(_reaction_path(announcement, THUMBS))).status_code == 401
    [seen] = await _shown(client, ana)
    assert seen["reactions"] == []

    # At most eight different reactions, as Mastodon; one already given may still be added.
    names = [chr(0x1F600 + n) for n in range(8)]
    for name in names:
        assert (
            await client.put(_reaction_path(announcement, name), headers=ana.headers)
        ).status_code == 200
    ninth = await client.put(_reaction_path(announcement, THUMBS), headers=ana.headers)
    assert ninth.status_code == 422
    bo = await sign_up(client, "bo")
    same = await client.put(_reaction_path(announcement, names[0]), headers=bo.headers)
    assert same.status_code == 200
    [seen] = await _shown(client, ana)
    assert [r["name"] for r in seen["reactions"]] == names
    assert seen["reactions"][0]["count"] == 2


async def test_only_admins_write_announcements(
    client: httpx.AsyncClient, admin: User, ctx: AppContext
) -> None:
    kept = await _create(client, admin, text="Kept")
    ana = await sign_up(client, "ana")
    moderator = await staff(client, ctx, "mod", "moderator")
    for intruder in (ana, moderator):
        assert (
            await client.post(ADMIN, headers=intruder.headers, json={"text": "x"})
        ).status_code == 403
        assert (await client.get(ADMIN, headers=intruder.headers)).status_code == 403
        edit = await client.put(
            f"{ADMIN}/{kept['id']}", headers=intruder.headers, json={"text": "y"}
        )
        assert edit.status_code == 403
        assert (
            await client.delete(f"{ADMIN}/{kept['id']}", headers=intruder.headers)
        ).status_code == 403
    assert (await client.post(ADMIN, json={"text": "x"})).status_code == 401
    assert (await client.get("/api/v1/announcements")).status_code == 401
    assert [a["text"] for a in await _admin_list(client, admin)] == ["Kept"]


async def test_bad_announcements_are_refused_and_change_nothing(
    client: httpx.AsyncClient, admin: User
) -> None:
    kept = await _create(client, admin, text="Kept")
    before = await _admin_list(client, admin)
    for fields in (
        {},
        {"text": ""},
        {"text": "   "},
        {"text": "x" * 5001},
        {"text": "t", "starts_at": "tomorrow"},
        {"text": "t", "ends_at": "2030-13-45"},
        {"text": "t", "starts_at": "0001-01-01T00:00:00+01:00"},
        {"text": "t", "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"},
        {"text": "t", "all_day": True},
        {"text": "t", "published": "perhaps"},
        {"text": "t\x00"},
    ):
        response = await client.post(ADMIN, headers=admin.headers, json=fields)
        assert response.status_code == 422, (fields, response.text)
    bad_edit = await client.put(
        f"{ADMIN}/{kept['id']}",
        headers=admin.headers,
        json={"text": "Changed", "ends_at": "2020-01-01T00:00:00Z", "starts_at": "2021-01-01"},
    )
    assert bad_edit.status_code == 422
    assert (
        await client.put(f"{ADMIN}/123", headers=admin.headers, json={"text": "x"})
    ).status_code == 404
    ana = await sign_up(client, "ana")
    missing = await client.post("/api/v1/announcements/123456/dismiss", headers=ana.headers)
    assert missing.status_code == 404
    assert await _admin_list(client, admin) == before


async def _next(subscription: Subscription) -> dict[str, Any]:
    channel, event = await asyncio.wait_for(subscription.get(), 2.0)
    message = resolve_stream("user", account=Account(id=int(channel.split(":")[1]))).message(event)
    assert message is not None, event  # the user stream passes it on
    return message


async def test_user_streams_hear_of_announcements(
    client: httpx.AsyncClient, admin: User, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    subscription = await ctx.events.subscribe([user_channel(int(ana.id))])
    try:
        announcement = await _create(client, admin, text="Live")
        message = await _next(subscription)
        assert message["event"] == "announcement"
        payload = orjson.loads(message["payload"])
        assert_entity("Announcement", payload)
        assert payload["id"] == announcement["id"]

        await client.put(_reaction_path(announcement, THUMBS), headers=ana.headers)
        message = await _next(subscription)
        assert message["event"] == "announcement.reaction"
        assert orjson.loads(message["payload"]) == {
            "name": THUMBS,
            "count": 1,
            "announcement_id": announcement["id"],
        }

        await client.delete(f"{ADMIN}/{announcement['id']}", headers=admin.headers)
        message = await _next(subscription)
        assert (message["event"], message["payload"]) == ("announcement.delete", announcement["id"])
    finally:
        await subscription.close()


async def test_reactions_of_accounts_no_longer_shown_stop_counting(
    client: httpx.AsyncClient, admin: User, ctx: AppContext
) -> None:
    announcement = await _create(client, admin, text="Count me")
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    for user in (ana, bo):
        given = await client.put(_reaction_path(announcement, THUMBS), headers=user.headers)
        assert given.status_code == 200
    async with ctx.db.write() as session:
        await session.execute(
            update(Account).where(Account.id == int(bo.id)).values(suspended_at=utcnow())
        )
    [seen] = await _shown(client, ana)
    assert [(r["name"], r["count"]) for r in seen["reactions"]] == [(THUMBS, 1)]
