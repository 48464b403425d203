"""Mastodon's admin API for accounts: finding them (v1 and v2 filters), and acting on
them — warn, mark sensitive, disable, limit, suspend, their undoing, approval of
sign-ups and deletion of a suspended account's data.

The account states are the accounts service's (accounts/service/states.py); this module
decides who may change them and keeps the record: the audit log, the warning the person
reads, and the reports the action answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account, Credential, Invite
from shutter.accounts.permissions import ROLE_BY_ID, STAFF, Permission, may, outranks
from shutter.accounts.service import registrations, roles, states
from shutter.auth.models import Token
from shutter.infra.errors import forbidden, not_found, unprocessable
from shutter.infra.ids import parse_id
from shutter.infra.pagination import PageParams, paginate
from shutter.infra.settings import Settings
from shutter.moderation.service import check_text, do_warn, record
from shutter.moderation.service.reports import resolve_for_action

ACTIONS = ("none", "sensitive", "disable", "silence", "suspend")
STATUSES = ("active", "pending", "disabled", "silenced", "suspended")
_APPLY = {
    "sensitive": states.sensitize,
    "disable": states.disable,
    "silence": states.silence,
    "suspend": states.suspend,
}
_UNDO = {
    "enable": states.enable,
    "unsilence": states.unsilence,
    "unsuspend": states.unsuspend,
    "unsensitive": states.unsensitize,
}
UNDOES = tuple(_UNDO)


@dataclass
class AccountFilters:
    """The filters of both versions of `GET …/admin/accounts`, merged (v1 spells each
    status as a flag, v2 as `status=`)."""

    origin: str | None = None  # local | remote
    statuses: list[str] = field(default_factory=list)
    sensitized: bool = False
    staff: bool = False
    role_ids: list[str] = field(default_factory=list)
    invited_by: str | None = None
    username: str | None = None
    display_name: str | None = None
    by_domain: str | None = None
    email: str | None = None
    ip: str | None = None


def _like(value: str) -> str:
    """`value` as a LIKE pattern matching itself (its wildcards escaped)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def accounts_query(filters: AccountFilters, *, local_domain: str) -> Select[Account]:
    query = select(Account)
    nothing = Account.id == -1
    if filters.origin == "remote" or (
        filters.by_domain and filters.by_domain.strip().lower() != local_domain
    ):
        return query.where(nothing)  # no federation: every account is local
    for status in filters.statuses:
        if status == "active":
            query = query.where(
                Account.approved_at.is_not(None)
                & Account.suspended_at.is_(None)
                & Account.deleted_at.is_(None)
            )
        elif status == "pending":
            query = query.where(Account.approved_at.is_(None))
        elif status == "disabled":
            query = query.where(Account.disabled_at.is_not(None))
        elif status == "silenced":
            query = query.where(Account.silenced_at.is_not(None))
        elif status == "suspended":
            query = query.where(Account.suspended_at.is_not(None))
    if filters.sensitized:
        query = query.where(Account.sensitized_at.is_not(None))
    if filters.staff:
        query = query.where(Account.role.in_(STAFF))
    if filters.role_ids:
        query = query.where(Account.role.in_([ROLE_BY_ID.get(i, "") for i in filters.role_ids]))
    if filters.username:
        pattern = _like(filters.username.strip().lower()) + "%"
        query = query.where(Account.username_lower.like(pattern, escape="\\"))
    if filters.display_name:
        pattern = "%" + _like(filters.display_name.strip()) + "%"
        query = query.where(Account.display_name.ilike(pattern, escape="\\"))
    if filters.email:
        pattern = "%" + _like(filters.email.strip().lower()) + "%"
        query = query.where(
            Account.id.in_(
                select(Credential.account_id).where(
                    Credential.email_lower.like(pattern, escape="\\")
                )
            )
        )
    if filters.invited_by is not None:
        inviter = parse_id(filters.invited_by)
        query = query.where(
            Account.id.in_(
                select(Credential.account_id)
                .join(Invite, Invite.id == Credential.invite_id)
                .where(Invite.account_id == (inviter if inviter is not None else -1))
            )
        )
    if filters.ip:
        address = filters.ip.strip()
        query = query.where(
            Account.id.in_(
                select(Token.account_id).where(
                    (Token.last_ip == address) | (Token.issued_ip == address)
                )
            )
        )
    return query


