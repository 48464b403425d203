"""Notification routes (v1 list and v2 groups), unread counts and read markers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.accounts.render import render_accounts
from shutter.auth.deps import user
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import not_found
from shutter.infra.http import json_response
from shutter.infra.pagination import AccountPageParams, link_header
from shutter.infra.params import params
from shutter.notifications import render, service
from shutter.notifications.schemas import (
    FilterParams,
    GroupedListParams,
    MarkerParams,
    MarkerQueryParams,
    NotificationListParams,
    UnreadCountParams,
    marker_json,
)
from shutter.notifications.service import grouping, markers

router = APIRouter()

ReadMe = Annotated[Account, Depends(user("read:notifications"))]
WriteMe = Annotated[Account, Depends(user("write:notifications"))]


def _filters(query: FilterParams) -> service.Filters:
    return service.Filters(
        types=query.types,
        exclude_types=query.exclude_types,
        account_id=query.account_id,
        include_filtered=query.include_filtered,
    )


@router.get("/api/v1/notifications")
async def list_notifications(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: ReadMe,
    query: NotificationListParams = params(NotificationListParams),
) -> Response:
    rows = await service.list_notifications(
        session, account_id=me.id, filters=_filters(query), page=query
    )
    body = await render.notifications_json(session, ctx, rows, viewer=me)
    return json_response(body, headers=link_header(request, [n.id for n in rows]))


@router.get("/api/v1/notifications/unread_count")
async def unread_count(
    session: ReadSession, me: ReadMe, query: UnreadCountParams = params(UnreadCountParams)
) -> Response:
    count = await service.unread_count(
        session, account_id=me.id, filters=_filters(query), limit=query.limit
    )
    return json_response({"count": count})


@router.post("/api/v1/notifications/clear")
async def clear(session: WriteSession, me: WriteMe) -> Response:
    await service.do_clear(session, account_id=me.id)
    return json_response({})


@router.get("/api/v1/notifications/{notification_id:id}")
async def get_notification(
    ctx: Ctx, session: ReadSession, me: ReadMe, notification_id: int
) -> Response:
    found = await service.access_notification(
        session, account_id=me.id, notification_id=notification_id
    )
    bodies = await render.notifications_json(session, ctx, [found], viewer=me)
    if not bodies:  # its sender or post went away since
        raise not_found("Notification")
    return json_response(bodies[0])


@router.post("/api/v1/notifications/{notification_id:id}/dismiss")
async def dismiss(session: WriteSession, me: WriteMe, notification_id: int) -> Response:
    await service.do_dismiss(session, account_id=me.id, notification_id=notification_id)
    return json_response({})


@router.get("/api/v2/notifications")
async def list_groups(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: ReadMe,
    query: GroupedListParams = params(GroupedListParams),
) -> Response:
    page = await grouping.list_groups(
        session,
        account_id=me.id,
        filters=_filters(query),
        page=query,
        grouped_types=query.grouped_types,
    )
    body = await render.grouped_json(session, ctx, page.groups, viewer=me)
    return json_response(body, headers=link_header(request, page.cursor_ids))


@router.get("/api/v2/notifications/unread_count")
async def unread_group_count(
    session: ReadSession, me: ReadMe, query: UnreadCountParams = params(UnreadCountParams)
) -> Response:
    count = await grouping.unread_group_count(
        session,
        account_id=me.id,
        filters=_filters(query),
        limit=query.limit,
        grouped_types=query.grouped_types,
    )
    return json_response({"count": count})


@router.get("/api/v2/notifications/{group_key}")
async def get_group(ctx: Ctx, session: ReadSession, me: ReadMe, group_key: str) -> Response:
    group = await grouping.access_group(session, account_id=me.id, group_key=group_key)
    body = await render.grouped_json(session, ctx, [group], viewer=me)
    if not body["notification_groups"]:
        raise not_found("Notification group")
    return json_response(body)


@router.get("/api/v2/notifications/{group_key}/accounts")
async def group_accounts(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: ReadMe,
    group_key: str,
    page: AccountPageParams = params(AccountPageParams),
) -> Response:
    senders, cursors = await grouping.group_senders(
        session, account_id=me.id, group_key=group_key, page=page
    )
    found = await accounts.accounts_by_ids(session, set(senders))
    body = await render_accounts(ctx, [found[i] for i in senders if i in found])
    return json_response(body, headers=link_header(request, cursors))


@router.post("/api/v2/notifications/{group_key}/dismiss")
async def dismiss_group(session: WriteSession, me: WriteMe, group_key: str) -> Response:
    await grouping.do_dismiss_group(session, account_id=me.id, group_key=group_key)
    return json_response({})


@router.get("/api/v1/markers")
async def get_markers(
    session: ReadSession,
    me: Annotated[Account, Depends(user("read:statuses"))],
    query: MarkerQueryParams = params(MarkerQueryParams),
) -> Response:
    found = await markers.markers_of(session, account_id=me.id, timelines=query.timeline or [])
    return json_response({m.timeline: marker_json(m) for m in found})


@router.post("/api/v1/markers")
async def set_markers(
    session: WriteSession,
    me: Annotated[Account, Depends(user("write:statuses"))],
    body: MarkerParams = params(MarkerParams),
) -> Response:
    positions = {
        timeline: position.last_read_id
        for timeline, position in (("home", body.home), ("notifications", body.notifications))
        if position is not None
    }
    saved = await markers.do_set_markers(session, account_id=me.id, positions=positions)
    return json_response({m.timeline: marker_json(m) for m in saved})
