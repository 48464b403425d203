"""What lists do when others act: an unfollow or block takes the account out of the
follower's lists, a deleted account's lists and memberships go (by jobs), and a member's
new, edited or deleted post reaches the open `list` streams of the lists holding it
(`update`, `status.update`, `delete`), its comments too where the list's replies policy
shows them."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.events import AccountDeleted
from shutter.graph.events import FollowEnded
from shutter.infra.context import AppContext
from shutter.infra.domain import subscribe
from shutter.infra.jobs import JobKind, enqueue, handles
from shutter.lists import service
from shutter.lists.timeline import shows_post
from shutter.posts import service as posts
from shutter.posts.events import CommentPosted, PostEdited, PostPublished, PostRemoved
from shutter.posts.service import threads
from shutter.posts.stream_render import render_for_viewers

REMOVE_ACCOUNT = JobKind("lists.remove_account", timeout_seconds=60)
STREAM_POST = JobKind("lists.stream_post", timeout_seconds=60)
STREAM_DELETE = JobKind("lists.stream_delete", timeout_seconds=60)


@subscribe(FollowEnded)
async def on_follow_ended(session: AsyncSession, event: FollowEnded) -> None:
    # In the unfollow's (or block's) own transaction: a list never holds an account its
    # owner does not follow.
    await service.remove_from_owner_lists(
        session, owner_id=event.follower_id, account_id=event.target_id
    )


@subscribe(AccountDeleted)
async def on_account_deleted(session: AsyncSession, event: AccountDeleted) -> None:
    enqueue(session, REMOVE_ACCOUNT, {"account_id": event.account_id})


@handles(REMOVE_ACCOUNT)
async def remove_account(ctx: AppContext, payload: dict[str, Any]) -> None:
    account_id = int(payload["account_id"])
    async with ctx.db.write() as session:
        if await service.do_remove_account(session, account_id=account_id):
            enqueue(session, REMOVE_ACCOUNT, {"account_id": account_id})


@subscribe(PostPublished)
async def on_post_published(session: AsyncSession, event: PostPublished) -> None:
    enqueue(session, STREAM_POST, {"post_id": event.post_id, "author_id": event.author_id})


@subscribe(CommentPosted)
async def on_comment_posted(session: AsyncSession, event: CommentPosted) -> None:
    enqueue(session, STREAM_POST, {"post_id": event.post_id, "author_id": event.author_id})


@subscribe(PostEdited)
async def on_post_edited(session: AsyncSession, event: PostEdited) -> None:
    payload = {"post_id": event.post_id, "author_id": event.author_id, "edited": True}
    enqueue(session, STREAM_POST, payload)


@subscribe(PostRemoved)
async def on_post_removed(session: AsyncSession, event: PostRemoved) -> None:
    enqueue(session, STREAM_DELETE, {"post_id": event.post_id, "author_id": event.author_id})


@handles(STREAM_POST)
async def stream_post(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Tell the open streams of the lists holding the author about a new post or comment
    (`update`) or an edited one (`status.update`), for each list that shows it (the
    replies policy, as the list's timeline) to an owner who may see it
    (shutter/policies.py), rendered as that owner sees it. Lists are read when their
    timeline is; nothing is stored here."""
    post_id, author_id = int(payload["post_id"]), int(payload["author_id"])
    kind = "status.update" if payload.get("edited") else "update"
    async with ctx.db.write() as session:
        items = await posts.hydrate(session, [post_id])
        holding = await service.lists_with_member(session, account_id=author_id)
        if not items or not holding or items[0].post.visibility == policies.DIRECT:
            return
        item = items[0]
        root = await threads.root_of(session, item.post) if item.post.root_id else None
        authors = {author_id} | ({root[1].id} if root else set())
        channels: dict[int, list[str]] = {}
        for found in holding:
            if item.post.in_reply_to_id is not None and not await shows_post(
                session, found, post_id=post_id
            ):
                continue
            relations = await policies.load_relations(
                session, viewer_id=found.account_id, author_ids=authors
            )
            if policies.may_open(item.post, item.author, relations, root=root):
                channels.setdefault(found.account_id, []).append(service.list_channel(found.id))
        for body, owners in await render_for_viewers(session, ctx, item, list(channels)):
            # author_id stays on the server: streams drop events of authors the viewer hides.
            event = {"event": kind, "payload": orjson.dumps(body).decode(), "author_id": author_id}
            ctx.events.publish_many(session, [c for o in owners for c in channels[o]], event)


@handles(STREAM_DELETE)
async def stream_delete(ctx: AppContext, payload: dict[str, Any]) -> None:
    post_id, author_id = int(payload["post_id"]), int(payload["author_id"])
    async with ctx.db.write() as session:
        holding = await service.lists_with_member(session, account_id=author_id)
        channels = [service.list_channel(found.id) for found in holding]
        if channels:
            ctx.events.publish_many(session, channels, {"event": "delete", "payload": str(post_id)})
