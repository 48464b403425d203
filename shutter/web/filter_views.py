"""What the filters pages show, from the filters service's `FullFilter`s and from a form
sent back (a refusal shows what was typed): names of contexts and actions, the expiry in
words, the keyword rows. No rule lives here (shutter/filters/service holds them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from shutter.filters.schemas import contexts_of
from shutter.filters.service import MAX_KEYWORD, MAX_TITLE, FullFilter
from shutter.web.filter_forms import FilterForm

# The places a filter applies, in the order the form offers them, as the website names
# them ("public" is what the website shows of the public timelines: hashtags, Explore).
CONTEXT_NAMES = {
    "home": "Home",
    "notifications": "Notifications",
    "public": "Hashtags and Explore",
    "thread": "Post pages",
    "account": "Profiles",
}
ACTION_NAMES = {"warn": "Warn", "hide": "Hide completely"}
# (value, label) of the expiry select; "keep" is added before them when editing.
EXPIRY_CHOICES = (
    ("", "Never"),
    ("1800", "30 minutes"),
    ("3600", "1 hour"),
    ("21600", "6 hours"),
    ("43200", "12 hours"),
    ("86400", "1 day"),
    ("604800", "1 week"),
)
# New rows a form shows below the filter's own keywords.
BLANK_ROWS = 1
LIMITS = {"title": MAX_TITLE, "keyword": MAX_KEYWORD}


def expiry_text(expires_at: datetime | None, now: datetime) -> str:
    """The expiry in words: "Never expires", "Expired", "Expires in 25 minutes"."""
    if expires_at is None:
        return "Never expires"
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    seconds = (expires_at - now).total_seconds()
    if seconds <= 0:
        return "Expired"
    # Rounded to the nearest unit: 59.9 minutes is "1 hour", not "60 minutes".
    if (minutes := max(1, round(seconds / 60))) < 60:
        return _expires_in(minutes, "minute")
    if (hours := round(seconds / 3600)) < 24:
        return _expires_in(hours, "hour")
    return _expires_in(round(seconds / 86400), "day")


def _expires_in(count: int, unit: str) -> str:
    return f"Expires in {count} {unit}{'' if count == 1 else 's'}"


@dataclass
class KeywordView:
    """One row of the form: a filter's own keyword (with its id) or a new one."""

    index: int
    keyword: str = ""
    whole_word: bool = True
    id: str | None = None
    remove: bool = False


@dataclass
class FilterView:
    id: str | None
    title: str = ""
    contexts: list[str] = field(default_factory=list)
    action: str = "warn"
    expiry: str = "Never expires"
    expired: bool = False
    has_expiry: bool = False
    # The expiry select's choice: "keep" (as it is), "" (never) or seconds.
    expires_in: str = ""
    keywords: list[KeywordView] = field(default_factory=list)
    statuses: int = 0
    # The title as stored (a refused form shows what was typed in `title`).
    stored_title: str = ""

    @property
    def context_names(self) -> str:
        return ", ".join(CONTEXT_NAMES[c] for c in CONTEXT_NAMES if c in self.contexts)

    @property
    def action_name(self) -> str:
        return ACTION_NAMES.get(self.action, self.action)

    @property
    def keyword_count(self) -> int:
        return sum(1 for k in self.keywords if k.id is not None)


def filter_view(found: FullFilter, now: datetime) -> FilterView:
    expires_at = found.filter.expires_at
    expiry = expiry_text(expires_at, now)
    return FilterView(
        id=str(found.filter.id),
        title=found.filter.title,
        contexts=contexts_of(found.filter),
        action=found.filter.action,
        expiry=expiry,
        expired=expiry == "Expired",
        has_expiry=expires_at is not None,
        expires_in="keep" if expires_at is not None else "",
        keywords=[
            KeywordView(index=i, keyword=k.keyword, whole_word=k.whole_word, id=str(k.id))
            for i, k in enumerate(found.keywords)
        ],
        statuses=len(found.statuses),
        stored_title=found.filter.title,
    )


def new_filter_view() -> FilterView:
    """An empty form: Home, Warn, never, as Mastodon's form starts."""
    return FilterView(id=None, contexts=["home"])


def form_view(form: FilterForm, saved: FilterView | None) -> FilterView:
    """The form as it was sent (a refusal, or "Add keyword"): what was typed, over what
    the filter holds (its expiry, its post count)."""
    base = saved or new_filter_view()
    return FilterView(
        id=base.id,
        title=form.title,
        contexts=list(form.context),
        action=form.filter_action,
        expiry=base.expiry,
        expired=base.expired,
        has_expiry=base.has_expiry,
        expires_in=form.expires_in,
        keywords=[
            KeywordView(
                index=i,
                keyword=row.keyword,
                whole_word=row.whole_word == "true",
                id=row.id,
                remove=row.remove == "true",
            )
            for i, row in enumerate(form.keywords)
            if row.id is not None or row.keyword.strip()
        ],
        statuses=base.statuses,
        stored_title=base.stored_title,
    )


def with_blank_rows(view: FilterView, count: int = BLANK_ROWS) -> list[KeywordView]:
    """The form's rows: the view's keywords renumbered, then `count` blank ones."""
    rows = [
        KeywordView(index=i, keyword=k.keyword, whole_word=k.whole_word, id=k.id, remove=k.remove)
        for i, k in enumerate(view.keywords)
    ]
    start = len(rows)
    return rows + [KeywordView(index=start + i) for i in range(count)]
