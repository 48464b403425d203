"""Home: the signed-in person's feed, newest first, one server round trip per page.

The data is the API's own home read (feed/home.home_page: the store's window, the
cached per-post rendering patched for the viewer), so the page and
GET /api/v1/timelines/home can never disagree. "Load more" is a plain link to the next
page (`?max_id=`); the feed module (static/js/feed.js) fetches it as a fragment
(`X-Shutter-Fragment: feed`) and appends it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from shutter.feed import home as feed_home
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.pagination import DEFAULT_LIMIT, PageParams
from shutter.infra.params import params
from shutter.web.pages.home_live import caught_up_at, last_read_id
from shutter.web.pages.suggestions import FEW, suggested
from shutter.web.routing import web_router
from shutter.web.session import FRAGMENT_HEADER, SignedInUncounted, whole_page
from shutter.web.templating import render
from shutter.web.unread import home_along, home_counts

router = web_router()


def next_page_url(
    path: str, cursors: list[int], statuses: list[Any], page: PageParams
) -> str | None:
    """The link to the page after this one (keeping a `limit` that was asked), or None
    at the end of the feed."""
    if not cursors or len(statuses) < page.limit:
        return None
    limit = f"&limit={page.limit}" if page.limit != DEFAULT_LIMIT else ""
    return f"{path}?max_id={cursors[-1]}{limit}"


@router.get("/home")
async def home(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedInUncounted,
    page: PageParams = params(PageParams),
) -> Response:
    assert web.account is not None
    account_id = web.account.id
    if whole_page(request):
        along = home_along(account_id)
        statuses, cursors = await feed_home.home_page(
            session, ctx, viewer=web.account, page=page, along=along
        )
        web.unread, web.unread_messages, last_read = await home_counts(session, account_id, along)
    else:
        statuses, cursors = await feed_home.home_page(session, ctx, viewer=web.account, page=page)
        last_read = await last_read_id(session, account_id)
    first_page = page.max_id is None
    context = {
        "posts": statuses,
        # A new person's empty Home shows whom to follow.
        "suggested": (
            await suggested(session, ctx, account_id, FEW)
            if first_page and not statuses and whole_page(request)
            else []
        ),
        "next_url": next_page_url("/home", cursors, statuses, page),
        "first_page": first_page,
        "return_to": "/home",
        "last_read_id": last_read,
        "caught_up_at": caught_up_at(statuses, last_read, before=page.max_id),
    }
    if request.headers.get(FRAGMENT_HEADER) == "feed":
        return render(request, web, "partials/feed_page.html", context, nav="home")
    return render(request, web, "pages/home.html", context, nav="home")
