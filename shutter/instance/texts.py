"""The instance's pages that admins write: the extended description (Mastodon's about
page), the privacy policy, and the terms of service in dated versions (Mastodon 4.4).

Admins write plain text, shown as escaped HTML paragraphs (infra/formats.text_to_html),
so nothing an admin pastes can run in a client. The only room that writes
`instance_texts`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.db import utcnow
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.formats import iso, text_to_html
from shutter.infra.ids import ids
from shutter.instance.models import InstanceText

EXTENDED_DESCRIPTION = "extended_description"
PRIVACY_POLICY = "privacy_policy"
TERMS_OF_SERVICE = "terms_of_service"
PAGES = (EXTENDED_DESCRIPTION, PRIVACY_POLICY)
MAX_TEXT = 100_000
# What an unwritten page says it was updated at: Shutter's epoch (infra/ids.py), a
# fixed time, so an unchanged page never looks new to a client.
NEVER = datetime(2026, 1, 1, tzinfo=UTC)

DEFAULT_PRIVACY_POLICY = """\
This server stores what you give it to run your account: your username, e-mail address \
and password (hashed), your profile, the photos and videos you post with their \
descriptions, your likes, saves, follows, blocks and mutes.

When you log in, the address you connect from and your browser or app are recorded, so \
that you can review and end your sessions.

Posts are seen by the audience you choose. The operators of this server can read \
everything stored on it, including posts with a restricted audience. Media files have \
their location and camera data removed when they are processed.

You can export your data and delete your account at any time from your settings."""


def _clean_text(text: str | None) -> str:
    if text is None:
        raise unprocessable("text is required", field="text")
    if len(text) > MAX_TEXT:
        raise unprocessable(f"text is longer than {MAX_TEXT} characters", field="text")
    return text.strip()


def parse_date(raw: str | None, *, field: str = "effective_date") -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        raise unprocessable(f"{field} must be a date (YYYY-MM-DD)", field=field) from None


async def page(session: AsyncSession, kind: str) -> InstanceText | None:
    found: InstanceText | None = await session.scalar(
        select(InstanceText).where(InstanceText.kind == kind)
    )
    return found


def page_json(kind: str, row: InstanceText | None) -> dict[str, Any]:
    """ExtendedDescription or PrivacyPolicy: an unwritten privacy policy is the default."""
    text = row.text if row is not None else ""
    if kind == PRIVACY_POLICY and not text:
        text = DEFAULT_PRIVACY_POLICY
    return {"updated_at": iso(row.updated_at if row else NEVER), "content": text_to_html(text)}


async def do_set_page(session: AsyncSession, *, kind: str, text: str | None) -> InstanceText:
    """Write the extended description or the privacy policy (empty: back to none)."""
    cleaned = _clean_text(text)
    row = await page(session, kind)
    now = utcnow()
    if row is None:
        row = InstanceText(id=ids.next_id(ids.new_shard()), kind=kind, created_at=now)
        session.add(row)
    row.text, row.effective_date, row.updated_at = cleaned, "", now
    await session.flush()
    return row


async def terms_versions(session: AsyncSession) -> list[InstanceText]:
    """Every version of the terms of service, the newest effective date first."""
    rows = await session.scalars(
        select(InstanceText)
        .where(InstanceText.kind == TERMS_OF_SERVICE)
        .order_by(InstanceText.effective_date.desc())
    )
    return list(rows)


def terms_json(versions: list[InstanceText], chosen: InstanceText, today: date) -> dict[str, Any]:
    later = [v.effective_date for v in versions if v.effective_date > chosen.effective_date]
    return {
        "effective_date": chosen.effective_date,
        "effective": chosen.effective_date <= today.isoformat(),
        "content": text_to_html(chosen.text),
        "succeeded_by": min(later) if later else None,
    }


async def current_terms(session: AsyncSession, *, on: str | None = None) -> dict[str, Any]:
    """The terms in effect today (or those taking effect on `on`, an ISO date); 404 when
    there are none, as Mastodon answers."""
    versions = await terms_versions(session)
    today = utcnow().date()
    if on is None:
        chosen = next((v for v in versions if v.effective_date <= today.isoformat()), None)
        # Only future terms: Mastodon shows the next ones, marked not yet effective.
        chosen = chosen or (versions[-1] if versions else None)
    else:
        chosen = next((v for v in versions if v.effective_date == on), None)
    if chosen is None:
        raise not_found("Terms of service")
    return terms_json(versions, chosen, today)


async def do_set_terms(
    session: AsyncSession, *, text: str | None, effective_date: str | None
) -> InstanceText:
    """Add the version of the terms taking effect on `effective_date`, or rewrite it."""
    cleaned = _clean_text(text)
    if not cleaned:
        raise unprocessable("text must not be blank", field="text")
    day = parse_date(effective_date).isoformat()
    row: InstanceText | None = await session.scalar(
        select(InstanceText).where(
            InstanceText.kind == TERMS_OF_SERVICE, InstanceText.effective_date == day
        )
    )
    now = utcnow()
    if row is None:
        row = InstanceText(
            id=ids.next_id(ids.new_shard()),
            kind=TERMS_OF_SERVICE,
            effective_date=day,
            created_at=now,
        )
        session.add(row)
    row.text, row.updated_at = cleaned, now
    await session.flush()
    return row


async def do_remove_terms(session: AsyncSession, *, effective_date: str) -> None:
    day = parse_date(effective_date).isoformat()
    removed = await session.execute(
        delete(InstanceText)
        .where(InstanceText.kind == TERMS_OF_SERVICE, InstanceText.effective_date == day)
        .returning(InstanceText.id)
    )
    if not removed.all():
        raise not_found("Terms of service")
