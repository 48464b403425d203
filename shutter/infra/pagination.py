"""Mastodon pagination: max_id / since_id / min_id / limit in, `Link` header out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from pydantic import field_validator
from sqlalchemy import Integer, Select, bindparam
from sqlalchemy.orm import InstrumentedAttribute
from starlette.datastructures import URL

from shutter.infra.params import QueryParams

DEFAULT_LIMIT = 20
MAX_LIMIT = 40

# Any select, whatever its columns (bare, because Select's column types are variadic).
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


class PageParams(QueryParams):
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = DEFAULT_LIMIT

    @field_validator("max_id", "since_id", "min_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("limit", mode="after")
    @classmethod
    def _clamp(cls, value: int) -> int:
        return max(1, min(value, MAX_LIMIT))


@dataclass(frozen=True)
class PageShape:
    """Which bounds a page has: what a statement built once per shape depends on."""

    max_id: bool
    since_id: bool
    min_id: bool

    @classmethod
    def of(cls, page: PageParams) -> PageShape:
        return cls(page.max_id is not None, page.since_id is not None, page.min_id is not None)


def paginate(query: S, column: InstrumentedAttribute[int], page: PageParams) -> S:
    """Apply the page's bounds and order to `query` (newest first, or just above min_id)."""
    return _bounded(query, column, PageShape.of(page), lambda name: getattr(page, name))


def paginate_bound(query: S, column: InstrumentedAttribute[int] | Any, shape: PageShape) -> S:
    """`paginate` with bind parameters (`max_id`, `since_id`, `min_id`, `limit`), for
    statements built once and run with `page_values`."""
    return _bounded(query, column, shape, _page_parameter)


def _page_parameter(name: str) -> Any:
    # The limit is written into the statement's text when it runs (a few distinct
    # values): statements are planned once for all their values (generic plans, see
    # infra/db.py), and a plan for an unseen LIMIT assumes a tenth of the rows are wanted.
    if name == "limit":
        return bindparam(name, type_=Integer, literal_execute=True)
    return bindparam(name)


def _bounded(query: S, column: Any, shape: PageShape, value: Callable[[str], Any]) -> S:
    if shape.max_id:
        query = query.where(column < value("max_id"))
    if shape.since_id:
        query = query.where(column > value("since_id"))
    if shape.min_id:
        # The page right above min_id: ascending from it, flipped back by the caller.
        query = query.where(column > value("min_id")).order_by(column.asc())
    else:
        query = query.order_by(column.desc())
    return query.limit(value("limit"))


def page_values(page: PageParams) -> dict[str, int]:
    values = {"limit": page.limit}
    for name in ("max_id", "since_id", "min_id"):
        value = getattr(page, name)
        if value is not None:
            values[name] = value
    return values


def link_header(url: URL, ids: list[int]) -> dict[str, str]:
    """`Link` with rel=next (older, max_id) and rel=prev (newer, min_id) for a page."""
    if not ids:
        return {}
    # The request's own parameters are kept (limit, filters), its cursors replaced. One
    # parse of the query for both links: every page read writes this header.
    address = str(url).partition("?")[0]
    kept = [(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k not in _CURSORS]
    next_url = f"{address}?{urlencode([*kept, ('max_id', str(min(ids)))])}"
    prev_url = f"{address}?{urlencode([*kept, ('min_id', str(max(ids)))])}"
    return {"Link": f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'}


_CURSORS = frozenset({"max_id", "min_id", "since_id"})
