"""Mastodon's admin API for accounts and measures, and Shutter's own moderation routes
(roles, a post's removal, the audit log: docs/api.md)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import unprocessable
from shutter.infra.http import json_response
from shutter.infra.pagination import PageParams, link_header
from shutter.infra.params import params
from shutter.moderation import render
from shutter.moderation import service as moderation
from shutter.moderation.deps import (
    AuditReader,
    DashboardReader,
    DataDeleter,
    PostRemover,
    RoleManager,
    UserManager,
    UserReader,
)
from shutter.moderation.schemas import (
    AccountActionParams,
    AdminAccountListV1Params,
    AdminAccountListV2Params,
    AuditLogParams,
    MeasureParams,
    RemoveStatusParams,
    RoleParams,
)
from shutter.moderation.service import accounts as service
from shutter.moderation.service import measures, statuses

router = APIRouter()


def _local_domain(ctx: AppContext) -> str:
    return (urlsplit(ctx.settings.base_url).hostname or "").lower()


async def _one(session: AsyncSession, ctx: AppContext, account: Account) -> Response:
    [body] = await render.admin_accounts_json(session, ctx, [account])
    return json_response(body)


async def _page(
    request: Request,
    ctx: AppContext,
    session: AsyncSession,
    filters: service.AccountFilters,
    page: PageParams,
) -> Response:
    found = await service.list_accounts(
        session, filters=filters, page=page, local_domain=_local_domain(ctx)
    )
    body = await render.admin_accounts_json(session, ctx, found)
    return json_response(body, headers=link_header(request, [a.id for a in found]))


@router.get("/api/v2/admin/accounts")
async def list_accounts_v2(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: UserReader,
    query: AdminAccountListV2Params = params(AdminAccountListV2Params),
) -> Response:
    if query.origin not in (None, "", "local", "remote"):
        raise unprocessable("origin must be local or remote", field="origin")
    if query.status not in (None, "", *service.STATUSES):
        raise unprocessable(f"status must be one of {', '.join(service.STATUSES)}", field="status")
    if query.permissions not in (None, "", "staff"):
        raise unprocessable("permissions must be staff", field="permissions")
    filters = service.AccountFilters(
        origin=query.origin or None,
        statuses=[query.status] if query.status else [],
        staff=query.permissions == "staff",
        role_ids=query.role_ids,
        invited_by=query.invited_by,
        username=query.username,
        display_name=query.display_name,
        by_domain=query.by_domain,
        email=query.email,
        ip=query.ip,
    )
    return await _page(request, ctx, session, filters, query)


@router.get("/api/v1/admin/accounts")
async def list_accounts_v1(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: UserReader,
    query: AdminAccountListV1Params = params(AdminAccountListV1Params),
) -> Response:
    flags = ("active", "pending", "disabled", "silenced", "suspended")
    filters = service.AccountFilters(
        origin="remote" if query.remote and not query.local else None,
        statuses=[flag for flag in flags if getattr(query, flag)],
        sensitized=query.sensitized,
        staff=query.staff,
        username=query.username,
        display_name=query.display_name,
        by_domain=query.by_domain,
        email=query.email,
        ip=query.ip,
    )
    return await _page(request, ctx, session, filters, query)


@router.get("/api/v1/admin/accounts/{account_id:id}")
async def show_account(ctx: Ctx, session: ReadSession, me: UserReader, account_id: int) -> Response:
    return await _one(session, ctx, await service.access_any_account(session, account_id))


@router.post("/api/v1/admin/accounts/{account_id:id}/action")
async def account_action(
    ctx: Ctx,
    session: WriteSession,
    me: UserManager,
    account_id: int,
    body: AccountActionParams = params(AccountActionParams),
) -> Response:
    await service.do_action(
        session,
        settings=ctx.settings,
        actor=me,
        account_id=account_id,
        type=body.type,
        report_id=body.report_id,
        text=body.text,
        send_email=body.send_email_notification,
    )
    return json_response({})


@router.post("/api/v1/admin/accounts/{account_id:id}/approve")
async def approve_account(
    ctx: Ctx, session: WriteSession, me: UserManager, account_id: int
) -> Response:
    account = await service.do_approve(
        session, settings=ctx.settings, actor=me, account_id=account_id
    )
    return await _one(session, ctx, account)


@router.post("/api/v1/admin/accounts/{account_id:id}/reject")
async def reject_account(
    ctx: Ctx, session: WriteSession, me: UserManager, account_id: int
) -> Response:
    # Rendered first: the rejected account is deleted.
    [body] = await render.admin_accounts_json(
        session, ctx, [await service.access_any_account(session, account_id)]
    )
    await service.do_reject(session, settings=ctx.settings, actor=me, account_id=account_id)
    return json_response(body)


def _undo_route(undo: str) -> None:
    async def route(ctx: Ctx, session: WriteSession, me: UserManager, account_id: int) -> Response:
        account = await service.do_undo(session, actor=me, account_id=account_id, undo=undo)
        return await _one(session, ctx, account)

    route.__name__ = f"{undo}_account"
    router.add_api_route(
        f"/api/v1/admin/accounts/{{account_id:id}}/{undo}", route, methods=["POST"]
    )


for _undo in service.UNDOES:
    _undo_route(_undo)


@router.delete("/api/v1/admin/accounts/{account_id:id}")
async def delete_account_data(
    ctx: Ctx, session: WriteSession, me: DataDeleter, account_id: int
) -> Response:
    account = await service.do_delete_data(session, actor=me, account_id=account_id)
    return await _one(session, ctx, account)


@router.post("/api/v1/shutter/admin/accounts/{account_id:id}/role")
async def change_role(
    ctx: Ctx,
    session: WriteSession,
    me: RoleManager,
    account_id: int,
    body: RoleParams = params(RoleParams),
) -> Response:
    account = await service.do_change_role(session, actor=me, account_id=account_id, role=body.role)
    return await _one(session, ctx, account)


@router.delete("/api/v1/shutter/admin/statuses/{status_id:id}")
async def remove_status(
    ctx: Ctx,
    session: WriteSession,
    me: PostRemover,
    status_id: int,
    body: RemoveStatusParams = params(RemoveStatusParams),
) -> Response:
    await statuses.do_remove_status(
        session,
        ctx=ctx,
        actor=me,
        status_id=status_id,
        text=body.text,
        send_email=body.send_email_notification,
    )
    return json_response({})


@router.post("/api/v1/admin/measures")
async def admin_measures(
    session: ReadSession, me: DashboardReader, body: MeasureParams = params(MeasureParams)
) -> Response:
    keys = measures.check_keys(body.keys)
    period = measures.check_period(body.start_at, body.end_at)
    return json_response(await measures.measures(session, keys=keys, period=period))


@router.get("/api/v1/shutter/admin/audit_log")
async def audit_log(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: AuditReader,
    query: AuditLogParams = params(AuditLogParams),
) -> Response:
    entries = await moderation.audit_log(session, page=query)
    body = await render.audit_entries_json(session, ctx, entries)
    return json_response(body, headers=link_header(request, [e.id for e in entries]))
