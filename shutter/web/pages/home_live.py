"""What keeps Home in step without jumping: the count behind the "N new posts" pill and
the read position ("You're all caught up" where the person stopped last time).

- `GET /web/home/new?since_id=` → `{"count": n}` (at most 40): the same home read as the
  page (feed/home.home_page), newer than the top post shown; static/js/feed.js asks it
  once a minute while the page is visible.
- `POST /web/markers/home` (`last_read_id`): the Mastodon marker `home`, moved to the top
  post the person has seen (notifications' markers service, as POST /api/v1/markers).
- `caught_up_at`: which post of a page the divider goes before.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from shutter.feed import home as feed_home
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.pagination import PageParams
from shutter.infra.params import params
from shutter.notifications.service import markers
from shutter.web.forms import CsrfForm
from shutter.web.routing import done, web_router
from shutter.web.session import SignedIn, SignedInPosted

router = web_router()

NEW_LIMIT = 40


async def last_read_id(session: AsyncSession, account_id: int) -> int | None:
    found = await markers.markers_of(session, account_id=account_id, timelines=["home"])
    return found[0].last_read_id if found else None


def caught_up_at(
    statuses: list[dict[str, Any]], last_read: int | None, *, before: int | None
) -> str | None:
    """The id of the first post already seen when newer ones come before it on this page
    (or ended the page before: `before`, the previous page's cursor); None when the page
    starts with seen posts, or none is seen."""
    if last_read is None:
        return None
    previous = before
    for status in statuses:
        current = int(status["id"])
        if current <= last_read:
            return str(status["id"]) if previous is not None and previous > last_read else None
        previous = current
    return None


@router.get("/web/home/new")
async def new_posts(
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    page: PageParams = params(PageParams),
) -> Response:
    assert web.account is not None
    if page.since_id is None:
        return json_response({"count": 0})
    newer = PageParams(since_id=page.since_id, limit=NEW_LIMIT)
    statuses, _ = await feed_home.home_page(session, ctx, viewer=web.account, page=newer)
    return json_response({"count": len(statuses)}, headers={"Cache-Control": "no-store"})


class MarkerForm(CsrfForm):
    last_read_id: str = Field(max_length=40)


@router.post("/web/markers/home")
async def read_home(
    request: Request,
    form: MarkerForm = params(MarkerForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    saved = await markers.do_set_markers(
        session, account_id=web.account.id, positions={"home": form.last_read_id}
    )
    return done(request, "/home", {"last_read_id": str(saved[0].last_read_id)})
