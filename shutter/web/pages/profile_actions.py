"""What a person does from a profile: follow (or ask to) and unfollow, block, mute,
report, answer follow requests, remove a follower, and edit their own profile.

Each route calls the service function the API's route calls (graph.do_follow,
safety.do_block, reports.do_file_report, accounts.do_update_credentials …) and answers
as every web action does (routing.done): 303 back to the page for a form without
scripts, the API's entity (a Relationship, the Account) as JSON for a script.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from shutter.accounts import service as accounts
from shutter.accounts.schemas import account_json
from shutter.graph import service as graph
from shutter.graph.service import safety
from shutter.infra.deps import Ctx, WriteSession
from shutter.infra.errors import ApiError
from shutter.infra.params import params
from shutter.moderation.service import reports
from shutter.web.forms import CsrfForm
from shutter.web.profile_forms import BlockForm, EditProfileForm, FollowForm, MuteForm, ReportForm
from shutter.web.routing import done, safe_next, wants_json, web_router
from shutter.web.session import SignedIn, SignedInPosted, WebSession
from shutter.web.templating import render

router = web_router()


def _back(form: CsrfForm) -> str:
    return safe_next(form.next, "/home")


@router.post("/web/accounts/{account_id:id}/follow")
async def follow(
    request: Request,
    account_id: int,
    # The parameters first: bad input is a 422 before the CSRF check and the session.
    form: FollowForm = params(FollowForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    act = graph.do_follow if form.follow == "true" else graph.do_unfollow
    relationship = await act(session, follower_id=web.account.id, target_id=account_id)
    return done(request, _back(form), relationship)


@router.post("/web/accounts/{account_id:id}/block")
async def block(
    request: Request,
    account_id: int,
    form: BlockForm = params(BlockForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    act = safety.do_block if form.blocked == "true" else safety.do_unblock
    relationship = await act(session, account_id=web.account.id, target_id=account_id)
    return done(request, _back(form), relationship)


@router.post("/web/accounts/{account_id:id}/mute")
async def mute(
    request: Request,
    account_id: int,
    form: MuteForm = params(MuteForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    if form.muted == "true":
        relationship = await safety.do_mute(
            session, account_id=web.account.id, target_id=account_id
        )
    else:
        relationship = await safety.do_unmute(
            session, account_id=web.account.id, target_id=account_id
        )
    return done(request, _back(form), relationship)


@router.post("/web/accounts/{account_id:id}/report")
async def report(
    request: Request,
    account_id: int,
    form: ReportForm = params(ReportForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    filed = await reports.do_file_report(
        session,
        reporter=web.account,
        account_id=str(account_id),
        status_ids=[],
        comment=form.comment,
        category=form.category,
        rule_ids=[],
    )
    return done(request, _back(form), {"id": str(filed.id), "category": filed.category})


@router.post("/web/accounts/{account_id:id}/remove_follower")
async def remove_follower(
    request: Request,
    account_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    relationship = await safety.do_remove_follower(
        session, account_id=web.account.id, follower_id=account_id
    )
    return done(request, _back(form), relationship)


@router.post("/web/follow_requests/{account_id:id}/authorize")
async def authorize_request(
    request: Request,
    account_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    relationship = await graph.do_authorize_request(
        session, target_id=web.account.id, requester_id=account_id
    )
    return done(request, safe_next(form.next, "/follow_requests"), relationship)


@router.post("/web/follow_requests/{account_id:id}/reject")
async def reject_request(
    request: Request,
    account_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    relationship = await graph.do_reject_request(
        session, target_id=web.account.id, requester_id=account_id
    )
    return done(request, safe_next(form.next, "/follow_requests"), relationship)


# --- editing one's own profile ---------------------------------------------------------


def _edit_page(
    request: Request,
    web: WebSession,
    values: dict[str, Any],
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        web,
        "pages/edit_profile.html",
        {"values": values, "error": error},
        nav="profile",
        status=status,
    )


@router.get("/profile/edit")
async def edit_profile_form(request: Request, web: SignedIn) -> Response:
    account = web.account
    assert account is not None
    values = {
        "display_name": account.display_name,
        "note": account.note,
        "website": account.website or "",
        "locked": account.locked,
    }
    return _edit_page(request, web, values)


@router.post("/web/profile")
async def edit_profile(
    request: Request,
    ctx: Ctx,
    form: EditProfileForm = params(EditProfileForm),
    *,
    web: SignedInPosted,
) -> Response:
    assert web.account is not None
    # An empty file input sends a file without a name: the avatar stays.
    avatar = form.avatar if isinstance(form.avatar, UploadFile) and form.avatar.filename else None
    changes = accounts.ProfileChanges(
        display_name=form.display_name,
        note=form.note,
        website=form.website.strip(),
        locked=form.locked == "true",
    )
    try:
        # Its own transaction, so a refusal (a bad website, a file that is no picture)
        # rolls back every field and the form comes again with what was typed.
        async with ctx.db.write() as session:
            account = await accounts.do_update_credentials(
                session,
                ctx=ctx,
                account=await session.merge(web.account),
                changes=changes,
                avatar=avatar,
            )
            body = account_json(account, ctx.settings)
    except ApiError as exc:
        if exc.status == 429 or wants_json(request):
            raise  # the route class answers it (JSON for a script)
        values = {
            "display_name": form.display_name,
            "note": form.note,
            "website": form.website,
            "locked": form.locked == "true",
        }
        return _edit_page(request, web, values, error=exc.message, status=exc.status)
    return done(request, f"/@{web.account.username}", body)
