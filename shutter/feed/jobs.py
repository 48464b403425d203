"""Feed jobs: fan-out of a new post to followers in batches, back-fill after a follow,
and (for the Redis store) taking entries out after an unfollow, a block or a delete.

All are safe to run twice: inserts skip entries that exist, removals of what is gone do
nothing, and a post or follow that is gone by the time the job runs makes it do nothing.
"""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import service as accounts
from shutter.accounts.events import AccountDeleted
from shutter.feed import exclusive, service
from shutter.feed.store import feed_store
from shutter.graph import service as graph
from shutter.graph.events import FollowEnded, FollowStarted
from shutter.infra.context import AppContext, session_context
from shutter.infra.domain import subscribe
from shutter.infra.events import hashtag_channel, public_channel, user_channel
from shutter.infra.jobs import JobKind, enqueue, handles
from shutter.posts import render as post_render
from shutter.posts import service as posts
from shutter.posts.events import PostEdited, PostPublished, PostRemoved, TagUnfollowed
from shutter.posts.schemas import HydratedPost
from shutter.posts.service import tag_follows
from shutter.posts.stream_render import render_for_viewers

log = structlog.get_logger("shutter.feed")


@handles(service.FANOUT)
async def fanout(ctx: AppContext, payload: dict[str, Any]) -> None:
    post_id, author_id, after = payload["post_id"], payload["author_id"], payload["after"]
    batch = ctx.settings.fanout_batch_size
    async with ctx.db.write() as session:
        audience = await posts.fanout_audience(session, post_id=post_id)
        if audience is not None and not audience:  # gone, or direct to nobody
            if not after:
                await _stream_update(
                    ctx, session, post_id=post_id, account_ids=[author_id], first=True
                )
            return
        if not after and not await _fanned_out(session, ctx, author_id=author_id):
            # Hybrid fan-out: followers' feeds pull this author's posts when read.
            await _stream_update(ctx, session, post_id=post_id, account_ids=[author_id], first=True)
            return
        page = await graph.follower_ids_page(
            session, account_id=author_id, after_id=after, limit=batch
        )
        # A direct post reaches only the followers it mentions (as on Mastodon).
        followers = page if audience is None else [f for f in page if f in audience]
        # Nor does it reach those who keep its author in an exclusive list.
        excluded = await exclusive.excluding(session, author_id=author_id, account_ids=followers)
        followers = [f for f in followers if f not in excluded]
        await service.do_insert(
            session,
            store=feed_store(ctx),
            post_ids_by_author={author_id: [post_id]},
            account_ids=followers,
        )
        await _stream_update(
            ctx,
            session,
            post_id=post_id,
            account_ids=followers if after else [author_id, *followers],
            first=not after,
        )
        if len(page) == batch:
            # The next batch is its own job: a crash redoes one batch, not the whole fan-out.
            enqueue(
                session,
                service.FANOUT,
                {"post_id": post_id, "author_id": author_id, "after": page[-1]},
            )


@handles(service.FANOUT_TAGS)
async def fanout_tags(ctx: AppContext, payload: dict[str, Any]) -> None:
    """A batch of the accounts whose followed tags bring a public post to their feed.

    Written into their feeds whatever the author's follower count: the hybrid rule bounds
    the writes of a follower fan-out, and those who follow the author are left to it.
    """
    post_id, author_id, after = payload["post_id"], payload["author_id"], payload["after"]
    batch = ctx.settings.fanout_batch_size
    async with ctx.db.write() as session:
        page = await tag_follows.tag_follower_ids_page(
            session, post_id=post_id, after_id=after, limit=batch
        )
        if not page:
            return
        await service.do_insert(
            session,
            store=feed_store(ctx),
            post_ids_by_author={author_id: [post_id]},
            account_ids=page,
        )
        await _stream_update(ctx, session, post_id=post_id, account_ids=page, first=False)
        if len(page) == batch:
            enqueue(
                session,
                service.FANOUT_TAGS,
                {"post_id": post_id, "author_id": author_id, "after": page[-1]},
            )


async def _fanned_out(session: AsyncSession, ctx: AppContext, *, author_id: int) -> bool:
    """Whether the author's posts are written into feeds (not too many followers)."""
    found = await accounts.accounts_by_ids(session, {author_id})
    author = found.get(author_id)
    return author is not None and author.followers_count <= ctx.settings.fanout_follower_threshold


