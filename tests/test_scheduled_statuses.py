"""Scheduled posts (`scheduled_at`, `/api/v1/scheduled_statuses`), end to end through the
API on SQLite and PostgreSQL, published by running the job queue under a clock the test
moves (the queue's and the scheduler's `utcnow`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select

from shutter.infra import jobs
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.ids import ids
from shutter.media.models import Media
from shutter.media.service import cleanup
from shutter.posts import jobs as post_jobs
from shutter.posts.models import Post, ScheduledStatus
from shutter.posts.service import scheduled
from tests.support.api import User, sign_up, upload_photo
from tests.support.schema import assert_entity
from tests.support.states import change

RunJobs = Callable[[], Awaitable[int]]
PATH = "/api/v1/scheduled_statuses"


@dataclass
class Clock:
    """The time the job queue and the scheduler read: real time moved on by `offset`."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(jobs, "utcnow", moved.now)
    monkeypatch.setattr(scheduled, "utcnow", moved.now)
    return moved


def at(clock: Clock, **ahead: float) -> str:
    return (clock.now() + timedelta(**ahead)).isoformat()


async def schedule(
    client: httpx.AsyncClient,
    user: User,
    when: str,
    fields: dict[str, Any],
    *,
    expect: int = 200,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    body = {"scheduled_at": when, **fields}
    response = await client.post(
        "/api/v1/statuses", headers={**user.headers, **(headers or {})}, json=body
    )
    assert response.status_code == expect, response.text
    if expect == 200:
        assert_entity("ScheduledStatus", response.json())
    return response.json()


async def photo_post(
    client: httpx.AsyncClient, user: User, when: str, caption: str = "later"
) -> dict[str, Any]:
    photo = await upload_photo(client, user)
    fields = {"status": caption, "media_ids": [photo["id"]]}
    return await schedule(client, user, when, fields)


async def posts_of(client: httpx.AsyncClient, user: User) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/accounts/{user.id}/statuses", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def counts(ctx: AppContext) -> tuple[int, int]:
    async with ctx.db.read() as session:
        rows = await session.scalar(select(func.count()).select_from(ScheduledStatus))
        posts = await session.scalar(select(func.count()).select_from(Post))
    return rows or 0, posts or 0


async def test_a_scheduled_post_is_published_on_time_with_its_media(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, clock: Clock
) -> None:
    ana = await sign_up(client, "ana")
    made = await photo_post(client, ana, at(clock, minutes=10), "sunrise, later")
    assert made["params"]["text"] == "sunrise, later"
    assert made["params"]["visibility"] == "public"
    assert len(made["media_attachments"]) == 1
    assert made["params"]["media_ids"] == [made["media_attachments"][0]["id"]]

    listed = await client.get(PATH, headers=ana.headers)
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()] == [made["id"]]
    one = await client.get(f"{PATH}/{made['id']}", headers=ana.headers)
    assert one.status_code == 200, one.text
    assert_entity("ScheduledStatus", one.json())

    await run_jobs()
    assert await posts_of(client, ana) == []
    clock.advance(minutes=9)
    await run_jobs()
    assert await posts_of(client, ana) == []

    clock.advance(minutes=2)
    await run_jobs()
    [published] = await posts_of(client, ana)
    assert_entity("Status", published)
    assert "sunrise, later" in published["content"]
    assert [m["id"] for m in published["media_attachments"]] == made["params"]["media_ids"]
    assert (await client.get(PATH, headers=ana.headers)).json() == []
    assert (await client.get(f"{PATH}/{made['id']}", headers=ana.headers)).status_code == 404
    await run_jobs()
    assert await counts(ctx) == (0, 1)


async def test_publishing_is_exactly_once_even_when_a_job_runs_twice(
    client: httpx.AsyncClient, ctx: AppContext, clock: Clock
) -> None:
    ana = await sign_up(client, "ana")
    made = await photo_post(client, ana, at(clock, minutes=6))
    clock.advance(minutes=7)
    # Two workers holding the same job (a lease that ran out while the first ran).
    payload = {"id": int(made["id"])}
    await asyncio.gather(
        post_jobs.publish_scheduled(ctx, payload), post_jobs.publish_scheduled(ctx, payload)
    )
    await post_jobs.publish_scheduled(ctx, payload)
    assert await counts(ctx) == (0, 1)
    assert len(await posts_of(client, ana)) == 1


