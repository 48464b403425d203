"""Moderation's entities as JSON: Admin::Account, Report, Admin::Report, AccountWarning
and the audit log's entries, with what they name loaded in batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import service as accounts
from shutter.accounts.models import Account, Credential, Invite
from shutter.accounts.render import render_accounts
from shutter.accounts.schemas import role_json
from shutter.auth.models import Token
from shutter.infra.context import AppContext
from shutter.infra.formats import iso
from shutter.instance.models import Rule
from shutter.instance.rules import rule_json
from shutter.moderation.models import AccountWarning, ModerationAction, Report
from shutter.posts import render as post_render
from shutter.posts import service as posts


async def _ips(session: AsyncSession, account_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each account's addresses (Admin::Ip), most recently used first."""
    columns = (Token.account_id, Token.last_ip, Token.last_used_at, Token.issued_ip)
    rows = await session.execute(
        select(*columns, Token.created_at).where(Token.account_id.in_(account_ids))
    )
    seen: dict[int, dict[str, datetime]] = {}
    for account_id, last_ip, last_used_at, issued_ip, created_at in rows.all():
        if account_id is None:
            continue
        known = seen.setdefault(account_id, {})
        for ip, at in ((issued_ip, created_at), (last_ip, last_used_at)):
            if ip and at and (ip not in known or known[ip] < at):
                known[ip] = at
    return {
        account_id: [
            {"ip": ip, "used_at": iso(at)}
            for ip, at in sorted(known.items(), key=lambda pair: pair[1], reverse=True)
        ]
        for account_id, known in seen.items()
    }


async def admin_accounts_json(
    session: AsyncSession, ctx: AppContext, listed: list[Account]
) -> list[dict[str, Any]]:
    """Admin::Account entities, in order: four queries whatever their number."""
    if not listed:
        return []
    account_ids = [a.id for a in listed]
    credentials = {
        c.account_id: c
        for c in await session.scalars(
            select(Credential).where(Credential.account_id.in_(account_ids))
        )
    }
    invite_ids = {c.invite_id for c in credentials.values() if c.invite_id is not None}
    inviters: dict[int, int] = {}
    if invite_ids:
        rows = await session.execute(
            select(Invite.id, Invite.account_id).where(Invite.id.in_(invite_ids))
        )
        inviters = {invite_id: account_id for invite_id, account_id in rows.all()}
    ips = await _ips(session, account_ids)
    bodies = await render_accounts(ctx, listed)
    rendered = []
    for account, body in zip(listed, bodies, strict=True):
        credential = credentials.get(account.id)
        addresses = ips.get(account.id, [])
        invited_by = (
            inviters.get(credential.invite_id) if credential and credential.invite_id else None
        )
        rendered.append(
            {
                "id": str(account.id),
                "username": account.username,
                "domain": None,
                "created_at": iso(account.created_at),
                "email": credential.email if credential else "",
                "ip": addresses[0]["ip"] if addresses else None,
                "ips": addresses,
                "locale": "",
                "invite_request": credential.signup_reason if credential else None,
                "role": role_json(account.role),
                "confirmed": bool(credential and credential.confirmed_at is not None),
                "approved": account.approved_at is not None,
                "disabled": account.disabled_at is not None,
                "silenced": account.silenced_at is not None,
                "suspended": account.suspended_at is not None,
                "sensitized": account.sensitized_at is not None,
                "account": body,
                "created_by_application_id": None,
                "invited_by_account_id": str(invited_by) if invited_by else None,
            }
        )
    return rendered


def report_json(report: Report, *, target: dict[str, Any]) -> dict[str, Any]:
    """The Report entity, as its reporter reads it."""
    return {
        "id": str(report.id),
        "action_taken": report.action_taken_at is not None,
        "action_taken_at": iso(report.action_taken_at),
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded,
        "created_at": iso(report.created_at),
        "status_ids": [str(i) for i in report.status_ids],
        "rule_ids": [str(i) for i in report.rule_ids] or None,
        "target_account": target,
    }


