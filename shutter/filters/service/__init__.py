"""The rules of filters: who owns what, what a filter may hold (the v1 API is mapped
onto them in `v1.py`).

Anything that is not the caller's is a 404, whoever owns it. A change tells the
account's open streams to load its filters again (`FILTERS_CHANGED`, on the account's
user channel; streams do not forward it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.filters.matching import ACTIONS, CONTEXTS
from shutter.filters.models import Filter, FilterKeyword, FilterStatus
from shutter.filters.schemas import KeywordAttributes
from shutter.infra.context import session_context
from shutter.infra.db import utcnow
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.events import user_channel
from shutter.infra.ids import ids, parse_id, shard_of
from shutter.posts.models import Post

MAX_TITLE = 256
MAX_KEYWORD = 512
MAX_FILTERS = 500
MAX_KEYWORDS = 200
MAX_STATUSES = 1000
# Past a century an expiry means nothing, and far enough past it a date overflows.
MAX_EXPIRES_IN = 100 * 365 * 24 * 3600
FILTERS_CHANGED = "filters_changed"


@dataclass
class FullFilter:
    filter: Filter
    keywords: list[FilterKeyword]
    statuses: list[FilterStatus]


# --- checks ------------------------------------------------------------------------------


def clean_title(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise unprocessable("title can't be blank", field="title")
    if len(raw.strip()) > MAX_TITLE:
        raise unprocessable(f"title is longer than {MAX_TITLE} characters", field="title")
    return raw.strip()


def clean_keyword(raw: str | None, *, field: str = "keyword") -> str:
    if raw is None or not raw.strip():
        raise unprocessable(f"{field} can't be blank", field=field)
    if len(raw.strip()) > MAX_KEYWORD:
        raise unprocessable(f"{field} is longer than {MAX_KEYWORD} characters", field=field)
    return raw.strip()


def clean_context(raw: list[str] | None) -> str:
    if not raw:
        raise unprocessable("context can't be blank", field="context")
    unknown = [c for c in raw if c not in CONTEXTS]
    if unknown:
        raise unprocessable(
            f"context must be among {', '.join(CONTEXTS)} (not {unknown[0][:50]!r})",
            field="context",
        )
    return ",".join(dict.fromkeys(raw))


def clean_action(raw: str | None) -> str:
    if raw not in ACTIONS:
        raise unprocessable("filter_action must be warn or hide", field="filter_action")
    return raw


def expiry_from(raw: int | str | None, now: datetime) -> datetime | None:
    """`expires_in` seconds from now; blank is no expiry."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    seconds: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        seconds = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        seconds = int(raw.strip())
    if seconds is None or not 0 < seconds <= MAX_EXPIRES_IN:
        raise unprocessable(
            f"expires_in must be a number of seconds from 1 to {MAX_EXPIRES_IN}",
            field="expires_in",
        )
    return now + timedelta(seconds=seconds)


def announce_change(session: AsyncSession, account_id: int) -> None:
    session_context(session).events.publish(
        session, user_channel(account_id), {"event": FILTERS_CHANGED, "payload": ""}
    )


# --- reading -----------------------------------------------------------------------------


async def access_filter(session: AsyncSession, *, account: Account, filter_id: object) -> Filter:
    """The caller's filter with this id, or 404 (someone else's is as absent as none)."""
    key = parse_id(filter_id)
    found = await session.get(Filter, key) if key is not None else None
    if found is None or found.account_id != account.id:
        raise not_found()
    return found


async def access_keyword(
    session: AsyncSession, *, account: Account, keyword_id: object
) -> tuple[FilterKeyword, Filter]:
    key = parse_id(keyword_id)
    row = (
        (
            await session.execute(
                select(FilterKeyword, Filter)
                .join(Filter, Filter.id == FilterKeyword.filter_id)
                .where((FilterKeyword.id == key) & (Filter.account_id == account.id))
            )
        ).first()
        if key is not None
        else None
    )
    if row is None:
        raise not_found()
    return row[0], row[1]


async def access_filter_status(
    session: AsyncSession, *, account: Account, status_filter_id: object
) -> FilterStatus:
    key = parse_id(status_filter_id)
    found = (
        await session.scalar(
            select(FilterStatus)
            .join(Filter, Filter.id == FilterStatus.filter_id)
            .where((FilterStatus.id == key) & (Filter.account_id == account.id))
        )
        if key is not None
        else None
    )
    if found is None:
        raise not_found()
    return found


