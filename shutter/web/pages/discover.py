"""Search (accounts and hashtags, results as you type), hashtag pages and explore.

`/search?q=` is a plain GET form: without scripts it answers the page with the results;
static/js/search.js asks for the results alone (`X-Shutter-Fragment: search`) as the
person types. An empty box shows explore: the trending posts of the posts service
(posts/trends.py, the ranking of GET /api/v1/trends/statuses). `/tags/<name>` is the grid
of a hashtag's posts, through the page query of GET /api/v1/timelines/tag/:name.
Its Follow button and the list of followed hashtags are pages/followed_tags.py.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from shutter.accounts.render import render_accounts
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.pagination import PageParams
from shutter.infra.params import QueryParams, params
from shutter.posts import tags, trends
from shutter.posts.models import PostTag
from shutter.posts.render import page_of_statuses, render_page
from shutter.posts.service.entities import find_tag
from shutter.posts.text import is_tag_name
from shutter.search import service as search_service
from shutter.search.schemas import tag_json
from shutter.web.pages.home import next_page_url
from shutter.web.pages.profiles import GRID_PAGE
from shutter.web.routing import web_router
from shutter.web.session import FRAGMENT_HEADER, SignedIn
from shutter.web.templating import render
from shutter.web.views import post_views

router = web_router()

# Results of each kind shown as you type.
RESULTS = 10
# Trending posts on the explore grid: ten rows.
EXPLORE = 30


class SearchQuery(QueryParams):
    q: str = Field("", max_length=200)


@router.get("/search")
async def search_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    query: SearchQuery = params(SearchQuery),
) -> Response:
    assert web.account is not None
    q = query.q.strip()
    context: dict[str, object] = {
        "q": query.q,
        "accounts": [],
        "hashtags": [],
        "posts": [],
        "next_url": None,
    }
    if q:
        found = await search_service.search(
            session, viewer_id=web.account.id, q=q, kind=None, limit=RESULTS, offset=0
        )
        context["accounts"] = await render_accounts(ctx, found.accounts)
        context["hashtags"] = [tag_json(tag, ctx.settings) for tag in found.hashtags]
    else:
        rows = await trends.trending_rows(
            session,
            window_days=ctx.settings.trends_window_days,
            offset=0,
            limit=EXPLORE,
            viewer_id=web.account.id,
        )
        statuses = await render_page(
            session, ctx, rows, viewer=web.account, filter_context="public"
        )
        context["posts"] = post_views(statuses)
    if request.headers.get(FRAGMENT_HEADER) == "search":
        return render(request, web, "partials/search_results.html", context, nav="search")
    return render(request, web, "pages/search.html", context, nav="search")


@router.get("/tags/{name}")
async def tag_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    name: str,
    page: PageParams = params(PageParams),
) -> Response:
    if "limit" not in page.model_fields_set:
        page = page.model_copy(update={"limit": GRID_PAGE})
    query = await tags.tag_timeline_query(session, name=name, any_=[], all_=[], none_=[])
    statuses: list[dict[str, Any]] = []
    cursors: list[int] = []
    if query is not None:
        statuses, cursors = await page_of_statuses(
            session,
            ctx,
            query,
            PostTag.post_id,
            page,
            viewer=web.account,
            public_only=True,
            hide_muted=True,
            filter_context="public",
        )
    found = await find_tag(session, name) if query is not None else None
    # Its Tag entity, for Follow / Following; a name no post used yet may be followed too
    # (following makes the tag, as Mastodon lets one).
    tag_body: dict[str, Any] | None = None
    if found is not None:
        [tag_body] = await tags.tags_json(session, ctx.settings, [found], viewer=web.account)
    elif is_tag_name(name):
        tag_body = {"name": name, "following": False}
    context = {
        "tag": tag_body,
        "name": found.display_name if found is not None else name,
        "posts": post_views(statuses),
        "next_url": next_page_url(request.url.path, cursors, statuses, page),
    }
    if request.headers.get(FRAGMENT_HEADER) == "feed":
        return render(request, web, "partials/grid_page.html", context, nav="search")
    return render(request, web, "pages/tag.html", context, nav="search")