@handles(service.BACKFILL)
async def backfill(ctx: AppContext, payload: dict[str, Any]) -> None:
    account_id, author_id = payload["account_id"], payload["author_id"]
    async with ctx.db.write() as session:
        if not await graph.is_following(session, account_id=account_id, target_id=author_id):
            return
        if not await _fanned_out(session, ctx, author_id=author_id):
            return  # merged when read
        if await exclusive.is_excluded(session, account_id=account_id, author_id=author_id):
            return  # in an exclusive list of the account's (again, or since)
        recent = await posts.recent_post_ids(
            session, author_id=author_id, limit=service.BACKFILL_POSTS
        )
        await service.do_insert(
            session,
            store=feed_store(ctx),
            post_ids_by_author={author_id: recent},
            account_ids=[account_id],
        )


@handles(service.UNMERGE)
async def unmerge(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Take an author's posts out of a Redis feed (the SQL store did it in the request)."""
    if not feed_store(ctx).distributed:
        return
    account_id, author_id = payload["account_id"], payload["author_id"]
    async with ctx.db.read() as session:
        if await graph.is_following(
            session, account_id=account_id, target_id=author_id
        ) and not await exclusive.is_excluded(session, account_id=account_id, author_id=author_id):
            return  # followed again since, and in no exclusive list: its posts belong there
        await feed_store(ctx).remove_author(session, account_id=account_id, author_id=author_id)


@handles(service.REMOVE_POST)
async def remove_post(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Tell a batch of the author's followers' open streams that a post is gone (Mastodon's
    `delete` event), and take it out of their Redis feeds (the SQL store already did)."""
    post_id, author_id, after = payload["post_id"], payload["author_id"], payload["after"]
    batch = ctx.settings.fanout_batch_size
    async with ctx.db.write() as session:
        followers = await graph.follower_ids_page(
            session, account_id=author_id, after_id=after, limit=batch
        )
        if feed_store(ctx).distributed:
            await feed_store(ctx).remove_post(
                session, account_ids=followers, post_id=post_id, author_id=author_id
            )
        readers = followers + ([author_id] if after == 0 else [])
        event = {"event": "delete", "payload": str(post_id)}
        ctx.events.publish_many(session, [user_channel(a) for a in readers], event)
        if len(followers) == batch:
            enqueue(
                session,
                service.REMOVE_POST,
                {"post_id": post_id, "author_id": author_id, "after": followers[-1]},
            )


async def _stream_update(
    ctx: AppContext,
    session: AsyncSession,
    *,
    post_id: int,
    account_ids: list[int],
    first: bool,
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
    ctx.events.publish_many(session, [user_channel(a) for a in account_ids], event)
    # A silenced author stays out of public streams, as out of public timelines
    # (policies.listed_for: a stream cannot tell its followers apart cheaply).
    if first and body.get("visibility") == "public" and items[0].author.silenced_at is None:
        for tag in body.get("tags") or []:
            ctx.events.publish(session, hashtag_channel(tag["name"]), event)
        ctx.events.publish(session, public_channel(media=False), event)
        if body.get("media_attachments"):
            ctx.events.publish(session, public_channel(media=True), event)


# --- what the graph and posts publish (shutter/infra/domain.py) ------------------------


@subscribe(PostPublished)
async def on_post_published(session: AsyncSession, event: PostPublished) -> None:
    store = feed_store(session_context(session))
    await service.do_distribute(
        session, store=store, post_id=event.post_id, author_id=event.author_id
    )


@subscribe(PostRemoved)
async def on_post_removed(session: AsyncSession, event: PostRemoved) -> None:
    await service.do_remove_post(session, post_id=event.post_id, author_id=event.author_id)


@subscribe(FollowStarted)
async def on_follow_started(session: AsyncSession, event: FollowStarted) -> None:
    service.enqueue_backfill(session, account_id=event.follower_id, author_id=event.target_id)


@subscribe(FollowEnded)
async def on_follow_ended(session: AsyncSession, event: FollowEnded) -> None:
    await service.remove_author_from_feed(
        session, account_id=event.follower_id, author_id=event.target_id
    )


@subscribe(TagUnfollowed)
async def on_tag_unfollowed(session: AsyncSession, event: TagUnfollowed) -> None:
    await service.remove_tag_posts(session, account_id=event.account_id, tag_id=event.tag_id)


@subscribe(AccountDeleted)
async def on_account_deleted(session: AsyncSession, event: AccountDeleted) -> None:
    enqueue(session, service.REMOVE_ACCOUNT, {"account_id": event.account_id})


@handles(service.REMOVE_ACCOUNT)
async def remove_account(ctx: AppContext, payload: dict[str, Any]) -> None:
    """One batch of a deleted account's own feed; the next batch is its own job."""
    account_id = int(payload["account_id"])
    async with ctx.db.write() as session:
        removed = await feed_store(ctx).drop(
            session, account_id=account_id, limit=service.REMOVE_ACCOUNT_BATCH
        )
        if removed == service.REMOVE_ACCOUNT_BATCH:
            enqueue(session, service.REMOVE_ACCOUNT, {"account_id": account_id})


# --- edits: Mastodon's `status.update` --------------------------------------------------

# An edited post to the streams that carried it: followers' (then its tags' followers')
# user streams in batches, and once the public and hashtag streams.
STREAM_EDIT = JobKind("feed.stream_edit", timeout_seconds=60)


@subscribe(PostEdited)
async def on_post_edited(session: AsyncSession, event: PostEdited) -> None:
    if event.is_comment:
        return  # comments never enter feeds nor public streams
    payload = {"post_id": event.post_id, "author_id": event.author_id, "after": 0, "tags": False}
    enqueue(session, STREAM_EDIT, payload)


@handles(STREAM_EDIT)
async def stream_edit(ctx: AppContext, payload: dict[str, Any]) -> None:
    """One batch of `status.update` events, each reader's own rendering, to the readers
    the post's `update` reached (the same audience, hybrid and exclusive-list rules as
    `fanout` and `fanout_tags`); the next batch, or the tags' followers, is a job of its
    own. Streams drop it for viewers hiding the author and apply their filters."""
    post_id, author_id, after = payload["post_id"], payload["author_id"], payload["after"]
    tags = bool(payload.get("tags"))
    batch = ctx.settings.fanout_batch_size
    async with ctx.db.write() as session:
        items = await posts.hydrate(session, [post_id])
        if not items:
            return
        item = items[0]
        if tags:
            page = await tag_follows.tag_follower_ids_page(
                session, post_id=post_id, after_id=after, limit=batch
            )
            readers = page
        else:
            page, readers = await _edit_readers(
                ctx, session, author_id, post_id, after=after, limit=batch
            )
            if not after:
                await _stream_public_edit(ctx, session, item)
        for body, viewers in await render_for_viewers(session, ctx, item, readers):
            event = {
                "event": "status.update",
                "payload": orjson.dumps(body).decode(),
                "author_id": author_id,
            }
            ctx.events.publish_many(session, [user_channel(a) for a in viewers], event)
        if len(page) == batch:
            enqueue(session, STREAM_EDIT, {**payload, "after": page[-1]})
        elif not tags and await tag_follows.has_tag_followers(session, post_id=post_id):
            enqueue(session, STREAM_EDIT, {**payload, "after": 0, "tags": True})


async def _edit_readers(
    ctx: AppContext,
    session: AsyncSession,
    author_id: int,
    post_id: int,
    *,
    after: int,
    limit: int,
) -> tuple[list[int], list[int]]:
    """(the page of followers read, the readers among them and the author) for one batch."""
    audience = await posts.fanout_audience(session, post_id=post_id)
    own = [author_id] if not after else []
    if (audience is not None and not audience) or not await _fanned_out(
        session, ctx, author_id=author_id
    ):
        return [], own  # direct to nobody, or pulled by readers: only the author heard
    page = await graph.follower_ids_page(session, account_id=author_id, after_id=after, limit=limit)
    followers = page if audience is None else [f for f in page if f in audience]
    excluded = await exclusive.excluding(session, author_id=author_id, account_ids=followers)
    return page, own + [f for f in followers if f not in excluded]


async def _stream_public_edit(ctx: AppContext, session: AsyncSession, item: HydratedPost) -> None:
    """The public and hashtag streams' `status.update`, rendered for no one (as their
    `update`), by the same rule as `_stream_update`'s."""
    if item.post.visibility != "public" or item.author.silenced_at is not None:
        return
    [body] = await post_render.render_items(session, ctx, [item], viewer=None)
    event = {
        "event": "status.update",
        "payload": orjson.dumps(body).decode(),
        "author_id": item.author.id,
    }
    for tag in body.get("tags") or []:
        ctx.events.publish(session, hashtag_channel(tag["name"]), event)
    ctx.events.publish(session, public_channel(media=False), event)
    if body.get("media_attachments"):
        ctx.events.publish(session, public_channel(media=True), event)
