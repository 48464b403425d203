"""Editing a post: caption, content warning and alt texts change, every version is kept
(Mastodon's edit history), and mentions follow the new text."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.domain import publish
from shutter.infra.errors import forbidden, unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.media import service as media
from shutter.posts.events import Mentioned, PostEdited, Unmentioned
from shutter.posts.models import Post, PostEdit
from shutter.posts.schemas import HydratedPost
from shutter.posts.service import access_post, check_caption, thread_owner_id
from shutter.posts.service.entities import do_store_entities, mentioned_ids


async def _remention(
    session: AsyncSession, *, post: Post, before: list[int], ctx: AppContext
) -> None:
    """Re-parse an edited text: newly mentioned accounts are told, dropped ones untold."""
    after = await do_store_entities(session, post=post, base_url=ctx.settings.base_url)
    if post.in_reply_to_id is not None:
        # The replied-to and the post's owner were told of the comment itself: keep that.
        kept = {post.in_reply_to_account_id, await thread_owner_id(session, post)}
    else:
        kept = set()
    for recipient in [a for a in after if a not in before and a not in kept]:
        await publish(
            session, Mentioned(post_id=post.id, author_id=post.account_id, account_id=recipient)
        )
    for recipient in [a for a in before if a not in after and a not in kept]:
        await publish(
            session, Unmentioned(post_id=post.id, author_id=post.account_id, account_id=recipient)
        )


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
    sensitive: bool | None = None,
    spoiler_text: str | None = None,
) -> HydratedPost:
    """Change caption, content warning and alt texts, keeping every earlier version in
    the history."""
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
    new_spoiler = item.post.spoiler_text if spoiler_text is None else spoiler_text
    check_caption(new_caption, limit=ctx.settings.max_caption_chars, spoiler_text=new_spoiler)
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
    post.spoiler_text = new_spoiler
    if sensitive is not None:
        post.sensitive = sensitive
    post.edited_at = now
    post.version += 1
    await session.flush()
    await _remention(session, post=post, before=mentioned_ids(post), ctx=ctx)
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
    await publish(
        session,
        PostEdited(
            post_id=post.id, author_id=post.account_id, is_comment=post.in_reply_to_id is not None
        ),
    )
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
