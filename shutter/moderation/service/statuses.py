"""A moderator removes one post (or comment): the posts service's own delete, logged,
and its author told why."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.accounts.permissions import outranks
from shutter.infra.context import AppContext
from shutter.infra.errors import forbidden, not_found
from shutter.moderation.service import check_text, do_warn, record
from shutter.posts import service as posts


async def do_remove_status(
    session: AsyncSession,
    *,
    ctx: AppContext,
    actor: Account,
    status_id: int,
    text: str | None,
    send_email: bool,
) -> None:
    """Remove the post with everything its author's delete removes; 404 for no such post,
    403 for one's own (delete it as its author) or an admin's (unless an admin)."""
    note = check_text(text)
    found = await posts.hydrate(session, [status_id])
    if not found:
        raise not_found("Status")
    author = found[0].author
    if not outranks(actor, author):
        raise forbidden()
    item = await posts.do_remove_post(session, ctx=ctx, post_id=status_id)
    record(
        session,
        actor=actor,
        action="destroy_status",
        target_type="Status",
        target_id=item.post.id,
        text=note,
    )
    await do_warn(
        session,
        settings=ctx.settings,
        actor=actor,
        target=author,
        action="delete_statuses",
        text=note,
        status_ids=[item.post.id],
        send_email=send_email,
    )
