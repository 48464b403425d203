"""Profiles: `/@username` (header, counts, the grid of posts, saved posts on one's own),
the followers and following lists, and one's follow requests.

Data comes as the API gives it: the account through accounts.lookup_account and its
Mastodon JSON (`render_account`), the viewer's relationship (graph.one_relationship),
the grid through the same page query as GET /api/v1/accounts/:id/statuses
(`page_of_statuses`), the lists through graph.list_followers/list_following, which apply
the rule of who may see them. Whether the grid shows at all is policies.may_see_posts_of,
the rule the lists use (a private account shows its posts to approved followers only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.accounts.render import render_account, render_accounts
from shutter.graph import service as graph
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.errors import not_found
from shutter.infra.pagination import AccountPageParams, PageParams
from shutter.infra.params import params
from shutter.posts.models import Bookmark, Pin, Post
from shutter.posts.render import page_of_statuses
from shutter.posts.service import account_posts_query, likes, pins
from shutter.web.pages.home import next_page_url
from shutter.web.routing import web_router
from shutter.web.session import FRAGMENT_HEADER, SignedIn, WebSession
from shutter.web.templating import render
from shutter.web.views import post_views

router = web_router()

# Four rows of the three-column grid per page.
GRID_PAGE = 24


@dataclass
class Profile:
    account: Account  # for the raw bio and website (the JSON's `note` is HTML)
    json: dict[str, Any]
    own: bool
    relationship: dict[str, Any] | None  # None on one's own profile
    may_see_posts: bool
    follow_requests: int  # pending requests, on one's own profile

    @property
    def path(self) -> str:
        return f"/@{self.account.username}"


async def load_profile(
    session: AsyncSession, ctx: AppContext, web: WebSession, username: str
) -> Profile:
    assert web.account is not None
    account = await accounts.lookup_account(session, username)
    me = web.account.id
    relations = await policies.load_relations(session, viewer_id=me, author_ids={account.id})
    own = account.id == me
    relationship = (
        None if own else await graph.one_relationship(session, viewer_id=me, target_id=account.id)
    )
    if not policies.may_see_author(account, relations) and not (
        relationship and relationship["blocking"] and not relationship["blocked_by"]
    ):
        # Blocked by them: as in the API's lists and posts, nothing of them shows. One's
        # own block shows the profile (without posts), to undo it.
        raise not_found("Account")
    return Profile(
        account=account,
        json=await render_account(ctx, account),
        own=own,
        relationship=relationship,
        may_see_posts=policies.may_see_posts_of(account, relations),
        follow_requests=await accounts.count_follow_requests(session, target_id=me) if own else 0,
    )


def _grid_page(page: PageParams) -> PageParams:
    """The grid's page size unless one was asked for."""
    if "limit" in page.model_fields_set:
        return page
    return page.model_copy(update={"limit": GRID_PAGE})


def _answer(
    request: Request, web: WebSession, profile: Profile, tab: str, context: dict[str, Any]
) -> Response:
    values = {"profile": profile, "tab": tab, **context}
    if request.headers.get(FRAGMENT_HEADER) == "feed":
        return render(request, web, "partials/grid_page.html", values)
    return render(
        request, web, "pages/profile.html", values, nav="profile" if profile.own else None
    )


@router.get("/@{username}")
async def profile_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    username: str,
    page: PageParams = params(PageParams),
) -> Response:
    profile = await load_profile(session, ctx, web, username)
    statuses: list[dict[str, Any]] = []
    pinned: list[dict[str, Any]] = []
    next_url = None
    if profile.may_see_posts:
        page = _grid_page(page)
        # Pinned posts open the grid (newest pin first), and only there, as Instagram's.
        pinned_ids = pins.pinned_query(author=profile.account)
        if page.max_id is None and page.min_id is None and page.since_id is None:
            pinned, _ = await page_of_statuses(
                session,
                ctx,
                pinned_ids,
                Pin.post_id,
                PageParams(limit=pins.MAX_PINS),
                viewer=web.account,
                cursor=Pin.id,
                filter_context="account",
            )
        query = account_posts_query(author=profile.account).where(Post.id.not_in(pinned_ids))
        statuses, cursors = await page_of_statuses(
            session, ctx, query, Post.id, page, viewer=web.account, filter_context="account"
        )
        next_url = next_page_url(profile.path, cursors, statuses, page)
    context = {
        "posts": post_views(pinned + statuses),
        "pinned_ids": {status["id"] for status in pinned},
        "next_url": next_url,
    }
    return _answer(request, web, profile, "posts", context)


@router.get("/@{username}/saved")
async def saved_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    username: str,
    page: PageParams = params(PageParams),
) -> Response:
    profile = await load_profile(session, ctx, web, username)
    if not profile.own:
        raise not_found("Page")  # what one saved is one's own business
    page = _grid_page(page)
    statuses, cursors = await page_of_statuses(
        session,
        ctx,
        likes.bookmarks_query(account_id=profile.account.id),
        Bookmark.post_id,
        page,
        viewer=web.account,
        cursor=Bookmark.id,
    )
    next_url = next_page_url(f"{profile.path}/saved", cursors, statuses, page)
    return _answer(
        request, web, profile, "saved", {"posts": post_views(statuses), "next_url": next_url}
    )


async def _people(
    request: Request,
    ctx: AppContext,
    session: AsyncSession,
    web: WebSession,
    username: str,
    which: str,
    page: AccountPageParams,
) -> Response:
    assert web.account is not None
    profile = await load_profile(session, ctx, web, username)
    listing = graph.list_followers if which == "followers" else graph.list_following
    found = await listing(
        session, viewer_id=web.account.id, account_id=profile.account.id, page=page
    )
    people = await render_accounts(ctx, found.accounts)
    path = f"{profile.path}/{which}"
    next_url = next_page_url(path, found.cursor_ids, found.cursor_ids, page)
    return render(
        request,
        web,
        "pages/people.html",
        {
            "profile": profile,
            "which": which,
            "people": people,
            "next_url": next_url,
            "removable": profile.own and which == "followers",
        },
        nav="profile" if profile.own else None,
    )


@router.get("/@{username}/followers")
async def followers_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    username: str,
    page: AccountPageParams = params(AccountPageParams),
) -> Response:
    return await _people(request, ctx, session, web, username, "followers", page)


@router.get("/@{username}/following")
async def following_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    username: str,
    page: AccountPageParams = params(AccountPageParams),
) -> Response:
    return await _people(request, ctx, session, web, username, "following", page)


@router.get("/follow_requests")
async def follow_requests_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    page: AccountPageParams = params(AccountPageParams),
) -> Response:
    assert web.account is not None
    found = await graph.pending_requests(session, target_id=web.account.id, page=page)
    return render(
        request,
        web,
        "pages/follow_requests.html",
        {
            "people": await render_accounts(ctx, found.accounts),
            "next_url": next_page_url("/follow_requests", found.cursor_ids, found.cursor_ids, page),
        },
        nav="profile",
    )


@router.get("/@{username}/report")
async def report_page(
    request: Request, ctx: Ctx, session: ReadSession, web: SignedIn, username: str
) -> Response:
    profile = await load_profile(session, ctx, web, username)
    if profile.own:
        raise not_found("Page")
    sent = request.query_params.get("sent") == "1"
    return render(request, web, "pages/report.html", {"profile": profile, "sent": sent})