async def reports_json(
    session: AsyncSession, ctx: AppContext, reports: list[Report]
) -> dict[int, dict[str, Any]]:
    """Report entities by id (the target rendered whatever its state: staff read these)."""
    found = await accounts.accounts_by_ids(session, {r.target_account_id for r in reports})
    people = dict(zip(found, await render_accounts(ctx, found.values()), strict=True))
    return {
        r.id: report_json(r, target=people[r.target_account_id])
        for r in reports
        if r.target_account_id in people
    }


async def admin_reports_json(
    session: AsyncSession, ctx: AppContext, reports: list[Report], *, viewer: Account
) -> list[dict[str, Any]]:
    """Admin::Report entities, in order, with their accounts, posts and rules."""
    account_ids = set()
    for r in reports:
        account_ids |= {r.account_id, r.target_account_id}
        account_ids |= {i for i in (r.assigned_account_id, r.action_taken_by_account_id) if i}
    found = await accounts.accounts_by_ids(session, account_ids)
    listed = list(found.values())
    people = {
        a.id: body
        for a, body in zip(listed, await admin_accounts_json(session, ctx, listed), strict=True)
    }
    status_ids = list(dict.fromkeys(int(i) for r in reports for i in r.status_ids))
    items = await posts.hydrate(session, status_ids, any_author=True)
    statuses = {
        item.post.id: body
        for item, body in zip(
            items, await post_render.render_items(session, ctx, items, viewer=viewer), strict=True
        )
    }
    rule_ids = {int(i) for r in reports for i in r.rule_ids}
    rules = (
        {rule.id: rule for rule in await session.scalars(select(Rule).where(Rule.id.in_(rule_ids)))}
        if rule_ids
        else {}
    )
    return [
        {
            "id": str(r.id),
            "action_taken": r.action_taken_at is not None,
            "action_taken_at": iso(r.action_taken_at),
            "category": r.category,
            "comment": r.comment,
            "forwarded": r.forwarded,
            "created_at": iso(r.created_at),
            "updated_at": iso(r.updated_at),
            "account": people[r.account_id],
            "target_account": people[r.target_account_id],
            "assigned_account": people.get(r.assigned_account_id or 0),
            "action_taken_by_account": people.get(r.action_taken_by_account_id or 0),
            "statuses": [statuses[int(i)] for i in r.status_ids if int(i) in statuses],
            "rules": [rule_json(rules[int(i)]) for i in r.rule_ids if int(i) in rules],
        }
        for r in reports
        if r.account_id in people and r.target_account_id in people
    ]


async def warnings_json(
    session: AsyncSession, ctx: AppContext, warnings: list[AccountWarning]
) -> dict[int, dict[str, Any]]:
    """AccountWarning entities by id."""
    found = await accounts.accounts_by_ids(session, {w.target_account_id for w in warnings})
    people = dict(zip(found, await render_accounts(ctx, found.values()), strict=True))
    return {
        w.id: {
            "id": str(w.id),
            "action": w.action,
            "text": w.text,
            "status_ids": [str(i) for i in w.status_ids] or None,
            "target_account": people[w.target_account_id],
            "appeal": None,
            "created_at": iso(w.created_at),
        }
        for w in warnings
        if w.target_account_id in people
    }


async def audit_entries_json(
    session: AsyncSession, ctx: AppContext, entries: list[ModerationAction]
) -> list[dict[str, Any]]:
    """The audit log's entries (Shutter's own entity: docs/api.md)."""
    found = await accounts.accounts_by_ids(session, {e.account_id for e in entries})
    people = dict(zip(found, await render_accounts(ctx, found.values()), strict=True))
    return [
        {
            "id": str(e.id),
            "action": e.action,
            "target_type": e.target_type,
            "target_id": str(e.target_id),
            "text": e.text,
            "created_at": iso(e.created_at),
            "account": people.get(e.account_id),
        }
        for e in entries
    ]
