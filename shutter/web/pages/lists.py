"""Lists: one's own feeds of some of the people one follows (Mastodon's lists).

- GET /lists — one's lists and the form making a new one (title, whose replies show,
  whether its people leave Home); POST /web/lists makes it (lists.do_create_list) and
  goes to its members, the next thing to fill in.
- GET /lists/<id> — the list's feed, read as GET /api/v1/timelines/list/:id reads it
  (lists/timeline.list_page) and shown as Home shows its posts (partials/feed_page.html,
  the kept articles of web/fragments.py; "Load more" as a `feed` fragment).
- GET /lists/<id>/edit, POST /web/lists/<id> — rename, replies policy, exclusive;
  POST /web/lists/<id>/delete asks first (in place with scripts, else on a page).
- GET /lists/<id>/members?q= — the members with Remove, and people one follows (the
  search's `following` filter, or the newest follows without a query) with Add;
  POST /web/lists/<id>/members/<account>/add | remove (lists.do_add_members /
  do_remove_members: only followed accounts may join).

Someone else's list is "not found", as on Mastodon. Form routes that show the form again
on a refusal open their write transaction themselves, so a refusal writes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from shutter.accounts.render import render_accounts
from shutter.graph import service as graph
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError, not_found
from shutter.infra.pagination import AccountPageParams, PageParams
from shutter.infra.params import params
from shutter.lists import service as lists
from shutter.lists import timeline
from shutter.lists.models import List
from shutter.search import service as search_service
from shutter.web.forms import CsrfForm
from shutter.web.list_forms import DeleteListForm, ListForm, MembersQuery
from shutter.web.pages.home import next_page_url
from shutter.web.pages.settings import refused
from shutter.web.routing import done, safe_next, web_router
from shutter.web.session import FRAGMENT_HEADER, SignedIn, SignedInPosted, WebSession
from shutter.web.templating import render

router = web_router()

# Whose replies a list shows (Mastodon's replies_policy), as the forms name them.
REPLIES = (
    ("followed", "Anyone you follow"),
    ("list", "Members of the list"),
    ("none", "No one"),
)
# People one follows offered on the members page, at most.
FOUND = 20
NOTICES = {"deleted": "The list is deleted.", "saved": "The list is saved."}


def _message(exc: ApiError) -> str:
    return exc.message.removeprefix("Validation failed: ")


async def _own(session: AsyncSession, web: WebSession, list_id: int) -> List:
    """The viewer's list; anyone else's (or none) is "List not found"."""
    assert web.account is not None
    try:
        return await lists.owned_list(session, owner_id=web.account.id, list_id=list_id)
    except ApiError as exc:
        if exc.status == 404:
            raise not_found("List") from None
        raise


def _values(form: ListForm) -> dict[str, Any]:
    return {
        "title": form.title,
        "replies_policy": form.replies_policy,
        "exclusive": form.exclusive == "true",
    }


# --- the lists -------------------------------------------------------------------------


async def _lists_page(
    request: Request,
    ctx: AppContext,
    web: WebSession,
    *,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    assert web.account is not None
    async with ctx.db.read() as session:
        found = await lists.lists_of(session, owner_id=web.account.id)
    context = {
        "lists": [lists.list_json(item) for item in found],
        "replies": REPLIES,
        "error": error,
        "values": values or {"title": "", "replies_policy": "list", "exclusive": False},
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "max_lists": lists.MAX_LISTS,
    }
    return render(request, web, "pages/lists.html", context, status=status)


@router.get("/lists")
async def lists_page(request: Request, ctx: Ctx, web: SignedIn) -> Response:
    return await _lists_page(request, ctx, web)


@router.post("/web/lists")
async def create_list(
    request: Request,
    ctx: Ctx,
    # The parameters first: bad input is a 422 before the CSRF check and the session.
    form: ListForm = params(ListForm),
    *,
    web: SignedInPosted,
) -> Response:
    assert web.account is not None
    try:
        async with ctx.db.write() as session:
            created = await lists.do_create_list(
                session,
                owner_id=web.account.id,
                title=form.title,
                replies_policy=form.replies_policy,
                exclusive=form.exclusive == "true",
            )
            body = lists.list_json(created)
    except ApiError as exc:
        if not refused(request, exc):
            raise
        return await _lists_page(
            request, ctx, web, error=_message(exc), values=_values(form), status=exc.status
        )
    return done(request, f"/lists/{body['id']}/members", body)


# --- one list: its feed, its settings ---------------------------------------------------


@router.get("/lists/{list_id:id}")
async def list_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    list_id: int,
    page: PageParams = params(PageParams),
) -> Response:
    assert web.account is not None
    found = await _own(session, web, list_id)
    statuses, cursors = await timeline.list_page(
        session, ctx, viewer=web.account, list_id=found.id, page=page
    )
    path = f"/lists/{found.id}"
    context: dict[str, Any] = {
        "list": lists.list_json(found),
        "posts": statuses,
        "next_url": next_page_url(path, cursors, statuses, page),
        "first_page": page.max_id is None,
        "return_to": path,
        "has_members": True,
    }
    if request.headers.get(FRAGMENT_HEADER) == "feed":
        return render(request, web, "partials/feed_page.html", context)
    if not statuses and page.max_id is None:
        members = await lists.members_page(
            session, owner_id=web.account.id, list_id=found.id, page=PageParams(limit=1)
        )
        context["has_members"] = bool(members.accounts)
    return render(request, web, "pages/list.html", context)


async def _edit_page(
    request: Request,
    ctx: AppContext,
    web: WebSession,
    list_id: int,
    *,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    async with ctx.db.read() as session:
        found = await _own(session, web, list_id)
    item = lists.list_json(found)
    context = {
        "list": item,
        "replies": REPLIES,
        "error": error,
        "values": values or item,
    }
    return render(request, web, "pages/list_edit.html", context, status=status)


@router.get("/lists/{list_id:id}/edit")
async def edit_page(request: Request, ctx: Ctx, web: SignedIn, list_id: int) -> Response:
    return await _edit_page(request, ctx, web, list_id)


@router.post("/web/lists/{list_id:id}")
async def update_list(
    request: Request,
    ctx: Ctx,
    list_id: int,
    form: ListForm = params(ListForm),
    *,
    web: SignedInPosted,
) -> Response:
    assert web.account is not None
    try:
        async with ctx.db.write() as session:
            await _own(session, web, list_id)
            updated = await lists.do_update_list(
                session,
                owner_id=web.account.id,
                list_id=list_id,
                title=form.title,
                replies_policy=form.replies_policy,
                exclusive=form.exclusive == "true",
            )
            body = lists.list_json(updated)
    except ApiError as exc:
        if not refused(request, exc) or exc.status == 404:
            raise
        return await _edit_page(
            request, ctx, web, list_id, error=_message(exc), values=_values(form), status=exc.status
        )
    return done(request, f"/lists/{list_id}", body)


@router.post("/web/lists/{list_id:id}/delete")
async def delete_list(
    request: Request,
    list_id: int,
    form: DeleteListForm = params(DeleteListForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    found = await _own(session, web, list_id)
    if not form.confirmed:
        # The question the page's script asks in place, for a browser without scripts.
        context = {
            "title": "Delete list?",
            "question": f"Delete the list “{found.title}”? The people in it stay followed.",
            "yes": "Yes, delete list",
            "action": f"/web/lists/{found.id}/delete",
            "back": f"/lists/{found.id}/edit",
        }
        return render(request, web, "pages/confirm.html", context)
    await lists.do_delete_list(session, owner_id=web.account.id, list_id=found.id)
    return done(request, "/lists?done=deleted", {"id": str(found.id), "location": "/lists"})


# --- members -----------------------------------------------------------------------------


def _members_path(list_id: int, q: str) -> str:
    path = f"/lists/{list_id}/members"
    return f"{path}?q={quote(q)}" if q else path


@router.get("/lists/{list_id:id}/members")
async def members_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    list_id: int,
    query: MembersQuery = params(MembersQuery),
) -> Response:
    me = web.account
    assert me is not None
    found = await _own(session, web, list_id)
    # Every member (a list has at most lists.MAX_MEMBERS): shown, and marked in results.
    members = await lists.members_page(session, owner_id=me.id, list_id=found.id, page=None)
    member_ids = {account.id for account in members.accounts}
    q = query.q.strip()
    if q:
        people = await search_service.find_accounts(
            session, viewer_id=me.id, q=q, limit=FOUND, offset=0, following=True
        )
    else:
        newest = await graph.list_following(
            session, viewer_id=me.id, account_id=me.id, page=AccountPageParams(limit=FOUND)
        )
        people = [a for a in newest.accounts if a.id not in member_ids]
    context = {
        "list": lists.list_json(found),
        "q": query.q,
        "members": await render_accounts(ctx, members.accounts),
        "people": await render_accounts(ctx, people),
        "member_ids": {str(i) for i in member_ids},
        "here": _members_path(found.id, q),
    }
    return render(request, web, "pages/list_members.html", context)


@router.post("/web/lists/{list_id:id}/members/{account_id:id}/add")
async def add_member(
    request: Request,
    list_id: int,
    account_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    found = await _own(session, web, list_id)
    present = await lists.lists_containing(session, owner_id=web.account.id, account_id=account_id)
    # Added already (a second tap, a page sent twice): done, as the person asked.
    if all(item.id != found.id for item in present):
        await lists.do_add_members(
            session, owner_id=web.account.id, list_id=found.id, account_ids=[account_id]
        )
    return done(request, safe_next(form.next, _members_path(found.id, "")))


@router.post("/web/lists/{list_id:id}/members/{account_id:id}/remove")
async def remove_member(
    request: Request,
    list_id: int,
    account_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    found = await _own(session, web, list_id)
    await lists.do_remove_members(
        session, owner_id=web.account.id, list_id=found.id, account_ids=[account_id]
    )
    return done(request, safe_next(form.next, _members_path(found.id, "")))
