"""Invite links: `{base_url}/invite/{code}` lets its holders sign up while registrations
are closed, and without waiting for approval.

Who may invite follows the registrations (SHUTTER_REGISTRATIONS): every active account
while sign-ups are open or approved, only admins and moderators while they are closed
(Mastodon's `min_invite_role`, fixed to what the mode suggests). A use is counted by one
conditional UPDATE in the sign-up's transaction, so of two racing sign-ups on an invite's
last use one gets in, and a sign-up that fails later gives the use back by rolling back.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account, Invite
from shutter.infra.db import utcnow
from shutter.infra.errors import forbidden, not_found, unprocessable
from shutter.infra.formats import iso
from shutter.infra.ids import ids, parse_id, shard_of
from shutter.infra.settings import Settings
from shutter.policies import account_shown_sql

STAFF_ROLES = ("admin", "moderator")
MAX_USES = 10_000
MIN_EXPIRES_IN = 60
MAX_EXPIRES_IN = 365 * 86400
# What `secrets.token_urlsafe(9)` makes (72 random bits); anything else names no invite.
_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
INVALID_CODE = "invite_code is invalid, used up or expired"


def may_invite(settings: Settings, account: Account) -> bool:
    """Whether `account` may make invite links under the current registrations mode."""
    return settings.registrations != "closed" or account.role in STAFF_ROLES


def check_invite_limits(*, max_uses: int | None, expires_in: int | None) -> None:
    if max_uses is not None and not 1 <= max_uses <= MAX_USES:
        raise unprocessable(f"max_uses must be 1 to {MAX_USES}", field="max_uses")
    if expires_in is not None and not MIN_EXPIRES_IN <= expires_in <= MAX_EXPIRES_IN:
        raise unprocessable(
            f"expires_in must be {MIN_EXPIRES_IN} to {MAX_EXPIRES_IN} seconds",
            field="expires_in",
        )


async def do_create_invite(
    session: AsyncSession,
    *,
    settings: Settings,
    account: Account,
    max_uses: int | None,
    expires_in: int | None,
) -> Invite:
    """A new invite of `account`'s; 403 when the mode does not let it invite, 422 on a
    limit out of range. No limit given: unlimited uses, or no expiry."""
    if not may_invite(settings, account):
        raise forbidden("Only admins and moderators may invite while registrations are closed")
    check_invite_limits(max_uses=max_uses, expires_in=expires_in)
    now = utcnow()
    invite = Invite(
        id=ids.next_id(shard_of(account.id)),
        code=secrets.token_urlsafe(9),
        account_id=account.id,
        max_uses=max_uses,
        uses=0,
        expires_at=now + timedelta(seconds=expires_in) if expires_in is not None else None,
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    return invite


async def own_invites(session: AsyncSession, *, account_id: int, limit: int = 200) -> list[Invite]:
    """The account's invites, newest first (expired ones too: they say how many came)."""
    rows = await session.scalars(
        select(Invite)
        .where(Invite.account_id == account_id)
        .order_by(Invite.id.desc())
        .limit(limit)
    )
    return list(rows)


async def do_expire_invite(
    session: AsyncSession, *, account: Account, invite_id: int | str
) -> Invite:
    """End an invite now (its owner, or staff); 404 for an invite the caller may not see.
    Expiring an expired invite changes nothing."""
    key = parse_id(invite_id)
    invite = await session.get(Invite, key) if key is not None else None
    if invite is None or (invite.account_id != account.id and account.role not in STAFF_ROLES):
        raise not_found("Invite")
    now = utcnow()
    if invite.expires_at is None or invite.expires_at > now:
        invite.expires_at = now
        await session.flush()
    return invite


def _usable(now: datetime) -> Any:
    """Rows of invites that may still be used: uses left, not expired, and an inviter who
    is not suspended (Mastodon's `valid_for_use?`)."""
    return (
        or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses)
        & or_(Invite.expires_at.is_(None), Invite.expires_at > now)
        & Invite.account_id.in_(select(Account.id).where(account_shown_sql()))
    )


async def find_usable_invite(session: AsyncSession, code: str) -> Invite | None:
    if not _CODE.fullmatch(code):
        return None
    found: Invite | None = await session.scalar(
        select(Invite).where(Invite.code == code, _usable(utcnow()))
    )
    return found


async def use_invite(session: AsyncSession, code: str) -> int:
    """Count one use of the invite with `code` and return its id; 422 naming
    `invite_code` when there is no such invite or it cannot be used any more."""
    if not _CODE.fullmatch(code):
        raise unprocessable(INVALID_CODE, field="invite_code")
    invite_id = await session.scalar(
        update(Invite)
        .where(Invite.code == code, _usable(utcnow()))
        .values(uses=Invite.uses + 1)
        .returning(Invite.id)
        .execution_options(synchronize_session=False)
    )
    if invite_id is None:
        raise unprocessable(INVALID_CODE, field="invite_code")
    return int(invite_id)


def invite_url(invite: Invite, settings: Settings) -> str:
    return f"{settings.base_url}/invite/{invite.code}"


def invite_json(invite: Invite, settings: Settings) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": str(invite.id),
        "code": invite.code,
        "url": invite_url(invite, settings),
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "expires_at": iso(invite.expires_at),
        "created_at": iso(invite.created_at),
        # Whether it still lets people in: not expired, uses left.
        "usable": (invite.expires_at is None or invite.expires_at > now)
        and (invite.max_uses is None or invite.uses < invite.max_uses),
    }
