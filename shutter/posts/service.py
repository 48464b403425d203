"""Posts: create (idempotently), read with batched hydration, edit with history, delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.feed import service as feed
from shutter.graph import service as graph
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.errors import ApiError, forbidden, not_found, unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.infra.ids import parse_id as parse_raw_id
from shutter.media import service as media
from shutter.posts.models import IdempotencyKey, Post, PostEdit
from shutter.posts.schemas import HydratedPost


def check_caption(caption: str, *, limit: int) -> None:
    if len(caption) > limit:
        raise unprocessable(f"text is longer than {limit} characters", field="status")


def parse_id(raw: str | int | None, *, what: str = "Record") -> int:
    """A path or body id, or 404 when it cannot name a row."""
    value = parse_raw_id(raw)
    if value is None:
        raise not_found(what)
    return value


async def hydrate(session: AsyncSession, post_ids: list[int]) -> list[HydratedPost]:
    """Posts with authors and media in two queries, in the order of `post_ids`."""
    if not post_ids:
        return []
    rows = await session.execute(
        select(Post, Account)
        .join(Account, Account.id == Post.account_id)
        .where(Post.id.in_(post_ids) & Account.suspended_at.is_(None))
    )
    found = {post.id: HydratedPost(post, author) for post, author in rows.all()}
    attached = await media.media_for_posts(session, list(found))
    for post_id, item in found.items():
        item.media = attached.get(post_id, [])
    return [found[post_id] for post_id in post_ids if post_id in found]


async def access_post(
    session: AsyncSession, post_id: int | str, *, viewer: Account | None
) -> HydratedPost:
    """The post if `viewer` may see it; 404 otherwise (never reveal that it exists)."""
    items = await hydrate(session, [parse_id(post_id, what="Status")])
    if not items:
        raise not_found("Status")
    item = items[0]
    viewer_id = viewer.id if viewer else None
    if not await graph.can_view_posts(session, viewer_id=viewer_id, author=item.author):
        raise not_found("Status")
    return item


async def _replay(
    session: AsyncSession, *, ctx: AppContext, author: Account, key: str
) -> HydratedPost | None:
    """The post an earlier request with this Idempotency-Key made, if still fresh."""
    stored = await session.get(IdempotencyKey, (author.id, key))
    if stored is None:
        return None
    fresh_after = utcnow() - timedelta(seconds=ctx.settings.idempotency_ttl_seconds)
    if stored.created_at < fresh_after:
        await session.delete(stored)
        await session.flush()
        return None
    items = await hydrate(session, [stored.post_id])
    if not items:  # the post was deleted since: the key is free again
        await session.delete(stored)
        await session.flush()
        return None
    return items[0]


async def _claim_key(session: AsyncSession, *, author: Account, key: str, post_id: int) -> None:
    """Record the key first, so a concurrent duplicate waits on it and then replays."""
    try:
        async with session.begin_nested():
            session.add(IdempotencyKey(account_id=author.id, key=key, post_id=post_id))
    except IntegrityError:
        raise ApiError(
            409, "A request with this Idempotency-Key is already being processed"
        ) from None


@dataclass
class NewPost:
    caption: str
    media_ids: list[str]
    in_reply_to_id: str | None = None
    idempotency_key: str | None = None
    app_id: int | None = None


async def do_create_post(
    session: AsyncSession, *, ctx: AppContext, author: Account, new: NewPost
) -> HydratedPost:
    """Create a post (or a text reply); 422 on any rule broken, nothing written then."""
    key = (new.idempotency_key or "").strip()[:200]
    if key and (earlier := await _replay(session, ctx=ctx, author=author, key=key)):
        return earlier
    settings = ctx.settings
    check_caption(new.caption, limit=settings.max_caption_chars)
    parent = None
    if new.in_reply_to_id:
        parent = await access_post(session, new.in_reply_to_id, viewer=author)
        if new.media_ids:
            raise unprocessable("comments are text only", field="media_ids")
        if not new.caption.strip():
            raise unprocessable("a comment needs text", field="status")
        attachments = []
    else:
        if not new.media_ids:
            raise unprocessable("a post needs at least one photo", field="media_ids")
        attachments = await media.access_attachable_media(
            session,
            account_id=author.id,
            media_ids=new.media_ids,
            max_count=settings.max_media_per_post,
        )
    now = utcnow()
    post = Post(
        id=ids.next_id(shard_of(author.id)),
        account_id=author.id,
        caption=new.caption,
        visibility="public",
        in_reply_to_id=parent.post.id if parent else None,
        in_reply_to_account_id=parent.author.id if parent else None,
        app_id=new.app_id,
        created_at=now,
    )
    if key:
        await _claim_key(session, author=author, key=key, post_id=post.id)
    session.add(post)
    await session.flush()
    await media.do_attach(session, media=attachments, post_id=post.id)
    await accounts.adjust_counts(session, author.id, statuses=1, last_status_at=now)
    if parent is None:
        await feed.do_distribute(session, post_id=post.id, author_id=author.id)
    author = await accounts.access_account(session, author.id)  # with its new counts
    return HydratedPost(post, author, attachments)


def _media_descriptions(item: HydratedPost) -> dict[str, str]:
    return {str(m.id): m.description or "" for m in item.media}


async def do_edit_post(
    session: AsyncSession,
    *,
    ctx: AppContext,
    editor: Account,
    post_id: int,
    caption: str | None,
    media_ids: list[str] | None,
    descriptions: dict[int, str],
) -> HydratedPost:
    """Change caption and alt texts, keeping every earlier version in the history."""
    item = await access_post(session, post_id, viewer=editor)
    if item.post.account_id != editor.id:
        raise forbidden()
    if media_ids is not None and [int(i) for i in media_ids if i.isdigit()] != [
        m.id for m in item.media
    ]:
        raise unprocessable("the photos of a post cannot be changed", field="media_ids")
    unknown = set(descriptions) - {m.id for m in item.media}
    if unknown:
        raise unprocessable(
            "media_attributes names media not in this post", field="media_attributes"
        )
    new_caption = item.post.caption if caption is None else caption
    check_caption(new_caption, limit=ctx.settings.max_caption_chars)
    post = item.post
    if not await session.scalar(select(PostEdit.id).where(PostEdit.post_id == post.id).limit(1)):
        # The first edit also records the original, so the history starts where the post did.
        session.add(
            PostEdit(
                id=ids.next_id(shard_of(post.account_id)),
                post_id=post.id,
                caption=post.caption,
                media_descriptions=_media_descriptions(item),
                created_at=post.created_at,
            )
        )
    await media.do_update_descriptions(session, post_id=post.id, descriptions=descriptions)
    for m in item.media:
        if m.id in descriptions:
            m.description = descriptions[m.id]
    now = utcnow()
    post.caption = new_caption
    post.edited_at = now
    post.version += 1
    session.add(
        PostEdit(
            id=ids.next_id(shard_of(post.account_id)),
            post_id=post.id,
            caption=new_caption,
            media_descriptions=_media_descriptions(item),
            created_at=now,
        )
    )
    await session.flush()
    return item


async def edit_history(
    session: AsyncSession, *, post_id: int, viewer: Account | None
) -> tuple[HydratedPost, list[PostEdit]]:
    item = await access_post(session, post_id, viewer=viewer)
    edits = list(
        await session.scalars(
            select(PostEdit).where(PostEdit.post_id == item.post.id).order_by(PostEdit.id)
        )
    )
    if not edits:
        edits = [
            PostEdit(
                id=item.post.id,
                post_id=item.post.id,
                caption=item.post.caption,
                media_descriptions=_media_descriptions(item),
                created_at=item.post.created_at,
            )
        ]
    return item, edits


async def do_delete_post(
    session: AsyncSession, *, ctx: AppContext, actor: Account, post_id: int
) -> HydratedPost:
    """Delete a post with its media files and feed entries; only its author may."""
    item = await access_post(session, post_id, viewer=actor)
    if item.post.account_id != actor.id:
        raise forbidden()
    await feed.do_remove_post(session, post_id=item.post.id)
    await media.do_delete_for_post(session, ctx=ctx, post_id=item.post.id)
    await session.execute(delete(PostEdit).where(PostEdit.post_id == item.post.id))
    await session.execute(delete(Post).where(Post.id == item.post.id))
    await accounts.adjust_counts(session, actor.id, statuses=-1)
    return item


async def account_posts_query(
    session: AsyncSession, *, author: Account, viewer: Account | None
) -> Select[int] | None:
    """The ids of an author's posts (not comments), or None if the viewer may not see them."""
    viewer_id = viewer.id if viewer else None
    if not await graph.can_view_posts(session, viewer_id=viewer_id, author=author):
        return None
    return select(Post.id).where((Post.account_id == author.id) & Post.in_reply_to_id.is_(None))


async def post_exists(session: AsyncSession, *, post_id: int) -> bool:
    return await session.scalar(select(Post.id).where(Post.id == post_id)) is not None


async def recent_post_ids(session: AsyncSession, *, author_id: int, limit: int) -> list[int]:
    """The author's newest posts (not comments), newest first."""
    rows = await session.scalars(
        select(Post.id)
        .where((Post.account_id == author_id) & Post.in_reply_to_id.is_(None))
        .order_by(Post.id.desc())
        .limit(limit)
    )
    return list(rows)
