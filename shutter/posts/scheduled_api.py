"""Scheduled post routes (Mastodon's `/api/v1/scheduled_statuses`); a post is scheduled
by `POST /api/v1/statuses` with `scheduled_at` (posts/api.py calls `schedule_status`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import unprocessable
from shutter.infra.http import json_response
from shutter.infra.pagination import PageParams, link_header, paginate
from shutter.infra.params import params
from shutter.media.service.holds import held_media
from shutter.posts.models import ScheduledStatus
from shutter.posts.schemas import ScheduleParams, scheduled_json
from shutter.posts.service import NewPost
from shutter.posts.service import scheduled as service

router = APIRouter()

Reader = Annotated[Account, Depends(user("read:statuses"))]
Writer = Annotated[Account, Depends(user("write:statuses"))]


async def _render(
    session: AsyncSession, ctx: AppContext, rows: list[ScheduledStatus]
) -> list[dict[str, object]]:
    media = await held_media(session, [row.id for row in rows])
    return [scheduled_json(row, media[row.id], ctx.settings) for row in rows]


async def schedule_status(
    session: AsyncSession, ctx: AppContext, me: Account, new: NewPost, scheduled_at: str
) -> Response:
    at = service.parse_scheduled_at(scheduled_at)
    row, media = await service.do_schedule(session, ctx=ctx, author=me, new=new, at=at)
    return json_response(scheduled_json(row, media, ctx.settings))


@router.get("/api/v1/scheduled_statuses")
async def list_scheduled(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: Reader,
    page: PageParams = params(PageParams),
) -> Response:
    query = paginate(service.scheduled_query(account_id=me.id), ScheduledStatus.id, page)
    rows = list(await session.scalars(query))
    if page.min_id is not None:
        rows.reverse()  # fetched upwards from min_id; shown newest first
    body = await _render(session, ctx, rows)
    return json_response(body, headers=link_header(request, [row.id for row in rows]))


@router.get("/api/v1/scheduled_statuses/{scheduled_id:id}")
async def get_scheduled(ctx: Ctx, session: ReadSession, me: Reader, scheduled_id: int) -> Response:
    row = await service.access_scheduled(session, account_id=me.id, scheduled_id=scheduled_id)
    [body] = await _render(session, ctx, [row])
    return json_response(body)


@router.put("/api/v1/scheduled_statuses/{scheduled_id:id}")
async def reschedule(
    ctx: Ctx,
    session: WriteSession,
    me: Writer,
    scheduled_id: int,
    body: ScheduleParams = params(ScheduleParams),
) -> Response:
    if not body.scheduled_at:
        raise unprocessable("scheduled_at is required", field="scheduled_at")
    at = service.parse_scheduled_at(body.scheduled_at)
    row = await service.do_reschedule(session, account_id=me.id, scheduled_id=scheduled_id, at=at)
    [out] = await _render(session, ctx, [row])
    return json_response(out)


@router.delete("/api/v1/scheduled_statuses/{scheduled_id:id}")
async def cancel(session: WriteSession, me: Writer, scheduled_id: int) -> Response:
    await service.do_cancel(session, account_id=me.id, scheduled_id=scheduled_id)
    return json_response({})
