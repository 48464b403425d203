"""Filtered notifications (Mastodon 4.3's notification requests) and the notification
policy that fills them.

- GET /notifications/requests — the senders whose notifications the policy held back,
  one line each (who, their latest post to you, how many), with Accept and Dismiss; the
  API's read (notifications/service/requests.list_requests and render.requests_json,
  as GET /api/v1/notifications/requests).
- GET /notifications/requests/<id> — one request's notifications, as the notifications
  page shows them: the grouped read of that sender's notifications filtered ones
  included (Mastodon's web app reads `account_id=` the same way).
- POST /web/notifications/requests/<id>/accept | dismiss — requests.do_accept /
  do_dismiss, in the action's own transaction (so the merge is over when the page
  comes back).
- GET /settings/notifications, POST /web/settings/notifications — the five conditions
  of the policy (policy.settings_of / do_change_settings), Accept, Filter or Ignore.

The notifications page links here when requests are pending (pages/notifications.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import not_found
from shutter.infra.pagination import AccountPageParams, PageParams
from shutter.infra.params import params
from shutter.notifications import render as notification_render
from shutter.notifications import service as notifications
from shutter.notifications.schemas import policy_json
from shutter.notifications.service import grouping, policy, requests
from shutter.web.forms import CsrfForm
from shutter.web.message_views import Person, excerpt, person, without_address
from shutter.web.notification_forms import PolicyForm
from shutter.web.pages.notifications import note_views
from shutter.web.routing import done, safe_next, web_router
from shutter.web.session import SignedIn, SignedInPosted
from shutter.web.templating import render
from shutter.web.views import plain_text

router = web_router()

REQUESTS_PATH = "/notifications/requests"

# The policy's conditions as the page names them (Mastodon 4.3's words), in its order.
CONDITIONS = (
    (
        "for_not_following",
        "People you don't follow",
        "Until you accept them.",
    ),
    (
        "for_not_followers",
        "People not following you",
        "Including people who have followed you for less than 3 days.",
    ),
    (
        "for_new_accounts",
        "New accounts",
        f"Created within the past {policy.NEW_ACCOUNT_DAYS} days.",
    ),
    (
        "for_private_mentions",
        "Unsolicited private mentions",
        "Unless it answers your own mention, or you follow the sender.",
    ),
    (
        "for_limited_accounts",
        "Moderated accounts",
        "Limited by this server's moderators.",
    ),
)
CHOICES = (
    (policy.ACCEPT, "Accept"),
    (policy.FILTER, "Filter"),
    (policy.DROP, "Ignore"),
)
# Filtered notifications are never "new" on a request's page: the count in the
# navigation leaves them out, so nothing there is highlighted either.
_NEVER_NEW = 2**63 - 1


@dataclass
class RequestView:
    """One line of the requests page."""

    id: str
    path: str
    who: Person
    count: int
    excerpt: str
    at: str


def request_views(bodies: list[dict[str, Any]], *, viewer_username: str) -> list[RequestView]:
    out = []
    for body in bodies:
        last = body.get("last_status")
        text = ""
        if last is not None:
            content = without_address(last.get("content") or "", {viewer_username.lower()})
            text = excerpt(plain_text(content))
        out.append(
            RequestView(
                id=body["id"],
                path=f"{REQUESTS_PATH}/{body['id']}",
                who=person(body["account"]),
                count=int(body["notifications_count"]),
                excerpt=text,
                at=last["created_at"] if last is not None else body["updated_at"],
            )
        )
    return out


@router.get(REQUESTS_PATH)
async def requests_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    page: AccountPageParams = params(AccountPageParams),
) -> Response:
    assert web.account is not None
    rows = await requests.list_requests(session, account_id=web.account.id, page=page)
    bodies = await notification_render.requests_json(session, ctx, rows, viewer=web.account)
    next_url = None
    if rows and len(rows) >= page.limit:
        next_url = f"{REQUESTS_PATH}?max_id={rows[-1].id}"
    context = {
        "items": request_views(bodies, viewer_username=web.account.username),
        "next_url": next_url,
    }
    return render(request, web, "pages/notification_requests.html", context, nav="notifications")


@router.get(REQUESTS_PATH + "/{request_id:id}")
async def request_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    request_id: int,
    page: PageParams = params(PageParams),
) -> Response:
    account = web.account
    assert account is not None
    found = await requests.access_request(session, account_id=account.id, request_id=request_id)
    bodies = await notification_render.requests_json(session, ctx, [found], viewer=account)
    if not bodies:  # its sender went away since
        raise not_found("Notification request")
    filters = notifications.Filters(account_id=str(found.from_account_id))
    groups = await grouping.list_groups(session, account_id=account.id, filters=filters, page=page)
    grouped = await notification_render.grouped_json(session, ctx, groups.groups, viewer=account)
    path = f"{REQUESTS_PATH}/{found.id}"
    next_url = None
    if groups.cursor_ids and len(groups.groups) >= page.limit:
        next_url = f"{path}?max_id={min(groups.cursor_ids)}"
    [item] = request_views(bodies, viewer_username=account.username)
    context = {
        "item": item,
        "notes": note_views(grouped, read_up_to=_NEVER_NEW),
        "next_url": next_url,
    }
    return render(request, web, "pages/notification_request.html", context, nav="notifications")


@router.post("/web/notifications/requests/{request_id:id}/accept")
async def accept(
    request: Request,
    request_id: int,
    # The parameters first: bad input is a 422 before the CSRF check and the session.
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    found = await requests.access_request(session, account_id=web.account.id, request_id=request_id)
    await requests.do_accept(session, request=found)
    return done(request, safe_next(form.next, REQUESTS_PATH), {})


@router.post("/web/notifications/requests/{request_id:id}/dismiss")
async def dismiss(
    request: Request,
    request_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    found = await requests.access_request(session, account_id=web.account.id, request_id=request_id)
    await requests.do_dismiss(session, request=found)
    return done(request, safe_next(form.next, REQUESTS_PATH), {})


# --- the policy ------------------------------------------------------------------------


@router.get("/settings/notifications")
async def policy_page(request: Request, session: ReadSession, web: SignedIn) -> Response:
    assert web.account is not None
    settings = await policy.settings_of(session, account_id=web.account.id)
    summary = await requests.summary(session, account_id=web.account.id)
    context = {
        "conditions": CONDITIONS,
        "choices": CHOICES,
        "settings": settings.as_dict(),
        "pending": summary["pending_requests_count"],
        "saved": request.query_params.get("done") == "saved",
    }
    return render(request, web, "pages/settings_notifications.html", context)


@router.post("/web/settings/notifications")
async def change_policy(
    request: Request,
    form: PolicyForm = params(PolicyForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    changes = form.model_dump(include=set(policy.SETTING_NAMES), exclude_none=True)
    settings = await policy.do_change_settings(session, account_id=web.account.id, changes=changes)
    summary = await requests.summary(session, account_id=web.account.id)
    return done(
        request, "/settings/notifications?done=saved", policy_json(settings.as_dict(), summary)
    )
