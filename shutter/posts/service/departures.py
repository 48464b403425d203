"""A deleted account's traces in posts: its posts (with every comment under them, their
media through the media service, feed entries through `PostRemoved`), its comments on
others' posts (with the replies under them), its likes (the posts' counters corrected),
saves, the mentions of it and its idempotency keys. In batches, one stage at a time
(accounts.events.AccountDeleted, shutter/posts/jobs.py); safe to run twice."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.context import AppContext
from shutter.infra.domain import publish
from shutter.infra.jobs import JobKind
from shutter.media import service as media
from shutter.posts.events import PostRemoved, StatusesDeleted
from shutter.posts.models import (
    Bookmark,
    ConversationMute,
    FeaturedTag,
    IdempotencyKey,
    Like,
    Mention,
    Post,
    PostEdit,
    TagFollow,
)
from shutter.posts.service import threads

REMOVE_ACCOUNT = JobKind("posts.remove_account", timeout_seconds=300)
# A post costs a few statements (its thread, media, edits); a like or a save one row.
POSTS_PER_BATCH = 50
ROWS_PER_BATCH = 500


async def _posts(session: AsyncSession, ctx: AppContext, *, account_id: int) -> int:
    """Delete a batch of the account's top posts, each with its whole thread."""
    post_ids = list(
        await session.scalars(
            select(Post.id)
            .where((Post.account_id == account_id) & Post.root_id.is_(None))
            .order_by(Post.id)
            .limit(POSTS_PER_BATCH)
        )
    )
    for post_id in post_ids:
        comments = await threads.thread_rows(session, root_id=post_id)
        await publish(session, StatusesDeleted(post_ids=(post_id, *(r.id for r in comments))))
        await threads.do_delete_comments(session, rows=comments, root_owner_id=account_id)
        await publish(session, PostRemoved(post_id=post_id, author_id=account_id))
        await media.do_delete_for_post(session, ctx=ctx, post_id=post_id)
        await session.execute(delete(PostEdit).where(PostEdit.post_id == post_id))
        await session.execute(delete(Post).where(Post.id == post_id))
    return len(post_ids)


async def _comments(session: AsyncSession, ctx: AppContext, *, account_id: int) -> int:
    """Delete a batch of the account's comments on others' posts, with the replies under
    them (as deleting one by hand does); the replied-to posts' counters move."""
    comments = list(
        await session.scalars(
            select(Post)
            .where((Post.account_id == account_id) & Post.root_id.is_not(None))
            .order_by(Post.id)
            .limit(POSTS_PER_BATCH)
        )
    )
    gone: set[int] = set()
    for comment in comments:
        if comment.id in gone or comment.root_id is None:
            continue  # under an earlier comment of the batch: deleted with it
        root_owner_id = await _thread_owner(session, comment)
        rows = await threads.thread_rows(session, root_id=comment.root_id)
        this = [row for row in rows if row.id == comment.id]
        doomed = this + threads.subtree(rows, comment.id)
        await publish(session, StatusesDeleted(post_ids=tuple(row.id for row in doomed)))
        await threads.do_delete_comments(session, rows=doomed, root_owner_id=root_owner_id)
        gone.update(row.id for row in doomed)
        await session.execute(delete(PostEdit).where(PostEdit.post_id == comment.id))
        if comment.in_reply_to_id is not None and comment.in_reply_to_id not in gone:
            await session.execute(
                update(Post)
                .where(Post.id == comment.in_reply_to_id)
                .values(replies_count=Post.replies_count - 1)
                .execution_options(synchronize_session=False)
            )
    return len(comments)


async def _thread_owner(session: AsyncSession, comment: Post) -> int:
    owner = await session.scalar(select(Post.account_id).where(Post.id == comment.root_id))
    return owner if owner is not None else comment.account_id


async def _likes(session: AsyncSession, *, account_id: int) -> int:
    """Delete a batch of the account's likes; each liked post counts one fewer."""
    rows = (
        await session.execute(
            select(Like.id, Like.post_id).where(Like.account_id == account_id).limit(ROWS_PER_BATCH)
        )
    ).all()
    if not rows:
        return 0
    await session.execute(delete(Like).where(Like.id.in_([row[0] for row in rows])))
    # Ascending post id: the same lock order as any other transaction moving counters.
    for post_id, count in sorted(Counter(row[1] for row in rows).items()):
        await session.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(favourites_count=Post.favourites_count - count)
            .execution_options(synchronize_session=False)
        )
    return len(rows)


async def _rows(
    session: AsyncSession, model: type[Bookmark] | type[Mention], account_id: int
) -> int:
    if model is Bookmark:
        ids = list(
            await session.scalars(
                select(Bookmark.id).where(Bookmark.account_id == account_id).limit(ROWS_PER_BATCH)
            )
        )
        if ids:
            await session.execute(delete(Bookmark).where(Bookmark.id.in_(ids)))
        return len(ids)
    post_ids = list(
        await session.scalars(
            select(Mention.post_id).where(Mention.account_id == account_id).limit(ROWS_PER_BATCH)
        )
    )
    if post_ids:
        await session.execute(
            delete(Mention).where(
                (Mention.account_id == account_id) & Mention.post_id.in_(post_ids)
            )
        )
    return len(post_ids)


async def do_remove_account(session: AsyncSession, ctx: AppContext, *, account_id: int) -> bool:
    """One batch of the first stage with anything left; whether more is left after it."""
    if await _posts(session, ctx, account_id=account_id) == POSTS_PER_BATCH:
        return True
    if await _comments(session, ctx, account_id=account_id) == POSTS_PER_BATCH:
        return True
    if await _likes(session, account_id=account_id) == ROWS_PER_BATCH:
        return True
    for model in (Bookmark, Mention):
        if await _rows(session, model, account_id) == ROWS_PER_BATCH:
            return True
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.account_id == account_id))
    # Its muted threads (its pins went with its posts).
    await session.execute(delete(ConversationMute).where(ConversationMute.account_id == account_id))
    # Its followed and featured hashtags.
    await session.execute(delete(TagFollow).where(TagFollow.account_id == account_id))
    await session.execute(delete(FeaturedTag).where(FeaturedTag.account_id == account_id))
    return False