async def test_moving_the_time(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, clock: Clock
) -> None:
    ana = await sign_up(client, "ana")
    made = await photo_post(client, ana, at(clock, minutes=10))
    later = at(clock, hours=2)
    moved = await client.put(
        f"{PATH}/{made['id']}", headers=ana.headers, json={"scheduled_at": later}
    )
    assert moved.status_code == 200, moved.text
    assert_entity("ScheduledStatus", moved.json())
    assert moved.json()["scheduled_at"].startswith(later[:16])
    clock.advance(minutes=30)
    await run_jobs()  # the first time passed: its job finds the post moved on
    assert await posts_of(client, ana) == []
    clock.advance(hours=2)
    await run_jobs()
    assert len(await posts_of(client, ana)) == 1
    # Moved earlier: the earlier job publishes, the later one finds nothing.
    second = await photo_post(client, ana, at(clock, hours=3))
    sooner = await client.put(
        f"{PATH}/{second['id']}",
        headers=ana.headers,
        data={"scheduled_at": at(clock, minutes=20)},
    )
    assert sooner.status_code == 200, sooner.text
    clock.advance(minutes=21)
    await run_jobs()
    assert len(await posts_of(client, ana)) == 2
    clock.advance(hours=4)
    await run_jobs()
    assert await counts(ctx) == (0, 2)


