"""What moderators and admins do from the /admin pages: handle reports, act on accounts
(the moderation service's functions, which also write the audit log and tell the
person), answer sign-ups, make and end invites, edit the rules.

Each route asks the permission its admin API route asks (pages/admin.staff_member),
then calls the same service function, and answers as every web action does
(routing.done): 303 back to the page for a form, `{"location": …}` for a script.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from shutter.accounts.permissions import Permission
from shutter.accounts.service import invites
from shutter.infra.db import on_commit
from shutter.infra.deps import Ctx, WriteSession, context_of
from shutter.infra.errors import unprocessable
from shutter.infra.params import params
from shutter.instance import rules
from shutter.instance.rules import rule_book
from shutter.moderation.service import accounts as admin_accounts
from shutter.moderation.service import reports, statuses
from shutter.web.admin_forms import (
    AccountActionForm,
    AssignForm,
    DeleteDataForm,
    ExpireInviteForm,
    InviteForm,
    RemovePostForm,
    RoleForm,
    RuleForm,
    UndoForm,
)
from shutter.web.forms import CsrfForm
from shutter.web.pages.admin import staff_member
from shutter.web.routing import done, safe_next, web_router
from shutter.web.session import SignedInPosted

router = web_router()


def _back(form: CsrfForm, default: str) -> str:
    return safe_next(form.next, default)


# --- reports -------------------------------------------------------------------------


@router.post("/web/admin/reports/{report_id:id}/assign")
async def assign(
    request: Request,
    report_id: int,
    form: AssignForm = params(AssignForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_REPORTS)
    await reports.do_assign(session, actor=me, report_id=report_id, assign=form.assigned == "true")
    return done(request, _back(form, f"/admin/reports/{report_id}"))


@router.post("/web/admin/reports/{report_id:id}/resolve")
async def resolve(
    request: Request,
    ctx: Ctx,
    report_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_REPORTS)
    await reports.do_resolve(session, settings=ctx.settings, actor=me, report_id=report_id)
    return done(request, _back(form, f"/admin/reports/{report_id}"))


@router.post("/web/admin/reports/{report_id:id}/reopen")
async def reopen(
    request: Request,
    report_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_REPORTS)
    await reports.do_reopen(session, actor=me, report_id=report_id)
    return done(request, _back(form, f"/admin/reports/{report_id}"))


# --- accounts ------------------------------------------------------------------------


@router.post("/web/admin/accounts/{account_id:id}/action")
async def account_action(
    request: Request,
    ctx: Ctx,
    account_id: int,
    form: AccountActionForm = params(AccountActionForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_USERS)
    await admin_accounts.do_action(
        session,
        settings=ctx.settings,
        actor=me,
        account_id=account_id,
        type=form.type,
        report_id=form.report_id or None,
        text=form.text,
        send_email=form.notify == "true",
    )
    return done(request, _back(form, f"/admin/accounts/{account_id}"))


@router.post("/web/admin/accounts/{account_id:id}/undo")
async def undo(
    request: Request,
    account_id: int,
    form: UndoForm = params(UndoForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_USERS)
    await admin_accounts.do_undo(session, actor=me, account_id=account_id, undo=form.undo)
    return done(request, _back(form, f"/admin/accounts/{account_id}"))


@router.post("/web/admin/accounts/{account_id:id}/approve")
async def approve(
    request: Request,
    ctx: Ctx,
    account_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_USERS)
    await admin_accounts.do_approve(session, settings=ctx.settings, actor=me, account_id=account_id)
    return done(request, _back(form, "/admin/registrations"))


@router.post("/web/admin/accounts/{account_id:id}/reject")
async def reject(
    request: Request,
    ctx: Ctx,
    account_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_USERS)
    await admin_accounts.do_reject(session, settings=ctx.settings, actor=me, account_id=account_id)
    return done(request, _back(form, "/admin/registrations"))


@router.post("/web/admin/accounts/{account_id:id}/role")
async def change_role(
    request: Request,
    account_id: int,
    form: RoleForm = params(RoleForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_ROLES)
    await admin_accounts.do_change_role(session, actor=me, account_id=account_id, role=form.role)
    return done(request, _back(form, f"/admin/accounts/{account_id}"))


@router.post("/web/admin/accounts/{account_id:id}/delete_data")
async def delete_data(
    request: Request,
    account_id: int,
    form: DeleteDataForm = params(DeleteDataForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.DELETE_USER_DATA)
    if form.confirm != "true":
        raise unprocessable("Tick the box to confirm the deletion", field="confirm")
    await admin_accounts.do_delete_data(session, actor=me, account_id=account_id)
    return done(request, _back(form, f"/admin/accounts/{account_id}"))


@router.post("/web/admin/statuses/{status_id:id}/remove")
async def remove_post(
    request: Request,
    ctx: Ctx,
    status_id: int,
    form: RemovePostForm = params(RemovePostForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_REPORTS)
    await statuses.do_remove_status(
        session,
        ctx=ctx,
        actor=me,
        status_id=status_id,
        text=form.text,
        send_email=form.notify == "true",
    )
    return done(request, _back(form, "/admin/reports"))


# --- invites -------------------------------------------------------------------------


@router.post("/web/admin/invites")
async def create_invite(
    request: Request,
    ctx: Ctx,
    form: InviteForm = params(InviteForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_USERS)
    invite = await invites.do_create_invite(
        session,
        settings=ctx.settings,
        account=me,
        max_uses=int(form.max_uses) if form.max_uses else None,
        expires_in=int(form.expires_in) if form.expires_in else None,
    )
    return done(
        request,
        _back(form, "/admin/registrations"),
        {"location": "/admin/registrations", **invites.invite_json(invite, ctx.settings)},
    )


@router.post("/web/admin/invites/expire")
async def expire_invite(
    request: Request,
    form: ExpireInviteForm = params(ExpireInviteForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = staff_member(web, Permission.MANAGE_USERS)
    await invites.do_expire_invite(session, account=me, invite_id=form.invite)
    return done(request, _back(form, "/admin/registrations"))


# --- rules ---------------------------------------------------------------------------


def _forget_rules_after_commit(request: Request, session: WriteSession) -> None:
    # After the commit: forgetting before it would let a concurrent read keep the old rules.
    on_commit(session, rule_book(context_of(request)).forget)


@router.post("/web/admin/rules")
async def add_rule(
    request: Request,
    form: RuleForm = params(RuleForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    staff_member(web, Permission.MANAGE_RULES)
    await rules.do_add_rule(session, text=form.text, hint=form.hint, position=None)
    _forget_rules_after_commit(request, session)
    return done(request, _back(form, "/admin/rules"))


@router.post("/web/admin/rules/{rule_id:id}")
async def edit_rule(
    request: Request,
    rule_id: int,
    form: RuleForm = params(RuleForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    staff_member(web, Permission.MANAGE_RULES)
    await rules.do_edit_rule(
        session, rule_id=rule_id, text=form.text, hint=form.hint, position=None
    )
    _forget_rules_after_commit(request, session)
    return done(request, _back(form, "/admin/rules"))


@router.post("/web/admin/rules/{rule_id:id}/delete")
async def delete_rule(
    request: Request,
    rule_id: int,
    form: CsrfForm = params(CsrfForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    staff_member(web, Permission.MANAGE_RULES)
    await rules.do_remove_rule(session, rule_id=rule_id)
    _forget_rules_after_commit(request, session)
    return done(request, _back(form, "/admin/rules"))
