"""Reports: filed by anyone against an account (and some of its posts), handled by
moderators — assigned, recategorised, resolved (the reporter is told) and reopened."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts import service as accounts
from shutter.accounts.models import Account, Credential
from shutter.infra.db import utcnow
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.ids import ids, parse_id, shard_of
from shutter.infra.mail import enqueue_mail
from shutter.infra.pagination import PageParams, paginate
from shutter.infra.settings import Settings
from shutter.instance import rules
from shutter.moderation import mails
from shutter.moderation.models import Report
from shutter.moderation.service import record, staff_ids
from shutter.notifications import service as notifications
from shutter.posts import service as posts

CATEGORIES = ("spam", "legal", "violation", "other")
MAX_COMMENT = 1000  # Mastodon's limit for a local report
MAX_STATUSES = 100
MAX_RULES = 100


def check_category(category: str | None, *, rule_ids: list[str]) -> str:
    """The category as stored: as given, else `violation` when rules are named (what
    else would they be), else `other`; 422 for one Mastodon does not know."""
    if category is None or category == "":
        return "violation" if rule_ids else "other"
    if category not in CATEGORIES:
        raise unprocessable(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    return category


async def check_rules(session: AsyncSession, rule_ids: list[str], *, category: str) -> list[str]:
    """The rules a report names, each one in force (422 otherwise); kept for a violation
    only, as Mastodon keeps them."""
    if len(rule_ids) > MAX_RULES:
        raise unprocessable(f"rule_ids names more than {MAX_RULES} rules", field="rule_ids")
    in_force = {str(rule.id) for rule in await rules.active_rules(session)}
    unknown = [rule_id for rule_id in rule_ids if rule_id not in in_force]
    if unknown:
        raise unprocessable(f"rule_ids names no rule in force: {unknown[0]}", field="rule_ids")
    return list(dict.fromkeys(rule_ids)) if category == "violation" else []


async def _check_statuses(
    session: AsyncSession, status_ids: list[str], *, reporter: Account, target: Account
) -> list[str]:
    """The reported posts: each the target's and visible to the reporter, else 404 (as
    Mastodon answers; nobody learns of a post they may not see)."""
    if len(status_ids) > MAX_STATUSES:
        raise unprocessable(f"status_ids names more than {MAX_STATUSES} posts", field="status_ids")
    checked: list[str] = []
    for raw in dict.fromkeys(status_ids):
        item = await posts.access_post(session, raw, viewer=reporter)
        if item.post.account_id != target.id:
            raise not_found("Status")
        checked.append(str(item.post.id))
    return checked


async def do_file_report(
    session: AsyncSession,
    *,
    reporter: Account,
    account_id: str,
    status_ids: list[str],
    comment: str | None,
    category: str | None,
    rule_ids: list[str],
) -> Report:
    """File a report; 404 for an account or post the reporter may not see, 422 for one
    about oneself or a bad category, rule or comment. Staff are notified."""
    target = await accounts.access_account(session, account_id)
    if target.id == reporter.id:
        raise unprocessable("You cannot report yourself", field="account_id")
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise unprocessable(f"comment is longer than {MAX_COMMENT} characters", field="comment")
    kind = check_category(category, rule_ids=rule_ids)
    kept_rules = await check_rules(session, rule_ids, category=kind)
    reported = await _check_statuses(session, status_ids, reporter=reporter, target=target)
    now = utcnow()
    report = Report(
        id=ids.next_id(shard_of(target.id)),
        account_id=reporter.id,
        target_account_id=target.id,
        category=kind,
        comment=text,
        status_ids=reported,
        rule_ids=kept_rules,
        forwarded=False,  # no federation: nowhere to forward to
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    await session.flush()
    for staff_id in await staff_ids(session):
        if staff_id != target.id:  # a moderator is not told of reports about them
            notifications.notify(
                session,
                type=notifications.ADMIN_REPORT,
                account_id=staff_id,
                from_account_id=reporter.id,
                subject_id=report.id,
            )
    return report


# --- moderators --------------------------------------------------------------------------


@dataclass
class ReportFilters:
    resolved: bool = False
    account_id: str | None = None
    target_account_id: str | None = None


def _id_or_nothing(raw: str) -> int:
    """A filter's id; one that names no row matches nothing (-1 is never an id)."""
    key = parse_id(raw)
    return key if key is not None else -1


def reports_query(filters: ReportFilters) -> Select[Report]:
    query = select(Report).where(
        Report.action_taken_at.is_not(None)
        if filters.resolved
        else Report.action_taken_at.is_(None)
    )
    if filters.account_id is not None:
        query = query.where(Report.account_id == _id_or_nothing(filters.account_id))
    if filters.target_account_id is not None:
        query = query.where(Report.target_account_id == _id_or_nothing(filters.target_account_id))
    return query


