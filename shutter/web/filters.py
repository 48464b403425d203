"""Jinja2 filters the templates share (registered in templating.environment)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shutter.infra.db import utcnow


def _parse(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def relative_time(value: str | datetime, now: datetime | None = None) -> str:
    """Instagram's short age of a post: "now", "5m", "3h", "2d", "4w", then a date."""
    when = _parse(value)
    now = now or utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    seconds = int((now - when).total_seconds())
    if seconds < 60:
        return "now"
    # (below this many seconds, count in units of this many seconds, suffix)
    for limit, per, unit in ((3600, 60, "m"), (86400, 3600, "h"), (604800, 86400, "d")):
        if seconds < limit:
            return f"{seconds // per}{unit}"
    if seconds < 28 * 86400:
        return f"{seconds // 604800}w"
    return when.strftime("%-d %b %Y") if when.year != now.year else when.strftime("%-d %b")


def full_time(value: str | datetime) -> str:
    return _parse(value).strftime("%-d %B %Y, %H:%M UTC")


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (many or singular + 's')}"


FILTERS: dict[str, Any] = {
    "relative_time": relative_time,
    "full_time": full_time,
    "plural": plural,
}
