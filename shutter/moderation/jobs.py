"""Moderation's reactions: staff hear of sign-ups (accounts publishes them), and the
notifications service shows reports and warnings through the renderers registered here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.events import AccountSignedUp
from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from shutter.infra.domain import subscribe
from shutter.moderation import render
from shutter.moderation.service import staff_ids, warnings_by_ids
from shutter.moderation.service.reports import reports_by_ids
from shutter.notifications import render as notification_render
from shutter.notifications import service as notifications


@subscribe(AccountSignedUp)
async def on_signed_up(session: AsyncSession, event: AccountSignedUp) -> None:
    """Mastodon's `admin.sign_up`, to everyone who manages users, pending or not."""
    for staff_id in await staff_ids(session):
        notifications.notify(
            session,
            type=notifications.ADMIN_SIGN_UP,
            account_id=staff_id,
            from_account_id=event.account_id,
        )


@notification_render.renders_subject(notifications.ADMIN_REPORT, "report")
async def report_subjects(
    session: AsyncSession, ctx: AppContext, report_ids: list[int], viewer: Account
) -> dict[int, dict[str, Any]]:
    return await render.reports_json(session, ctx, await reports_by_ids(session, report_ids))


@notification_render.renders_subject(notifications.MODERATION_WARNING, "moderation_warning")
async def warning_subjects(
    session: AsyncSession, ctx: AppContext, warning_ids: list[int], viewer: Account
) -> dict[int, dict[str, Any]]:
    # Only the warned account reads its warnings (notifications are the recipient's).
    found = [
        w for w in await warnings_by_ids(session, warning_ids) if w.target_account_id == viewer.id
    ]
    return await render.warnings_json(session, ctx, found)
