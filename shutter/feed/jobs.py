"""Feed jobs: fan-out of a new post to followers in batches, back-fill after a follow.

Both are safe to run twice: inserts skip entries that exist, and a post or follow that
is gone by the time the job runs makes it do nothing.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.feed import service
from shutter.graph import service as graph
from shutter.infra.context import AppContext
from shutter.infra.events import hashtag_channel, user_channel
from shutter.infra.jobs import enqueue, job
from shutter.posts import render as post_render
from shutter.posts import service as posts


@job("feed.fanout", timeout_seconds=60)
async def fanout(ctx: AppContext, payload: dict[str, Any]) -> None:
    post_id, author_id, after = payload["post_id"], payload["author_id"], payload["after"]
    batch = ctx.settings.fanout_batch_size
    async with ctx.db.write() as session:
        if not await posts.post_exists(session, post_id=post_id):
            return
        followers = await graph.follower_ids_page(
            session, account_id=author_id, after_id=after, limit=batch
        )
        await service.do_insert(
            session, post_ids_by_author={author_id: [post_id]}, account_ids=followers
        )
        await service.trim_feeds(
            session,
            account_ids=service.sample_for_trim(followers),
            cap=ctx.settings.feed_max_entries,
        )
        await _stream_update(
            ctx,
            session,
            post_id=post_id,
            account_ids=followers if after else [author_id, *followers],
            first_batch=not after,
        )
        if len(followers) == batch:
            # The next batch is its own job: a crash redoes one batch, not the whole fan-out.
            enqueue(
                session,
                "feed.fanout",
                {"post_id": post_id, "author_id": author_id, "after": followers[-1]},
            )


@job("feed.backfill", timeout_seconds=60)
async def backfill(ctx: AppContext, payload: dict[str, Any]) -> None:
    account_id, author_id = payload["account_id"], payload["author_id"]
    async with ctx.db.write() as session:
        if not await graph.is_following(session, account_id=account_id, target_id=author_id):
            return
        recent = await posts.recent_post_ids(
            session, author_id=author_id, limit=service.BACKFILL_POSTS
        )
        await service.do_insert(
            session, post_ids_by_author={author_id: recent}, account_ids=[account_id]
        )


async def _stream_update(
    ctx: AppContext,
    session: AsyncSession,
    *,
    post_id: int,
    account_ids: list[int],
    first_batch: bool,
) -> None:
    """Tell open `user` streams of these feeds (and, once, hashtag streams) about the post.

    Rendered once for everyone: a new post has no likes or saves of any viewer yet.
    """
    items = await posts.hydrate(session, [post_id])
    if not items:
        return
    [body] = await post_render.render_items(session, ctx, items, viewer=None)
    # author_id stays on the server: streams drop the event for viewers hiding the author.
    event = {
        "event": "update",
        "payload": orjson.dumps(body).decode(),
        "author_id": items[0].author.id,
    }
    for account_id in account_ids:
        ctx.events.publish(session, user_channel(account_id), event)
    if first_batch and body.get("visibility") == "public":
        for tag in body.get("tags") or []:
            ctx.events.publish(session, hashtag_channel(tag["name"]), event)
