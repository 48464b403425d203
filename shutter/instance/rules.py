"""The instance's rules: written by admins, read by everyone (Mastodon's Rule entity).

Every client reads them with the instance (`/api/v2/instance`, `/api/v1/instance`,
`/api/v1/instance/rules`), often, and they change rarely: each process keeps them for
`CACHE_SECONDS`, forgets them at once when an admin edits them here, and keeps serving
the last ones it read while the database is unreachable (the instance answers then).
Another process sees an edit within `CACHE_SECONDS`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.context import AppContext, Part
from shutter.infra.db import utcnow
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.ids import ids, parse_id
from shutter.infra.process_copy import ProcessCopy
from shutter.instance.models import Rule

MAX_TEXT = 300
MAX_HINT = 1000
MAX_RULES = 100
MAX_POSITION = 1_000_000
CACHE_SECONDS = 60.0


def rule_json(rule: Rule) -> dict[str, Any]:
    return {"id": str(rule.id), "text": rule.text, "hint": rule.hint}


async def active_rules(session: AsyncSession) -> list[Rule]:
    """The rules in force, in their order (position, then age)."""
    rows = await session.scalars(
        select(Rule).where(Rule.deleted_at.is_(None)).order_by(Rule.position, Rule.id)
    )
    return list(rows)


class RuleBook(ProcessCopy[list[dict[str, Any]]]):
    """This process's copy of the rules in force, as JSON."""

    def __init__(self) -> None:
        super().__init__(_rules_json, seconds=CACHE_SECONDS, empty=[])


async def _rules_json(session: AsyncSession) -> list[dict[str, Any]]:
    return [rule_json(rule) for rule in await active_rules(session)]


RULES: Part[RuleBook] = Part("instance.rules")


def rule_book(ctx: AppContext) -> RuleBook:
    return ctx.part(RULES)


def _clean_text(text: str | None, *, required: bool) -> str | None:
    if text is None:
        if required:
            raise unprocessable("text is required", field="text")
        return None
    cleaned = text.strip()
    if not cleaned:
        raise unprocessable("text must not be blank", field="text")
    if len(cleaned) > MAX_TEXT:
        raise unprocessable(f"text is longer than {MAX_TEXT} characters", field="text")
    return cleaned


def _clean_hint(hint: str | None) -> str | None:
    if hint is not None and len(hint.strip()) > MAX_HINT:
        raise unprocessable(f"hint is longer than {MAX_HINT} characters", field="hint")
    return hint.strip() if hint is not None else None


def _check_position(position: int | None) -> None:
    if position is not None and not 0 <= position <= MAX_POSITION:
        raise unprocessable(f"position must be 0 to {MAX_POSITION}", field="position")


async def do_add_rule(
    session: AsyncSession, *, text: str | None, hint: str | None, position: int | None
) -> Rule:
    """A new rule, last unless `position` says otherwise; 422 on bad text or too many."""
    cleaned = _clean_text(text, required=True)
    cleaned_hint = _clean_hint(hint)
    _check_position(position)
    count = await session.scalar(
        select(func.count()).select_from(Rule).where(Rule.deleted_at.is_(None))
    )
    if (count or 0) >= MAX_RULES:
        raise unprocessable(f"an instance has at most {MAX_RULES} rules", field="text")
    if position is None:
        last = await session.scalar(
            select(func.max(Rule.position)).where(Rule.deleted_at.is_(None))
        )
        position = min((last or 0) + 1, MAX_POSITION)  # 1, 2, …: 0 stays free for a first
    now = utcnow()
    rule = Rule(
        id=ids.next_id(ids.new_shard()),
        text=cleaned,
        hint=cleaned_hint or "",
        position=position,
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    await session.flush()
    return rule


async def access_rule(session: AsyncSession, rule_id: int | str) -> Rule:
    """The rule in force with this id, or 404."""
    key = parse_id(rule_id)
    rule = await session.get(Rule, key) if key is not None else None
    if rule is None or rule.deleted_at is not None:
        raise not_found("Rule")
    return rule


async def do_edit_rule(
    session: AsyncSession,
    *,
    rule_id: int | str,
    text: str | None,
    hint: str | None,
    position: int | None,
) -> Rule:
    """Change what is given of a rule; 404 for no such rule, 422 on bad values."""
    rule = await access_rule(session, rule_id)
    cleaned = _clean_text(text, required=False)
    cleaned_hint = _clean_hint(hint)
    _check_position(position)
    if cleaned is not None:
        rule.text = cleaned
    if cleaned_hint is not None:
        rule.hint = cleaned_hint
    if position is not None:
        rule.position = position
    rule.updated_at = utcnow()
    await session.flush()
    return rule


async def do_remove_rule(session: AsyncSession, *, rule_id: int | str) -> None:
    """Withdraw a rule (kept, marked deleted, for the reports that name it); 404 if none."""
    rule = await access_rule(session, rule_id)
    rule.deleted_at = utcnow()
    await session.flush()
