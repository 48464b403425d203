"""A viewer's filters applied to rendered statuses (read-only; the rules that write
filters are in shutter/filters/service.py).

Matching follows Mastodon 4.3's `CustomFilter.apply_cached_filters`: a filter's keywords
match the status's searchable text (content warning, the caption as plain text, media
descriptions) case-insensitively, a whole-word keyword only between word boundaries (at
an end that is a word character); its statuses match by id. Expired filters are not
loaded. Own posts are filtered too, as Mastodon's server does.

It works on Status JSON, not on posts: a page's statuses come from the entity cache,
which holds JSON only, and streams carry JSON. Each path loads the viewer's filters once
(`load_filters`, one query) and gives `apply` the context it shows statuses in: a
status matched by a `hide` filter of that context is left out; one matched by `warn`
filters carries `filtered` (Mastodon's FilterResult list). Unmatched statuses keep the
empty `filtered` of the cached JSON, so a viewer without filters pays nothing.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Text, cast, false, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.filters.models import Filter, FilterKeyword, FilterStatus
from shutter.infra.db import utcnow
from shutter.infra.formats import iso

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("warn", "hide")

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p>\s*<p[^>]*>", re.IGNORECASE)
_MARKUP = re.compile(r"<[^>]*>")


def keyword_pattern(keyword: str, whole_word: bool) -> str:
    """One keyword as a regular expression (Mastodon's `CustomFilterKeyword#to_regex`)."""
    escaped = re.escape(keyword)
    if not whole_word:
        return escaped
    start = r"\b" if re.match(r"\w", keyword) else ""
    end = r"\b" if re.search(r"\w\Z", keyword) else ""
    return f"{start}{escaped}{end}"


def plain_text(content: str) -> str:
    """A Status's HTML `content` as the text a reader sees (paragraphs, line breaks)."""
    text = _PARAGRAPH.sub("\n\n", _BREAK.sub("\n", content))
    return html.unescape(_MARKUP.sub("", text))


def searchable_text(status: dict[str, Any]) -> str:
    """What keywords are matched against (Mastodon's `Status#searchable_text`)."""
    parts = [status.get("spoiler_text") or "", plain_text(status.get("content") or "")]
    descriptions = [
        media.get("description") or "" for media in status.get("media_attachments") or []
    ]
    if any(descriptions):
        parts.append("\n\n".join(d for d in descriptions if d))
    return "\n\n".join(parts)


@dataclass
class ActiveFilter:
    """One of the viewer's filters in force, with its compiled keywords."""

    id: int
    title: str
    context: tuple[str, ...]
    action: str
    expires_at: datetime | None
    keywords: list[str] = field(default_factory=list)
    status_ids: set[int] = field(default_factory=set)
    _regex: re.Pattern[str] | None = None

    def add_keyword(self, keyword: str, whole_word: bool) -> None:
        self.keywords.append(keyword_pattern(keyword, whole_word))
        self._regex = None

    @property
    def regex(self) -> re.Pattern[str] | None:
        if self._regex is None and self.keywords:
            union = "|".join(f"(?:{k})" for k in self.keywords)
            self._regex = re.compile(union, re.IGNORECASE | re.DOTALL)
        return self._regex

    def json(self) -> dict[str, Any]:
        """The Filter entity as a FilterResult carries it (without keywords and statuses)."""
        return {
            "id": str(self.id),
            "title": self.title,
            "context": list(self.context),
            "expires_at": iso(self.expires_at),
            "filter_action": self.action,
        }


@dataclass
class ViewerFilters:
    """A viewer's filters in force, loaded once for a request (or a stream, for a while)."""

    filters: list[ActiveFilter]

    def __bool__(self) -> bool:
        return bool(self.filters)

    def results(self, status: dict[str, Any], context: str) -> list[tuple[str, dict[str, Any]]]:
        """(action, FilterResult) of each filter of `context` that matches `status`."""
        found: list[tuple[str, dict[str, Any]]] = []
        text: str | None = None
        for active in self.filters:
            if context not in active.context:
                continue
            keyword_matches: list[str] | None = None
            if active.regex is not None:
                if text is None:
                    text = searchable_text(status)
                if (match := active.regex.search(text)) is not None:
                    keyword_matches = [match.group()]
            status_matches: list[str] | None = None
            if active.status_ids and int(status.get("id") or 0) in active.status_ids:
                status_matches = [str(status["id"])]
            if keyword_matches or status_matches:
                result = {
                    "filter": active.json(),
                    "keyword_matches": keyword_matches,
                    "status_matches": status_matches,
                }
                found.append((active.action, result))
        return found

    def verdict(self, status: dict[str, Any], context: str) -> dict[str, Any] | None:
        """`status` as the viewer sees it in `context`: None when a `hide` filter drops it,
        with `filtered` set when `warn` filters match. `status` is changed in place."""
        if not self.filters:
            return status
        found = self.results(status, context)
        if any(action == "hide" for action, _ in found):
            return None
        if found:
            status["filtered"] = [result for _, result in found]
        return status

    def mark(self, status: dict[str, Any], context: str) -> None:
        """Set `filtered` on `status` for every matching filter of `context`, dropping none."""
        if self.filters and (found := self.results(status, context)):
            status["filtered"] = [result for _, result in found]

    def apply(self, statuses: list[dict[str, Any]], context: str) -> list[dict[str, Any]]:
        """`verdict` for each status; the dropped ones are left out."""
        if not self.filters:
            return statuses
        return [s for s in statuses if self.verdict(s, context) is not None]


NO_FILTERS = ViewerFilters([])


async def load_filters(
    session: AsyncSession, *, account_id: int, now: datetime | None = None
) -> ViewerFilters:
    """The account's filters in force with their keywords and statuses: one query.

    Filters with neither keywords nor statuses match nothing and are not loaded.
    """
    now = now or utcnow()
    columns = (Filter.id, Filter.title, Filter.context, Filter.action, Filter.expires_at)
    active = (Filter.account_id == account_id) & (
        Filter.expires_at.is_(None) | (Filter.expires_at > now)
    )
    keywords = (
        select(*columns, FilterKeyword.keyword, FilterKeyword.whole_word, cast(null(), BigInteger))
        .join(Filter, Filter.id == FilterKeyword.filter_id)
        .where(active)
    )
    statuses = (
        select(*columns, cast(null(), Text), false(), FilterStatus.post_id)
        .join(Filter, Filter.id == FilterStatus.filter_id)
        .where(active)
    )
    rows = await session.execute(union_all(keywords, statuses))
    by_id: dict[int, ActiveFilter] = {}
    for filter_id, title, context, action, expires_at, keyword, whole_word, post_id in rows:
        found = by_id.get(filter_id)
        if found is None:
            found = by_id[filter_id] = ActiveFilter(
                id=filter_id,
                title=title,
                context=tuple(context.split(",")),
                action=action,
                expires_at=expires_at,
            )
        if keyword is not None:
            found.add_keyword(keyword, bool(whole_word))
        if post_id is not None:
            found.status_ids.add(post_id)
    return ViewerFilters(sorted(by_id.values(), key=lambda f: f.id))
