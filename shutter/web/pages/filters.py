"""Settings › Filters: the person's keyword filters (Mastodon's v2 filters), listed,
made, changed and deleted through the filters service (shutter/filters/service), the
same functions as /api/v2/filters.

The form routes open their write transaction themselves, so a refusal (a blank title, no
context, too many keywords: the service's 422) rolls back and the form is shown again
with the service's message and what was typed; someone else's filter is a 404, as in the
API. A success is 303 to the list with a notice named in `NOTICES`; a script's request
(Accept: application/json) gets the API's Filter entity.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.filters import service
from shutter.filters.schemas import filter_json
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.errors import ApiError
from shutter.infra.params import params
from shutter.web.filter_forms import DeleteFilterForm, FilterForm
from shutter.web.filter_views import (
    CONTEXT_NAMES,
    EXPIRY_CHOICES,
    LIMITS,
    FilterView,
    filter_view,
    form_view,
    new_filter_view,
    with_blank_rows,
)
from shutter.web.routing import done, wants_json, web_router
from shutter.web.session import SignedIn, SignedInPosted, WebSession
from shutter.web.templating import render

router = web_router()

LIST = "/settings/filters"
NOTICES = {
    "created": "Your filter is saved.",
    "saved": "Your changes are saved.",
    "deleted": "That filter is deleted.",
}
# The API's parameter names in the service's messages, as the form names them.
_WORDS = (
    ("keywords_attributes.keyword", "keyword"),
    ("filter_action", "action"),
    ("expires_in", "expiry"),
    ("context can't be blank", "choose at least one place to filter"),
)


def refusal_text(exc: ApiError) -> str:
    """The service's message in the form's words: "Title can't be blank"."""
    text = exc.message.removeprefix("Validation failed: ")
    for name, word in _WORDS:
        text = text.replace(name, word)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _account(web: WebSession) -> Account:
    assert web.account is not None
    return web.account


async def _saved(ctx: AppContext, account: Account, filter_id: int | None) -> FilterView | None:
    """The filter as it is stored (404 when it is not the person's), or None for a new one."""
    if filter_id is None:
        return None
    async with ctx.db.read() as session:
        found = await service.get_filter(session, account=account, filter_id=filter_id)
    return filter_view(found, utcnow())


def _form_page(
    request: Request,
    web: WebSession,
    view: FilterView,
    *,
    error: str | None = None,
    status: int = 200,
    blank_rows: int = 1,
) -> Response:
    context = {
        "f": view,
        "rows": with_blank_rows(view, blank_rows),
        "contexts": CONTEXT_NAMES,
        "expiries": EXPIRY_CHOICES,
        "limits": LIMITS,
        "error": error,
    }
    return render(request, web, "pages/filter_form.html", context, status=status)


# --- pages ---------------------------------------------------------------------------


@router.get("/settings/filters")
async def filter_list(request: Request, session: ReadSession, web: SignedIn) -> Response:
    found = await service.list_filters(session, account=_account(web))
    now = utcnow()
    context = {
        "filters": [filter_view(f, now) for f in found],
        "notice": NOTICES.get(request.query_params.get("done", "")),
    }
    return render(request, web, "pages/filters.html", context)


@router.get("/settings/filters/new")
async def new_filter(request: Request, web: SignedIn) -> Response:
    return _form_page(request, web, new_filter_view())


@router.get("/settings/filters/{filter_id:id}")
async def edit_filter(
    request: Request, session: ReadSession, web: SignedIn, filter_id: int
) -> Response:
    found = await service.get_filter(session, account=_account(web), filter_id=filter_id)
    return _form_page(request, web, filter_view(found, utcnow()))


# --- actions -------------------------------------------------------------------------


@router.post("/web/settings/filters")
async def create_filter(
    request: Request, ctx: Ctx, form: FilterForm = params(FilterForm), *, web: SignedInPosted
) -> Response:
    account = _account(web)

    async def work(session: AsyncSession) -> service.FullFilter:
        return await service.do_create_filter(
            session,
            account=account,
            title=form.title,
            context=list(form.context),
            action=form.filter_action,
            expires_in=None if form.expires_in == "keep" else form.expires_in,
            keywords=form.keyword_changes(),
        )

    return await _save(request, ctx, web, form, None, work, f"{LIST}?done=created")


@router.post("/web/settings/filters/{filter_id:id}")
async def update_filter(
    request: Request,
    ctx: Ctx,
    filter_id: int,
    form: FilterForm = params(FilterForm),
    *,
    web: SignedInPosted,
) -> Response:
    account = _account(web)
    fields = {"title", "context", "filter_action"}
    if form.expires_in != "keep":
        fields.add("expires_in")

    async def work(session: AsyncSession) -> service.FullFilter:
        return await service.do_update_filter(
            session,
            account=account,
            filter_id=filter_id,
            fields=fields,
            title=form.title,
            context=list(form.context),
            action=form.filter_action,
            expires_in=form.expires_in,
            keywords=form.keyword_changes(),
        )

    return await _save(request, ctx, web, form, filter_id, work, f"{LIST}?done=saved")


async def _save(
    request: Request,
    ctx: AppContext,
    web: WebSession,
    form: FilterForm,
    filter_id: int | None,
    work: Callable[[AsyncSession], Awaitable[service.FullFilter]],
    to: str,
) -> Response:
    """Run `work` in one write transaction and go to `to`; on the service's refusal (or
    "Add keyword") the form again, with what was sent."""
    account = _account(web)
    if form.add_keyword:
        saved = await _saved(ctx, account, filter_id)
        return _form_page(request, web, form_view(form, saved), blank_rows=2)
    try:
        async with ctx.db.write() as session:
            made = await work(session)
            body = filter_json(made.filter, made.keywords, made.statuses)
    except ApiError as exc:
        if exc.status != 422 or wants_json(request):
            raise  # someone else's filter (404), the rate limit: the route class answers
        saved = await _saved(ctx, account, filter_id)
        return _form_page(
            request, web, form_view(form, saved), error=refusal_text(exc), status=exc.status
        )
    return done(request, to, body)


@router.post("/web/settings/filters/{filter_id:id}/delete")
async def delete_filter(
    request: Request,
    ctx: Ctx,
    filter_id: int,
    form: DeleteFilterForm = params(DeleteFilterForm),
    *,
    web: SignedInPosted,
) -> Response:
    account = _account(web)
    if not form.confirmed:
        # The question the page's script asks in place, for a browser without scripts.
        saved = await _saved(ctx, account, filter_id)
        assert saved is not None
        context = {
            "title": "Delete filter?",
            "question": f"Delete the filter “{saved.title}”? Posts it hides will show again.",
            "yes": "Yes, delete filter",
            "action": f"/web/settings/filters/{filter_id}/delete",
            "back": f"{LIST}/{filter_id}",
        }
        return render(request, web, "pages/confirm.html", context)
    async with ctx.db.write() as session:
        await service.do_delete_filter(session, account=account, filter_id=filter_id)
    return done(request, f"{LIST}?done=deleted", {"id": str(filter_id), "location": LIST})
