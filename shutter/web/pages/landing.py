"""The visitors' page at `/`: what this server is, how to join, a few public posts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from shutter.infra.deps import Ctx, ReadSession
from shutter.instance.rules import rule_book
from shutter.posts.render import render_page
from shutter.posts.trends import trending_rows
from shutter.web.routing import see_other, web_router
from shutter.web.session import Browsing
from shutter.web.templating import render
from shutter.web.views import post_views

router = web_router()

# Public posts shown to visitors: two rows of the grid.
LANDING_POSTS = 6


@router.get("/")
async def landing(request: Request, ctx: Ctx, session: ReadSession, web: Browsing) -> Response:
    if web.account is not None:
        return see_other("/home")
    # The explore ranking (public posts only, as the trends API shows anyone).
    rows = await trending_rows(
        session, window_days=ctx.settings.trends_window_days, offset=0, limit=LANDING_POSTS
    )
    statuses = await render_page(session, ctx, rows, viewer=None)
    return render(
        request,
        web,
        "pages/landing.html",
        {
            "posts": [p for p in post_views(statuses) if p.media],
            "registrations": ctx.settings.registrations,
            "rules": await rule_book(ctx).current(ctx),
        },
    )