async def keywords_of(session: AsyncSession, filter_ids: list[int]) -> list[FilterKeyword]:
    rows = await session.scalars(
        select(FilterKeyword)
        .where(FilterKeyword.filter_id.in_(filter_ids))
        .order_by(FilterKeyword.id)
    )
    return list(rows)


async def statuses_of(session: AsyncSession, filter_ids: list[int]) -> list[FilterStatus]:
    rows = await session.scalars(
        select(FilterStatus).where(FilterStatus.filter_id.in_(filter_ids)).order_by(FilterStatus.id)
    )
    return list(rows)


async def full_filters(session: AsyncSession, filters: list[Filter]) -> list[FullFilter]:
    """Filters with their keywords and statuses: two queries whatever their number."""
    filter_ids = [f.id for f in filters]
    keywords = await keywords_of(session, filter_ids)
    statuses = await statuses_of(session, filter_ids)
    return [
        FullFilter(
            f,
            [k for k in keywords if k.filter_id == f.id],
            [s for s in statuses if s.filter_id == f.id],
        )
        for f in filters
    ]


async def list_filters(session: AsyncSession, *, account: Account) -> list[FullFilter]:
    """All the account's filters, expired ones too (Mastodon lists them), oldest first."""
    filters = await session.scalars(
        select(Filter).where(Filter.account_id == account.id).order_by(Filter.id)
    )
    return await full_filters(session, list(filters))


async def get_filter(session: AsyncSession, *, account: Account, filter_id: object) -> FullFilter:
    found = await access_filter(session, account=account, filter_id=filter_id)
    return (await full_filters(session, [found]))[0]


# --- writing -----------------------------------------------------------------------------


async def count_rows(session: AsyncSession, table: Any, where: ColumnElement[bool]) -> int:
    return (await session.scalar(select(func.count()).select_from(table).where(where))) or 0


def _new_keyword(filter: Filter, keyword: str, whole_word: bool | None) -> FilterKeyword:
    return FilterKeyword(
        id=ids.next_id(shard_of(filter.id)),
        filter_id=filter.id,
        keyword=keyword,
        whole_word=True if whole_word is None else whole_word,
        created_at=utcnow(),
    )


async def do_create_filter(
    session: AsyncSession,
    *,
    account: Account,
    title: str | None,
    context: list[str] | None,
    action: str | None,
    expires_in: int | str | None,
    keywords: list[KeywordAttributes] | None = None,
) -> FullFilter:
    """A new filter with its keywords; 422 on a blank title, bad contexts or action."""
    now = utcnow()
    created = Filter(
        id=ids.next_id(shard_of(account.id)),
        account_id=account.id,
        title=clean_title(title),
        context=clean_context(context),
        action=clean_action(action or "warn"),
        expires_at=expiry_from(expires_in, now),
        created_at=now,
        updated_at=now,
    )
    adding = [
        (clean_keyword(k.keyword, field="keywords_attributes.keyword"), k.whole_word)
        for k in keywords or []
        if not k.destroy
    ]
    if len(adding) > MAX_KEYWORDS:
        raise unprocessable(f"a filter has at most {MAX_KEYWORDS} keywords", field="keywords")
    if await count_rows(session, Filter, Filter.account_id == account.id) >= MAX_FILTERS:
        raise unprocessable(f"an account has at most {MAX_FILTERS} filters", field="title")
    session.add(created)
    await session.flush()
    made = [_new_keyword(created, k, w) for k, w in adding]
    session.add_all(made)
    await session.flush()
    announce_change(session, account.id)
    return FullFilter(created, made, [])


async def do_update_filter(
    session: AsyncSession,
    *,
    account: Account,
    filter_id: object,
    fields: set[str],
    title: str | None,
    context: list[str] | None,
    action: str | None,
    expires_in: int | str | None,
    keywords: list[KeywordAttributes] | None,
) -> FullFilter:
    """Change the given fields (`fields`: the names the client sent) and apply the
    keyword changes (`id` to change one, with `_destroy` to remove it, none to add)."""
    found = await access_filter(session, account=account, filter_id=filter_id)
    now = utcnow()
    if "title" in fields:
        found.title = clean_title(title)
    if "context" in fields:
        found.context = clean_context(context)
    if "filter_action" in fields:
        found.action = clean_action(action)
    if "expires_in" in fields:
        found.expires_at = expiry_from(expires_in, now)
    existing = {k.id: k for k in await keywords_of(session, [found.id])}
    added: list[FilterKeyword] = []
    for change in keywords or []:
        if change.id is None:
            if not change.destroy:
                keyword = clean_keyword(change.keyword, field="keywords_attributes.keyword")
                added.append(_new_keyword(found, keyword, change.whole_word))
            continue
        target = existing.get(int(change.id))
        if target is None:
            raise not_found()  # as Rails' nested attributes: not one of this filter's
        if change.destroy:
            await session.delete(target)
            del existing[target.id]
            continue
        if change.keyword is not None:
            target.keyword = clean_keyword(change.keyword, field="keywords_attributes.keyword")
        if change.whole_word is not None:
            target.whole_word = change.whole_word
    if len(existing) + len(added) > MAX_KEYWORDS:
        raise unprocessable(f"a filter has at most {MAX_KEYWORDS} keywords", field="keywords")
    session.add_all(added)
    found.updated_at = now
    await session.flush()
    announce_change(session, account.id)
    return (await full_filters(session, [found]))[0]


