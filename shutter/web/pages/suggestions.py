"""Suggested for you: people to follow, on a page of their own, on an empty Home and in
Home's side column on wide screens.

The list is the graph service's suggestions (GET /api/v2/suggestions: friends of
friends, then the most followed), filled up with the accounts that posted lately so the
first people on a new instance find each other. Following is the profile's own form
(profile_actions.follow); "Remove" is DELETE /api/v1/suggestions/:id's dismissal, for
good. static/js/rail.js asks for the list alone (`X-Shutter-Fragment: suggestions`) to
put beside the feed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from shutter.accounts.render import render_accounts
from shutter.graph.service import suggestions as graph_suggestions
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.params import params
from shutter.web.forms import CsrfForm
from shutter.web.routing import done, safe_next, web_router
from shutter.web.session import FRAGMENT_HEADER, SignedIn, SignedInPosted
from shutter.web.templating import render

router = web_router()

# On the page; the empty Home and the side column show the first few.
PAGE = 30
FEW = 5

_WHY = {
    graph_suggestions.FRIENDS_OF_FRIENDS: "Followed by people you follow",
    graph_suggestions.MOST_FOLLOWED: "Popular here",
    graph_suggestions.RECENTLY_ACTIVE: "Posted recently",
}


async def suggested(
    session: AsyncSession, ctx: AppContext, viewer_id: int, limit: int
) -> list[dict[str, Any]]:
    """The suggestions as the templates show them: the account's JSON and why."""
    found = await graph_suggestions.suggestions(
        session, viewer_id=viewer_id, limit=limit, include_active=True
    )
    bodies = await render_accounts(ctx, [s.account for s in found])
    return [
        {"account": body, "why": _WHY[s.sources[0]]} for s, body in zip(found, bodies, strict=True)
    ]


@router.get("/suggestions")
async def suggestions_page(
    request: Request, ctx: Ctx, session: ReadSession, web: SignedIn
) -> Response:
    assert web.account is not None
    fragment = request.headers.get(FRAGMENT_HEADER) == "suggestions"
    people = await suggested(session, ctx, web.account.id, FEW if fragment else PAGE)
    if fragment:
        return render(request, web, "partials/suggestions_rail.html", {"people": people})
    return render(request, web, "pages/suggestions.html", {"people": people}, nav="search")


@router.post("/web/suggestions/{account_id:id}/dismiss")
async def dismiss(
    request: Request,
    account_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    await graph_suggestions.do_dismiss(session, viewer_id=web.account.id, target_id=account_id)
    return done(request, safe_next(form.next, "/suggestions"), {})