async def list_accounts(
    session: AsyncSession, *, filters: AccountFilters, page: PageParams, local_domain: str
) -> list[Account]:
    query = paginate(accounts_query(filters, local_domain=local_domain), Account.id, page)
    rows = list(await session.scalars(query))
    return sorted(rows, key=lambda account: account.id, reverse=True)


async def access_any_account(session: AsyncSession, account_id: int | str) -> Account:
    """The account with this id in whatever state (staff see them all), or 404."""
    key = parse_id(account_id)
    account = await session.get(Account, key) if key is not None else None
    if account is None:
        raise not_found("Account")
    return account


async def _target(session: AsyncSession, actor: Account, account_id: int) -> Account:
    """The account `actor` may act on: 404 if none, 403 for oneself or an admin (unless
    `actor` is one)."""
    target = await access_any_account(session, account_id)
    if not outranks(actor, target):
        raise forbidden()
    return target


async def do_action(
    session: AsyncSession,
    *,
    settings: Settings,
    actor: Account,
    account_id: int,
    type: str,
    report_id: str | None,
    text: str | None,
    send_email: bool,
) -> Account:
    """Mastodon's `POST /api/v1/admin/accounts/:id/action`: apply `type` (`none` only
    warns), resolve the report it answers, log it and tell the person."""
    if type not in ACTIONS:
        raise unprocessable(f"type must be one of {', '.join(ACTIONS)}", field="type")
    note = check_text(text)
    report_key = None
    if report_id is not None:
        report_key = parse_id(report_id)
        if report_key is None:
            raise unprocessable("report_id is not an id", field="report_id")
    target = await _target(session, actor, account_id)
    if target.deleted_at is not None:
        raise forbidden("The account is deleted")
    if type in _APPLY:
        await _APPLY[type](session, target)
    await resolve_for_action(
        session,
        settings=settings,
        actor=actor,
        target=target,
        report_id=report_key,
        every_open=type != "none",
    )
    record(
        session,
        actor=actor,
        action="warn" if type == "none" else type,
        target_type="Account",
        target_id=target.id,
        text=note,
    )
    await do_warn(
        session,
        settings=settings,
        actor=actor,
        target=target,
        action=type,
        text=note,
        report_id=report_key,
        send_email=send_email,
    )
    return target


async def do_undo(session: AsyncSession, *, actor: Account, account_id: int, undo: str) -> Account:
    """`enable`, `unsilence`, `unsuspend` or `unsensitive` (idempotent), logged."""
    target = await _target(session, actor, account_id)
    if target.deleted_at is not None:
        raise forbidden("The account is deleted")
    await _UNDO[undo](session, target)
    record(session, actor=actor, action=undo, target_type="Account", target_id=target.id)
    return target


async def do_approve(
    session: AsyncSession, *, settings: Settings, actor: Account, account_id: int
) -> Account:
    await _target(session, actor, account_id)
    account = await registrations.do_approve_account(
        session, settings=settings, account_id=account_id
    )
    record(session, actor=actor, action="approve", target_type="Account", target_id=account_id)
    return account


async def do_reject(
    session: AsyncSession, *, settings: Settings, actor: Account, account_id: int
) -> None:
    await _target(session, actor, account_id)
    await registrations.do_reject_account(session, settings=settings, account_id=account_id)
    record(session, actor=actor, action="reject", target_type="Account", target_id=account_id)


async def do_delete_data(session: AsyncSession, *, actor: Account, account_id: int) -> Account:
    """Delete a suspended account's data (Mastodon: only a suspended one; 403 else)."""
    if not may(actor, Permission.DELETE_USER_DATA):
        raise forbidden()
    target = await _target(session, actor, account_id)
    if target.suspended_at is None:
        raise forbidden("The account is not suspended")
    if target.deleted_at is None:
        await states.delete_account(session, target)
        record(session, actor=actor, action="destroy", target_type="Account", target_id=target.id)
    return target


async def do_change_role(
    session: AsyncSession, *, actor: Account, account_id: int, role: str
) -> Account:
    """An admin gives an account a role (not their own: an instance keeps its admin)."""
    if not may(actor, Permission.MANAGE_ROLES):
        raise forbidden()
    target = await _target(session, actor, account_id)
    name = roles.parse_role(role)
    account = await roles.do_set_role(session, account_id=target.id, role=name)
    record(
        session,
        actor=actor,
        action="change_role",
        target_type="Account",
        target_id=target.id,
        text=name,
    )
    return account