async def do_delete_filter(session: AsyncSession, *, account: Account, filter_id: object) -> None:
    found = await access_filter(session, account=account, filter_id=filter_id)
    # Explicitly, not by the cascade alone: SQLite's foreign keys may be off in a tool.
    await session.execute(delete(FilterKeyword).where(FilterKeyword.filter_id == found.id))
    await session.execute(delete(FilterStatus).where(FilterStatus.filter_id == found.id))
    await session.delete(found)
    await session.flush()
    announce_change(session, account.id)


async def do_add_keyword(
    session: AsyncSession,
    *,
    account: Account,
    filter_id: object,
    keyword: str | None,
    whole_word: bool | None,
) -> FilterKeyword:
    found = await access_filter(session, account=account, filter_id=filter_id)
    text = clean_keyword(keyword)
    if (
        await count_rows(session, FilterKeyword, FilterKeyword.filter_id == found.id)
        >= MAX_KEYWORDS
    ):
        raise unprocessable(f"a filter has at most {MAX_KEYWORDS} keywords", field="keyword")
    made = _new_keyword(found, text, whole_word)
    session.add(made)
    await session.flush()
    announce_change(session, account.id)
    return made


async def do_update_keyword(
    session: AsyncSession,
    *,
    account: Account,
    keyword_id: object,
    keyword: str | None,
    whole_word: bool | None,
    fields: set[str],
) -> FilterKeyword:
    found, _ = await access_keyword(session, account=account, keyword_id=keyword_id)
    if "keyword" in fields:
        found.keyword = clean_keyword(keyword)
    if whole_word is not None:
        found.whole_word = whole_word
    await session.flush()
    announce_change(session, account.id)
    return found


async def do_delete_keyword(session: AsyncSession, *, account: Account, keyword_id: object) -> None:
    found, _ = await access_keyword(session, account=account, keyword_id=keyword_id)
    await session.delete(found)
    await session.flush()
    announce_change(session, account.id)


async def do_add_status(
    session: AsyncSession, *, account: Account, filter_id: object, status_id: str | None
) -> FilterStatus:
    """A status the filter matches by id; 422 for no such status or one already there."""
    found = await access_filter(session, account=account, filter_id=filter_id)
    post_id = parse_id(status_id)
    if post_id is None or await session.get(Post, post_id) is None:
        raise unprocessable("status must exist", field="status_id")
    taken = await session.scalar(
        select(FilterStatus.id).where(
            (FilterStatus.filter_id == found.id) & (FilterStatus.post_id == post_id)
        )
    )
    if taken is not None:
        raise unprocessable("status is already in this filter", field="status_id")
    if await count_rows(session, FilterStatus, FilterStatus.filter_id == found.id) >= MAX_STATUSES:
        raise unprocessable(f"a filter has at most {MAX_STATUSES} statuses", field="status_id")
    made = FilterStatus(
        id=ids.next_id(shard_of(found.id)), filter_id=found.id, post_id=post_id, created_at=utcnow()
    )
    session.add(made)
    await session.flush()
    announce_change(session, account.id)
    return made


async def do_delete_status(
    session: AsyncSession, *, account: Account, status_filter_id: object
) -> None:
    found = await access_filter_status(session, account=account, status_filter_id=status_filter_id)
    await session.delete(found)
    await session.flush()
    announce_change(session, account.id)


async def do_remove_account(session: AsyncSession, *, account_id: int) -> None:
    """A deleted account's filters, with their keywords and statuses."""
    owned = select(Filter.id).where(Filter.account_id == account_id)
    await session.execute(delete(FilterKeyword).where(FilterKeyword.filter_id.in_(owned)))
    await session.execute(delete(FilterStatus).where(FilterStatus.filter_id.in_(owned)))
    await session.execute(delete(Filter).where(Filter.account_id == account_id))
