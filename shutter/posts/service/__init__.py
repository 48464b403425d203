"""Posts and comments: create (idempotently), read with batched hydration, delete (a post
with its comments, a comment with its replies). Beside these rules: edits with their
history (edits.py), comment threads (threads.py), tags and mentions (entities.py), likes
and saves (likes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.domain import publish
from shutter.infra.errors import ApiError, forbidden, not_found, unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.infra.ids import parse_id as parse_raw_id
from shutter.media import service as media
from shutter.posts.events import (
    CommentPosted,
    DirectPosted,
    Mentioned,
    PostPublished,
    PostRemoved,
    StatusesDeleted,
)
from shutter.posts.models import IdempotencyKey, Post, PostEdit
from shutter.posts.schemas import HydratedPost
from shutter.posts.service import threads
from shutter.posts.service.entities import do_store_entities, mentioned_ids


def check_caption(caption: str, *, limit: int, spoiler_text: str = "") -> None:
    # As on Mastodon, the content warning counts towards the text's length.
    if len(caption) + len(spoiler_text) > limit:
        raise unprocessable(f"text is longer than {limit} characters", field="status")


def choose_visibility(asked: str | None, *, author: Account, parent: Post | None) -> str:
    """The audience of a new post: as asked, else the author's default; a reply to a
    direct post stays direct unless asked otherwise. An unknown audience is refused."""
    if asked:
        if asked not in policies.VISIBILITIES:
            raise unprocessable(
                "visibility must be one of " + ", ".join(policies.VISIBILITIES),
                field="visibility",
            )
        return asked
    if parent is not None and parent.visibility == policies.DIRECT:
        return policies.DIRECT
    return author.privacy


def parse_id(raw: str | int | None, *, what: str = "Record") -> int:
    """A path or body id, or 404 when it cannot name a row."""
    value = parse_raw_id(raw)
    if value is None:
        raise not_found(what)
    return value


async def hydrate(
    session: AsyncSession, post_ids: list[int], *, any_author: bool = False
) -> list[HydratedPost]:
    """Posts with authors and media in two queries, in the order of `post_ids`; only
    those of shown authors, unless `any_author` (what staff review: a report's posts)."""
    if not post_ids:
        return []
    shown: ColumnElement[bool] = Post.id.in_(post_ids)
    if not any_author:
        shown = shown & policies.account_shown_sql()
    rows = await session.execute(
        select(Post, Account).join(Account, Account.id == Post.account_id).where(shown)
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
    root = await threads.root_of(session, item.post) if item.post.root_id is not None else None
    if item.post.root_id is not None and root is None:
        raise not_found("Status")
    authors = {item.author.id} | ({root[1].id} if root else set())
    relations = await policies.load_relations(session, viewer_id=viewer_id, author_ids=authors)
    # A comment shows only where its post shows (a private post keeps its comments
    # private too), and always to the post's owner.
    if not policies.may_open(item.post, item.author, relations, root=root):
        raise not_found("Status")
    return item


async def adjust_post_counts(
    session: AsyncSession, *, post: Post, favourites: int = 0, replies: int = 0
) -> None:
    """Move a post's counters in the database and show the new values on `post`."""
    values = {}
    if favourites:
        values["favourites_count"] = Post.favourites_count + favourites
    if replies:
        values["replies_count"] = Post.replies_count + replies
    result = await session.execute(
        update(Post)
        .where(Post.id == post.id)
        .values(**values)
        .returning(Post.favourites_count, Post.replies_count)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    if row is not None:
        # Not an attribute change: a later flush must not write these values back.
        set_committed_value(post, "favourites_count", row[0])
        set_committed_value(post, "replies_count", row[1])


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
    visibility: str | None = None
    sensitive: bool | None = None
    spoiler_text: str = ""
    # Publishing a scheduled post: the media it holds (media/service/holds.py) are its own.
    scheduled_status_id: int | None = None


def check_needs_media(new: NewPost, *, visibility: str) -> None:
    """A top-level post shows photos; a direct message (Instagram's are text) may be text."""
    if new.media_ids:
        return
    if visibility != policies.DIRECT:
        raise unprocessable("a post needs at least one photo", field="media_ids")
    if not new.caption.strip():
        raise unprocessable("a direct message needs text or a photo", field="status")


async def do_create_post(
    session: AsyncSession, *, ctx: AppContext, author: Account, new: NewPost
) -> HydratedPost:
    """Create a post (or a text reply); 422 on any rule broken, nothing written then."""
    key = (new.idempotency_key or "").strip()[:200]
    if key and (earlier := await _replay(session, ctx=ctx, author=author, key=key)):
        return earlier
    settings = ctx.settings
    check_caption(new.caption, limit=settings.max_caption_chars, spoiler_text=new.spoiler_text)
    parent = None
    if new.in_reply_to_id:
        parent = await access_post(session, new.in_reply_to_id, viewer=author)
        if new.media_ids:
            raise unprocessable("comments are text only", field="media_ids")
        if not new.caption.strip():
            raise unprocessable("a comment needs text", field="status")
    visibility = choose_visibility(
        new.visibility, author=author, parent=parent.post if parent else None
    )
    attachments = []
    if parent is None:
        check_needs_media(new, visibility=visibility)
        attachments = await media.access_attachable_media(
            session,
            account_id=author.id,
            media_ids=new.media_ids,
            max_count=settings.max_media_per_post,
            held_for=new.scheduled_status_id,
        )
    now = utcnow()
    post = Post(
        id=ids.next_id(shard_of(author.id)),
        account_id=author.id,
        caption=new.caption,
        visibility=visibility,
        sensitive=author.default_sensitive if new.sensitive is None else new.sensitive,
        spoiler_text=new.spoiler_text,
        in_reply_to_id=parent.post.id if parent else None,
        in_reply_to_account_id=parent.author.id if parent else None,
        root_id=(parent.post.root_id or parent.post.id) if parent else None,
        app_id=new.app_id,
        entities={},
        favourites_count=0,
        replies_count=0,
        created_at=now,
    )
    if key:
        await _claim_key(session, author=author, key=key, post_id=post.id)
    session.add(post)
    await session.flush()
    mentioned = await do_store_entities(session, post=post, base_url=settings.base_url)
    if parent is None:
        await media.do_attach(session, media=attachments, post_id=post.id)
        # The posts count is the grid's size: comments are not posts of their author.
        await accounts.adjust_counts(session, author.id, statuses=1, last_status_at=now)
        await publish(session, PostPublished(post_id=post.id, author_id=author.id))
        recipients = mentioned
    else:
        await adjust_post_counts(session, post=parent.post, replies=1)
        recipients = threads.comment_recipients(
            parent_author_id=parent.author.id,
            root_owner_id=await thread_owner_id(session, parent.post),
            mentioned=mentioned,
        )
        if visibility != policies.DIRECT:  # a direct comment is its conversation's
            await publish(
                session,
                CommentPosted(
                    post_id=post.id, author_id=author.id, in_reply_to_account_id=parent.author.id
                ),
            )
    for recipient in recipients:
        await publish(
            session, Mentioned(post_id=post.id, author_id=author.id, account_id=recipient)
        )
    if visibility == policies.DIRECT:
        audience = await threads.direct_audience(session, post, parent.post if parent else None)
        await publish(
            session,
            DirectPosted(post_id=post.id, author_id=author.id, participant_ids=audience),
        )
    author = await accounts.access_account(session, author.id)  # with its new counts
    return HydratedPost(post, author, attachments)


async def thread_owner_id(session: AsyncSession, post: Post) -> int:
    """The account that owns the top post of `post`'s thread (`post` itself if top)."""
    if post.root_id is None:
        return post.account_id
    owner = await session.scalar(select(Post.account_id).where(Post.id == post.root_id))
    return owner if owner is not None else post.account_id


async def do_delete_post(
    session: AsyncSession, *, ctx: AppContext, actor: Account, post_id: int
) -> HydratedPost:
    """Delete a post (its author only) with its media, feed entries and comments, or a
    comment (its author or the post's owner) with the replies under it."""
    item, owner_id = await deletable(session, actor=actor, post_id=post_id)
    await _remove(session, ctx=ctx, item=item, root_owner_id=owner_id)
    return item


async def deletable(
    session: AsyncSession, *, actor: Account, post_id: int
) -> tuple[HydratedPost, int]:
    """The post `actor` may delete and the owner of its thread; 404 for a post they
    cannot see, 403 for one they may not delete."""
    item = await access_post(session, post_id, viewer=actor)
    post = item.post
    owner_id = post.account_id if post.root_id is None else await thread_owner_id(session, post)
    if actor.id not in (post.account_id, owner_id):
        raise forbidden()
    return item, owner_id


async def do_remove_post(session: AsyncSession, *, ctx: AppContext, post_id: int) -> HydratedPost:
    """A moderator's removal of a post or comment, whoever may see it: the same cascade
    as its author's delete (shutter/moderation checks who may). 404 for no such post."""
    items = await hydrate(session, [post_id])
    if not items:
        raise not_found("Status")
    post = items[0].post
    owner_id = post.account_id if post.root_id is None else await thread_owner_id(session, post)
    await _remove(session, ctx=ctx, item=items[0], root_owner_id=owner_id)
    return items[0]


async def _remove(
    session: AsyncSession, *, ctx: AppContext, item: HydratedPost, root_owner_id: int
) -> None:
    post = item.post
    if post.root_id is None:
        comments = await threads.thread_rows(session, root_id=post.id)
        # Told before the rows go: what kept them finds them still there.
        await publish(session, StatusesDeleted(post_ids=(post.id, *(r.id for r in comments))))
        await threads.do_delete_comments(session, rows=comments, root_owner_id=post.account_id)
        await publish(session, PostRemoved(post_id=post.id, author_id=post.account_id))
        await media.do_delete_for_post(session, ctx=ctx, post_id=post.id)
        await accounts.adjust_counts(session, post.account_id, statuses=-1)
    else:
        rows = await threads.thread_rows(session, root_id=post.root_id)
        this = [row for row in rows if row.id == post.id] + threads.subtree(rows, post.id)
        await publish(session, StatusesDeleted(post_ids=tuple(r.id for r in this)))
        await threads.do_delete_comments(session, rows=this, root_owner_id=root_owner_id)
        if post.in_reply_to_id is not None:
            await _count_reply_gone(session, parent_id=post.in_reply_to_id)
    await session.execute(delete(PostEdit).where(PostEdit.post_id == post.id))
    await session.execute(delete(Post).where(Post.id == post.id))


async def _count_reply_gone(session: AsyncSession, *, parent_id: int) -> None:
    await session.execute(
        update(Post)
        .where(Post.id == parent_id)
        .values(replies_count=Post.replies_count - 1)
        .execution_options(synchronize_session=False)
    )


def account_posts_query(*, author: Account) -> Select[int]:
    """The ids of an author's posts (not comments); pages keep those the viewer may see."""
    return select(Post.id).where((Post.account_id == author.id) & Post.in_reply_to_id.is_(None))


async def post_exists(session: AsyncSession, *, post_id: int) -> bool:
    return await session.scalar(select(Post.id).where(Post.id == post_id)) is not None


async def fanout_audience(session: AsyncSession, *, post_id: int) -> set[int] | None:
    """Which followers' feeds a post goes to: None for all of them (public, unlisted and
    private posts), the mentioned accounts for a direct one, or an empty set when the
    post is gone."""
    post = await session.get(Post, post_id)
    if post is None:
        return set()
    if post.visibility != policies.DIRECT:
        return None
    return set(mentioned_ids(post))


async def recent_post_ids(session: AsyncSession, *, author_id: int, limit: int) -> list[int]:
    """The author's newest posts to followers (not comments, not direct), newest first."""
    rows = await session.scalars(
        select(Post.id)
        .where(
            (Post.account_id == author_id)
            & Post.in_reply_to_id.is_(None)
            & (Post.visibility != policies.DIRECT)
        )
        .order_by(Post.id.desc())
        .limit(limit)
    )
    return list(rows)
