"""Search: accounts by username and display name, hashtags by prefix; no statuses.

Accounts blocked either way with the caller never appear; `following` keeps only the
accounts the caller follows. The matching and ranking live with the data they read
(accounts.search, posts.tag_search).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.accounts.search import normalize_query, search_accounts
from shutter.graph import service as graph
from shutter.infra.errors import ApiError
from shutter.posts.models import Tag
from shutter.posts.tag_search import search_tags


@dataclass
class Results:
    accounts: list[Account] = field(default_factory=list)
    hashtags: list[Tag] = field(default_factory=list)


def check_search(*, viewer_id: int | None, offset: int) -> None:
    """Mastodon's rule: paging through search results needs a signed-in user."""
    if viewer_id is None and offset:
        raise ApiError(401, "Search queries pagination is not supported without authentication")


async def find_accounts(
    session: AsyncSession,
    *,
    viewer_id: int | None,
    q: str,
    limit: int,
    offset: int,
    following: bool = False,
) -> list[Account]:
    """Accounts matching `q` that the caller may find, best match first."""
    query = normalize_query(q)
    if not query:
        return []
    if following and viewer_id is None:
        return []  # nobody is followed by an anonymous caller
    exclude: set[int] = set()
    only: set[int] | None = None
    if viewer_id is not None:
        exclude = await graph.blocked_either_way_ids(session, viewer_id=viewer_id)
        if following:
            only = set(await graph.followed_ids(session, account_id=viewer_id))
    return await search_accounts(
        session,
        q=query,
        limit=limit,
        offset=offset,
        exclude_ids=exclude,
        only_ids=only,
        viewer_id=viewer_id,
    )


async def search(
    session: AsyncSession,
    *,
    viewer_id: int | None,
    q: str,
    kind: str | None,
    limit: int,
    offset: int,
    following: bool = False,
) -> Results:
    """GET /api/v2/search: each asked kind (all when `kind` is None), one page of each."""
    check_search(viewer_id=viewer_id, offset=offset)
    results = Results()
    if not q.strip():
        return results  # as Mastodon: a blank query finds nothing, it is not an error
    if kind in (None, "accounts"):
        results.accounts = await find_accounts(
            session, viewer_id=viewer_id, q=q, limit=limit, offset=offset, following=following
        )
    if kind in (None, "hashtags"):
        results.hashtags = await search_tags(session, q=q, limit=limit, offset=offset)
    return results
