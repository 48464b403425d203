"""The v1 filters API mapped onto v2, as in Mastodon 4.3: a v1 filter is a keyword.

Creating one makes a filter titled with the phrase holding that one keyword; its id is
the keyword's id, and `irreversible` is the filter's `hide` action.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.filters.models import Filter, FilterKeyword
from shutter.filters.schemas import KeywordAttributes
from shutter.filters.service import (
    MAX_TITLE,
    access_keyword,
    announce_change,
    clean_context,
    clean_keyword,
    count_rows,
    do_create_filter,
    do_delete_keyword,
    expiry_from,
)
from shutter.infra.db import utcnow
from shutter.infra.errors import unprocessable


async def list_v1(session: AsyncSession, *, account: Account) -> list[tuple[FilterKeyword, Filter]]:
    """Every keyword of the account's filters: the v1 API's filters."""
    rows = await session.execute(
        select(FilterKeyword, Filter)
        .join(Filter, Filter.id == FilterKeyword.filter_id)
        .where(Filter.account_id == account.id)
        .order_by(FilterKeyword.id)
    )
    return [(k, f) for k, f in rows.all()]


async def do_create_v1(
    session: AsyncSession,
    *,
    account: Account,
    phrase: str | None,
    context: list[str] | None,
    irreversible: bool | None,
    whole_word: bool | None,
    expires_in: int | str | None,
) -> tuple[FilterKeyword, Filter]:
    """A filter titled with the phrase, holding it as its one keyword."""
    text = clean_keyword(phrase, field="phrase")
    made = await do_create_filter(
        session,
        account=account,
        title=text[:MAX_TITLE],
        context=context,
        action="hide" if irreversible else "warn",
        expires_in=expires_in,
        keywords=[KeywordAttributes.model_validate({"keyword": text, "whole_word": whole_word})],
    )
    return made.keywords[0], made.filter


async def do_update_v1(
    session: AsyncSession,
    *,
    account: Account,
    keyword_id: object,
    fields: set[str],
    phrase: str | None,
    context: list[str] | None,
    irreversible: bool | None,
    whole_word: bool | None,
    expires_in: int | str | None,
) -> tuple[FilterKeyword, Filter]:
    """Change a v1 filter: its phrase and whole_word on the keyword, the rest on its filter
    (refused, as Mastodon does, when that filter holds other keywords too)."""
    keyword, found = await access_keyword(session, account=account, keyword_id=keyword_id)
    if "phrase" in fields:
        keyword.keyword = clean_keyword(phrase, field="phrase")
    if whole_word is not None:
        keyword.whole_word = whole_word
    filter_fields = fields & {"context", "irreversible", "expires_in"}
    if filter_fields:
        others = await count_rows(
            session,
            FilterKeyword,
            (FilterKeyword.filter_id == found.id) & (FilterKeyword.id != keyword.id),
        )
        if others:
            raise unprocessable(
                "this filter holds several keywords: change it through /api/v2/filters",
                field="context",
            )
        if "context" in fields:
            found.context = clean_context(context)
        if "irreversible" in fields:
            found.action = "hide" if irreversible else "warn"
        if "expires_in" in fields:
            found.expires_at = expiry_from(expires_in, utcnow())
        found.updated_at = utcnow()
    await session.flush()
    announce_change(session, account.id)
    return keyword, found


async def do_delete_v1(session: AsyncSession, *, account: Account, keyword_id: object) -> None:
    """Remove a v1 filter: its keyword (its filter stays, as in Mastodon)."""
    await do_delete_keyword(session, account=account, keyword_id=keyword_id)
