"""Moderation's core rules: the audit log, warnings to moderated accounts, and who
hears of what (staff of reports and sign-ups).

Every action a moderator takes goes through `record` in the same transaction, so the
log has an entry for exactly the actions that committed. A warning is a row the person
reads (Mastodon's AccountWarning), a `moderation_warning` notification and a mail.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account, Credential
from shutter.accounts.permissions import STAFF
from shutter.infra.db import utcnow
from shutter.infra.errors import unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.infra.mail import enqueue_mail
from shutter.infra.pagination import PageParams, paginate
from shutter.infra.settings import Settings
from shutter.moderation import mails
from shutter.moderation.models import AccountWarning, ModerationAction
from shutter.notifications import service as notifications

MAX_TEXT = 5000
# AccountWarning actions (Mastodon's AccountWarningActionEnum).
WARNING_ACTIONS = (
    "none", "disable", "mark_statuses_as_sensitive", "delete_statuses", "sensitive",
    "silence", "suspend",
)  # fmt: skip


def record(
    session: AsyncSession,
    *,
    actor: Account,
    action: str,
    target_type: str,
    target_id: int,
    text: str = "",
) -> ModerationAction:
    """Write an audit log entry for an action of `actor` (in the action's transaction)."""
    entry = ModerationAction(
        id=ids.next_id(shard_of(actor.id)),
        account_id=actor.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        text=text,
        created_at=utcnow(),
    )
    session.add(entry)
    return entry


async def audit_log(session: AsyncSession, *, page: PageParams) -> list[ModerationAction]:
    """A page of the audit log, newest first."""
    rows = list(
        await session.scalars(paginate(select(ModerationAction), ModerationAction.id, page))
    )
    return sorted(rows, key=lambda entry: entry.id, reverse=True)


async def do_warn(
    session: AsyncSession,
    *,
    settings: Settings,
    actor: Account,
    target: Account,
    action: str,
    text: str = "",
    report_id: int | None = None,
    status_ids: list[int] | None = None,
    send_email: bool = True,
) -> AccountWarning:
    """Tell `target` what moderators did: the warning row, a `moderation_warning`
    notification (after the commit) and, unless `send_email` is false, a mail."""
    if action not in WARNING_ACTIONS:
        raise ValueError(f"unknown warning action {action!r}")
    warning = AccountWarning(
        id=ids.next_id(shard_of(target.id)),
        account_id=actor.id,
        target_account_id=target.id,
        action=action,
        text=text,
        report_id=report_id,
        status_ids=[str(i) for i in status_ids or []],
        created_at=utcnow(),
    )
    session.add(warning)
    await session.flush()
    notifications.notify(
        session,
        type=notifications.MODERATION_WARNING,
        account_id=target.id,
        from_account_id=target.id,
        subject_id=warning.id,
    )
    if send_email:
        credential = await session.get(Credential, target.id)
        if credential is not None:
            enqueue_mail(
                session,
                mails.warning(
                    settings,
                    to=credential.email,
                    username=target.username,
                    action=action,
                    text=text,
                ),
            )
    return warning


async def warnings_by_ids(session: AsyncSession, warning_ids: list[int]) -> list[AccountWarning]:
    if not warning_ids:
        return []
    return list(
        await session.scalars(select(AccountWarning).where(AccountWarning.id.in_(warning_ids)))
    )


async def staff_ids(session: AsyncSession) -> list[int]:
    """The moderators and admins (both manage reports and users), who hear of reports
    and sign-ups."""
    rows = await session.scalars(
        select(Account.id).where(Account.role.in_(STAFF) & Account.deleted_at.is_(None))
    )
    return list(rows)


def check_text(text: str | None, *, field: str = "text") -> str:
    """A moderator's note as stored: stripped, at most MAX_TEXT characters (422)."""
    value = (text or "").strip()
    if len(value) > MAX_TEXT:
        raise unprocessable(f"{field} is longer than {MAX_TEXT} characters", field=field)
    return value
