"""Reports: Mastodon's `POST /api/v1/reports`, and its admin routes for moderators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.pagination import link_header
from shutter.infra.params import params
from shutter.moderation import render
from shutter.moderation.deps import ReportManager, ReportReader
from shutter.moderation.models import Report
from shutter.moderation.schemas import AdminReportListParams, ReportParams, ReportUpdateParams
from shutter.moderation.service import reports as service

router = APIRouter()


@router.post("/api/v1/reports")
async def file_report(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("write:reports"))],
    body: ReportParams = params(ReportParams),
) -> Response:
    report = await service.do_file_report(
        session,
        reporter=me,
        account_id=body.account_id,
        status_ids=body.status_ids,
        comment=body.comment,
        category=body.category,
        rule_ids=body.rule_ids,
    )
    return json_response((await render.reports_json(session, ctx, [report]))[report.id])


async def _one(session: AsyncSession, ctx: AppContext, report: Report, me: Account) -> Response:
    [body] = await render.admin_reports_json(session, ctx, [report], viewer=me)
    return json_response(body)


@router.get("/api/v1/admin/reports")
async def list_reports(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: ReportReader,
    query: AdminReportListParams = params(AdminReportListParams),
) -> Response:
    filters = service.ReportFilters(
        resolved=query.resolved,
        account_id=query.account_id,
        target_account_id=query.target_account_id,
    )
    found = await service.list_reports(session, filters=filters, page=query)
    body = await render.admin_reports_json(session, ctx, found, viewer=me)
    return json_response(body, headers=link_header(request, [r.id for r in found]))


@router.get("/api/v1/admin/reports/{report_id:id}")
async def show_report(ctx: Ctx, session: ReadSession, me: ReportReader, report_id: int) -> Response:
    return await _one(session, ctx, await service.access_report(session, report_id), me)


@router.put("/api/v1/admin/reports/{report_id:id}")
async def update_report(
    ctx: Ctx,
    session: WriteSession,
    me: ReportManager,
    report_id: int,
    body: ReportUpdateParams = params(ReportUpdateParams),
) -> Response:
    report = await service.do_update_report(
        session, actor=me, report_id=report_id, category=body.category, rule_ids=body.rule_ids
    )
    return await _one(session, ctx, report, me)


@router.post("/api/v1/admin/reports/{report_id:id}/assign_to_self")
async def assign_report(
    ctx: Ctx, session: WriteSession, me: ReportManager, report_id: int
) -> Response:
    report = await service.do_assign(session, actor=me, report_id=report_id, assign=True)
    return await _one(session, ctx, report, me)


@router.post("/api/v1/admin/reports/{report_id:id}/unassign")
async def unassign_report(
    ctx: Ctx, session: WriteSession, me: ReportManager, report_id: int
) -> Response:
    report = await service.do_assign(session, actor=me, report_id=report_id, assign=False)
    return await _one(session, ctx, report, me)


@router.post("/api/v1/admin/reports/{report_id:id}/resolve")
async def resolve_report(
    ctx: Ctx, session: WriteSession, me: ReportManager, report_id: int
) -> Response:
    report = await service.do_resolve(session, settings=ctx.settings, actor=me, report_id=report_id)
    return await _one(session, ctx, report, me)


@router.post("/api/v1/admin/reports/{report_id:id}/reopen")
async def reopen_report(
    ctx: Ctx, session: WriteSession, me: ReportManager, report_id: int
) -> Response:
    report = await service.do_reopen(session, actor=me, report_id=report_id)
    return await _one(session, ctx, report, me)