async def test_media_stay_held_until_published_or_cancelled(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, clock: Clock
) -> None:
    ana = await sign_up(client, "ana")
    made = await photo_post(client, ana, at(clock, days=3))
    media_id = made["params"]["media_ids"][0]
    # Not another post's, and not purged as an unattached upload, however old.
    taken = await client.post(
        "/api/v1/statuses", headers=ana.headers, json={"status": "x", "media_ids": [media_id]}
    )
    assert taken.status_code == 422, taken.text
    purged, _ = await cleanup.purge_unattached(ctx, now=utcnow() + timedelta(days=30))
    assert purged == 0
    # Cancelled: the media are an upload again, free for a post.
    cancelled = await client.delete(f"{PATH}/{made['id']}", headers=ana.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json() == {}
    posted = await client.post(
        "/api/v1/statuses", headers=ana.headers, json={"status": "now", "media_ids": [media_id]}
    )
    assert posted.status_code == 200, posted.text
    clock.advance(days=4)
    await run_jobs()  # the cancelled post's job finds nothing
    assert await counts(ctx) == (0, 1)
    # Cancelled and never posted: purged in its time like any upload.
    second = await photo_post(client, ana, at(clock, days=1))
    await client.delete(f"{PATH}/{second['id']}", headers=ana.headers)
    purged, _ = await cleanup.purge_unattached(ctx, now=utcnow() + timedelta(days=30))
    assert purged == 1


async def test_an_account_suspended_meanwhile_does_not_publish(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, clock: Clock
) -> None:
    ana = await sign_up(client, "ana")
    made = await photo_post(client, ana, at(clock, minutes=10))
    await change(ctx, ana, "suspend")
    clock.advance(minutes=11)
    await run_jobs()
    assert await counts(ctx) == (0, 0)
    async with ctx.db.read() as session:
        media = await session.get(Media, int(made["params"]["media_ids"][0]))
    assert media is not None
    assert media.scheduled_status_id is None and media.post_id is None  # released


async def test_a_post_whose_media_went_meanwhile_is_dropped(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, clock: Clock
) -> None:
    ana = await sign_up(client, "ana")
    photos = [await upload_photo(client, ana) for _ in range(2)]
    made = await schedule(
        client,
        ana,
        at(clock, minutes=10),
        {"status": "pair", "media_ids": [p["id"] for p in photos]},
    )
    async with ctx.db.write() as session:  # however it went (a purge, a moderator)
        await session.execute(delete(Media).where(Media.id == int(photos[0]["id"])))
    clock.advance(minutes=11)
    await run_jobs()
    assert await counts(ctx) == (0, 0)  # posting now would be refused: so is publishing
    async with ctx.db.read() as session:
        kept = await session.get(Media, int(photos[1]["id"]))
    assert kept is not None and kept.scheduled_status_id is None  # released
    assert (await client.get(f"{PATH}/{made['id']}", headers=ana.headers)).status_code == 404


async def test_a_scheduled_reply_whose_post_is_gone_is_dropped(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, clock: Clock
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    photo = await upload_photo(client, ana)
    post = await client.post(
        "/api/v1/statuses", headers=ana.headers, json={"status": "p", "media_ids": [photo["id"]]}
    )
    target = post.json()["id"]
    kept = await schedule(
        client,
        bo,
        at(clock, minutes=10),
        {"status": "nice", "in_reply_to_id": target},
        expect=200,
    )
    assert kept["params"]["in_reply_to_id"] == int(target)
    dropped = await schedule(
        client,
        bo,
        at(clock, minutes=30),
        {"status": "late", "in_reply_to_id": target},
        expect=200,
    )
    clock.advance(minutes=11)
    await run_jobs()
    replies = await client.get(f"/api/v1/statuses/{target}/context", headers=bo.headers)
    assert [s["content"] for s in replies.json()["descendants"]] == ["<p>nice</p>"]
    await client.delete(f"/api/v1/statuses/{target}", headers=ana.headers)
    clock.advance(minutes=30)
    await run_jobs()
    assert await counts(ctx) == (0, 0)
    assert (await client.get(f"{PATH}/{dropped['id']}", headers=bo.headers)).status_code == 404


async def test_a_scheduled_direct_message_reaches_the_conversation(
    client: httpx.AsyncClient, run_jobs: RunJobs, clock: Clock
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    made = await schedule(
        client,
        ana,
        at(clock, minutes=6),
        {"status": "@bo soon", "visibility": "direct"},
        expect=200,
    )
    assert made["media_attachments"] == []
    assert (await client.get("/api/v1/conversations", headers=bo.headers)).json() == []
    clock.advance(minutes=7)
    await run_jobs()
    [conversation] = (await client.get("/api/v1/conversations", headers=bo.headers)).json()
    assert conversation["unread"] is True
    assert "soon" in conversation["last_status"]["content"]


async def test_idempotency_key_returns_the_same_scheduled_post(
    client: httpx.AsyncClient, ctx: AppContext, clock: Clock
) -> None:
    ana = await sign_up(client, "ana")
    photo = await upload_photo(client, ana)
    when = at(clock, hours=1)
    key = {"Idempotency-Key": "abc-123"}
    first = await schedule(
        client, ana, when, {"status": "x", "media_ids": [photo["id"]]}, headers=key
    )
    again = await schedule(
        client, ana, when, {"status": "x", "media_ids": [photo["id"]]}, headers=key
    )
    assert again["id"] == first["id"]
    assert again["media_attachments"] == first["media_attachments"]
    assert again["params"]["idempotency"] == "abc-123"
    assert await counts(ctx) == (1, 0)
    # Cancelled, the key is free again: the same request schedules anew.
    await client.delete(f"{PATH}/{first['id']}", headers=ana.headers)
    anew = await schedule(
        client, ana, when, {"status": "x", "media_ids": [photo["id"]]}, headers=key
    )
    assert anew["id"] != first["id"]
    assert await counts(ctx) == (1, 0)


async def _seed(ctx: AppContext, user: User, moments: list[datetime]) -> None:
    """Scheduled rows put straight into the table (the limits, not the route, are tested)."""
    async with ctx.db.write() as session:
        for moment in moments:
            session.add(
                ScheduledStatus(
                    id=ids.next_id(0),
                    account_id=int(user.id),
                    scheduled_at=moment,
                    params={"text": "seeded", "visibility": "direct"},
                )
            )


async def test_mastodons_limits(client: httpx.AsyncClient, ctx: AppContext, clock: Clock) -> None:
    ana = await sign_up(client, "ana")
    day = (clock.now() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    await _seed(ctx, ana, [day + timedelta(minutes=i) for i in range(24)])
    text = {"status": "@ana note", "visibility": "direct"}
    made = await schedule(client, ana, (day + timedelta(hours=5)).isoformat(), text)
    refused = await schedule(client, ana, (day + timedelta(hours=6)).isoformat(), text, expect=422)
    assert "scheduled_at" in refused["details"]
    # Moving one into the full day is refused too; another day is fine.
    moved = await client.put(
        f"{PATH}/{made['id']}",
        headers=ana.headers,
        json={"scheduled_at": (day + timedelta(days=1)).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    await schedule(client, ana, (day + timedelta(hours=6)).isoformat(), text)
    assert await counts(ctx) == (26, 0)
    # 300 in all at most, whatever the days.
    await _seed(ctx, ana, [day + timedelta(days=3 + i // 20, minutes=i) for i in range(274)])
    await schedule(client, ana, (day + timedelta(days=100)).isoformat(), text, expect=422)
    assert await counts(ctx) == (300, 0)
    page = await client.get(f"{PATH}?limit=40", headers=ana.headers)
    assert len(page.json()) == 40
    assert 'rel="next"' in page.headers["Link"]
    next_url = page.headers["Link"].split(";")[0].strip("<>")
    more = await client.get(next_url, headers=ana.headers)
    assert len(more.json()) == 40
    assert not {s["id"] for s in more.json()} & {s["id"] for s in page.json()}


async def test_hostile_inputs_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, clock: Clock
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    photo = await upload_photo(client, ana)
    media = {"status": "x", "media_ids": [photo["id"]]}
    for when in (
        at(clock, minutes=4),
        at(clock, days=-1),
        "tomorrow",
        "2026-13-45T00:00:00Z",
        "2026-12-04T10:00:00\x00",
        "9" * 40,
        "0001-01-01T00:00:00+14:00",
    ):
        await schedule(client, ana, when, media, expect=422)
    # What posting now refuses, scheduling refuses too.
    await schedule(client, ana, at(clock, hours=1), {"status": "no photo"}, expect=422)
    await schedule(client, bo, at(clock, hours=1), {"media_ids": [photo["id"]]}, expect=422)
    await schedule(client, ana, at(clock, hours=1), {**media, "visibility": "everyone"}, expect=422)
    await schedule(
        client,
        ana,
        at(clock, hours=1),
        {"status": "y" * 600, "media_ids": [photo["id"]]},
        expect=422,
    )
    assert await counts(ctx) == (0, 0)
    made = await schedule(client, ana, at(clock, hours=1), media)
    for raw in ("abc", "-1", "99999999999999999999999", "1.5", made["id"] + "0"):
        for method in ("GET", "PUT", "DELETE"):
            response = await client.request(
                method,
                f"{PATH}/{raw}",
                headers=ana.headers,
                json={"scheduled_at": at(clock, hours=2)},
            )
            assert response.status_code == 404, (method, raw, response.text)
    for method in ("GET", "PUT", "DELETE"):  # someone else's
        response = await client.request(
            method,
            f"{PATH}/{made['id']}",
            headers=bo.headers,
            json={"scheduled_at": at(clock, hours=2)},
        )
        assert response.status_code == 404, response.text
    for body in (
        {},
        {"scheduled_at": ""},
        {"scheduled_at": at(clock, minutes=1)},
        {"scheduled_at": 5},
    ):
        response = await client.put(f"{PATH}/{made['id']}", headers=ana.headers, json=body)
        assert response.status_code == 422, (body, response.text)
    for query in ("max_id=abc", "limit=lots"):
        assert (await client.get(f"{PATH}?{query}", headers=ana.headers)).status_code == 422
    assert (await client.get(PATH)).status_code == 401
    assert await counts(ctx) == (1, 0)
    unchanged = await client.get(f"{PATH}/{made['id']}", headers=ana.headers)
    assert unchanged.json() == made
    assert datetime.fromisoformat(made["scheduled_at"]) > datetime.now(UTC)
