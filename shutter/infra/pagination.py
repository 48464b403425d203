"""Mastodon pagination: max_id / since_id / min_id / limit in, `Link` header out.

One rule for every list: a cursor is an id in ASCII digits, and one past the largest id
is read as the largest (it bounds the same rows); a `limit` is clamped into 1..the
list's maximum (Mastodon: 40 for statuses, 80 for accounts and notifications), and a
blank one is the default. A cursor or limit that is not a whole number (`max_id=abc`,
`limit=lots`) is a 422 naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError, PydanticUseDefault
from sqlalchemy import Integer, Select, bindparam
from sqlalchemy.orm import InstrumentedAttribute
from starlette.requests import Request

from shutter.infra.ids import MAX_ID, parse_cursor
from shutter.infra.params import QueryParams

if TYPE_CHECKING:  # the context's own modules import this one
    from shutter.infra.context import AppContext

DEFAULT_LIMIT = 20
MAX_LIMIT = 40
DEFAULT_ACCOUNT_LIMIT = 40
MAX_ACCOUNT_LIMIT = 80
# Far enough for any client that pages by offset (search, trends); past it is a 422
# rather than an ever deeper scan.
MAX_OFFSET = 10_000

# Any select, whatever its columns (bare, because Select's column types are variadic).
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def _cursor(value: object) -> int | None:
    if value is None or value == "":
        return None
    cursor = parse_cursor(value)
    if cursor is None:
        raise PydanticCustomError("cursor", "is not an id")
    return cursor


Cursor = Annotated[int | None, BeforeValidator(_cursor)]

_WHOLE = re.compile(r"-?[0-9]+")


def _whole_number(value: object) -> object:
    """A limit as sent; blank means the default, and a number of more digits than any
    limit has is read as a large one (clamped after), not parsed digit by digit."""
    if value is None or value == "":
        raise PydanticUseDefault()
    if isinstance(value, str) and len(value) > 9 and _WHOLE.fullmatch(value):
        return -1 if value.startswith("-") else MAX_ID
    return value


WHOLE_NUMBER = BeforeValidator(_whole_number)


def at_most(maximum: int) -> AfterValidator:
    """A limit's clamp into 1..maximum (after WHOLE_NUMBER): `Annotated[int, WHOLE_NUMBER,
    at_most(n)]` is the type of a limit of at most n."""
    return AfterValidator(lambda value: max(1, min(value, maximum)))


Limit40 = Annotated[int, WHOLE_NUMBER, at_most(MAX_LIMIT)]
Limit80 = Annotated[int, WHOLE_NUMBER, at_most(MAX_ACCOUNT_LIMIT)]
Offset = Annotated[int, WHOLE_NUMBER, Field(ge=0, le=MAX_OFFSET)]


class PageParams(QueryParams):
    max_id: Cursor = None
    since_id: Cursor = None
    min_id: Cursor = None
    limit: Limit40 = DEFAULT_LIMIT


class AccountPageParams(PageParams):
    """Lists of accounts, with Mastodon's larger limits for them (40 by default, 80)."""

    limit: Limit80 = DEFAULT_ACCOUNT_LIMIT


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


def link_header(request: Request, ids: list[int]) -> dict[str, str]:
    """`Link` with rel=next (older, max_id) and rel=prev (newer, min_id) for a page.

    The links start with SHUTTER_BASE_URL, never with the request's `Host`, which the
    client chose: a forged Host would otherwise send the next page's read, token and
    all, to another server.
    """
    if not ids:
        return {}
    ctx: AppContext = request.app.state.ctx
    url = request.url
    # The request's own parameters are kept (limit, filters), its cursors replaced. One
    # parse of the query for both links: every page read writes this header.
    address = ctx.settings.base_url + url.path
    kept = [(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k not in _CURSORS]
    next_url = f"{address}?{urlencode([*kept, ('max_id', str(min(ids)))])}"
    prev_url = f"{address}?{urlencode([*kept, ('min_id', str(max(ids)))])}"
    return {"Link": f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'}


_CURSORS = frozenset({"max_id", "min_id", "since_id"})


def offset_link_header(request: Request, offset: int, limit: int, more: bool) -> dict[str, str]:
    """`Link` for lists paged by offset (trends): rel=next while `more` follow, rel=prev
    past the first page. From SHUTTER_BASE_URL, as `link_header`."""
    ctx: AppContext = request.app.state.ctx
    url = request.url
    address = ctx.settings.base_url + url.path
    kept = [(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k != "offset"]
    links = []
    if more:
        after = urlencode([*kept, ("offset", str(offset + limit))])
        links.append(f'<{address}?{after}>; rel="next"')
    if offset > 0:
        before = max(0, offset - limit)
        links.append(f'<{address}?{urlencode([*kept, ("offset", str(before))])}>; rel="prev"')
    return {"Link": ", ".join(links)} if links else {}