async def list_reports(
    session: AsyncSession, *, filters: ReportFilters, page: PageParams
) -> list[Report]:
    rows = list(await session.scalars(paginate(reports_query(filters), Report.id, page)))
    return sorted(rows, key=lambda report: report.id, reverse=True)


async def access_report(session: AsyncSession, report_id: int | str) -> Report:
    key = parse_id(report_id)
    report = await session.get(Report, key) if key is not None else None
    if report is None:
        raise not_found("Report")
    return report


async def lock_report(session: AsyncSession, report_id: int | str) -> Report:
    """The report, its row held until the commit (two moderators at once: one after the
    other)."""
    report = await access_report(session, report_id)
    await session.execute(select(Report.id).where(Report.id == report.id).with_for_update())
    await session.refresh(report)
    return report


async def do_update_report(
    session: AsyncSession,
    *,
    actor: Account,
    report_id: int,
    category: str | None,
    rule_ids: list[str] | None,
) -> Report:
    report = await lock_report(session, report_id)
    names = rule_ids if rule_ids is not None else list(report.rule_ids)
    kind = check_category(category, rule_ids=names) if category is not None else report.category
    report.rule_ids = await check_rules(session, names, category=kind)
    report.category = kind
    report.updated_at = utcnow()
    record(session, actor=actor, action="update", target_type="Report", target_id=report.id)
    return report


async def do_assign(
    session: AsyncSession, *, actor: Account, report_id: int, assign: bool
) -> Report:
    report = await lock_report(session, report_id)
    report.assigned_account_id = actor.id if assign else None
    report.updated_at = utcnow()
    record(
        session,
        actor=actor,
        action="assigned_to_self" if assign else "unassigned",
        target_type="Report",
        target_id=report.id,
    )
    return report


async def do_resolve(
    session: AsyncSession, *, settings: Settings, actor: Account, report_id: int
) -> Report:
    """Mark the report handled and tell its reporter (once: resolving a resolved report
    changes nothing)."""
    report = await lock_report(session, report_id)
    if report.action_taken_at is None:
        _resolve(report, actor)
        record(session, actor=actor, action="resolve", target_type="Report", target_id=report.id)
        await tell_reporter(session, settings=settings, report=report)
    return report


async def do_reopen(session: AsyncSession, *, actor: Account, report_id: int) -> Report:
    report = await lock_report(session, report_id)
    if report.action_taken_at is not None:
        report.action_taken_at = None
        report.action_taken_by_account_id = None
        report.updated_at = utcnow()
        record(session, actor=actor, action="reopen", target_type="Report", target_id=report.id)
    return report


def _resolve(report: Report, actor: Account) -> None:
    report.action_taken_at = utcnow()
    report.action_taken_by_account_id = actor.id
    report.updated_at = report.action_taken_at


async def tell_reporter(session: AsyncSession, *, settings: Settings, report: Report) -> None:
    """Mail the reporter that their report was handled (after the commit)."""
    found = await accounts.accounts_by_ids(session, {report.account_id, report.target_account_id})
    credential = await session.get(Credential, report.account_id)
    reporter, target = found.get(report.account_id), found.get(report.target_account_id)
    if credential is None or reporter is None or target is None:
        return
    enqueue_mail(
        session,
        mails.report_resolved(
            settings, to=credential.email, username=reporter.username, target=target.username
        ),
    )


async def resolve_for_action(
    session: AsyncSession,
    *,
    settings: Settings,
    actor: Account,
    target: Account,
    report_id: int | None,
    every_open: bool,
) -> None:
    """Resolve the report an account action was taken for (422 if it is not about that
    account) and, for an action other than a warning, every open report about the
    account (Mastodon's rule)."""
    chosen: list[Report] = []
    if report_id is not None:
        report = await lock_report(session, report_id)
        if report.target_account_id != target.id:
            raise unprocessable("report_id is not a report about this account", field="report_id")
        chosen.append(report)
    if every_open:
        chosen += list(
            await session.scalars(
                select(Report)
                .where(
                    (Report.target_account_id == target.id)
                    & Report.action_taken_at.is_(None)
                    & (Report.id != (report_id or 0))
                )
                .with_for_update()
            )
        )
    for report in chosen:
        if report.action_taken_at is None:
            _resolve(report, actor)
            record(
                session, actor=actor, action="resolve", target_type="Report", target_id=report.id
            )
            await tell_reporter(session, settings=settings, report=report)


async def reports_by_ids(session: AsyncSession, report_ids: list[int]) -> list[Report]:
    if not report_ids:
        return []
    return list(await session.scalars(select(Report).where(Report.id.in_(report_ids))))
