"""Notification policy (v1 and v2) and notification requests (Mastodon 4.3).

Included before `api.router`: `/api/v2/notifications/policy` would otherwise be read as
the group key `policy`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import not_found
from shutter.infra.http import json_response
from shutter.infra.pagination import AccountPageParams, link_header
from shutter.infra.params import params
from shutter.notifications import render
from shutter.notifications.schemas import (
    PolicyParams,
    RequestIdsParams,
    V1PolicyParams,
    policy_json,
    v1_policy_json,
)
from shutter.notifications.service import policy, requests

router = APIRouter()

ReadMe = Annotated[Account, Depends(user("read:notifications"))]
WriteMe = Annotated[Account, Depends(user("write:notifications"))]


@router.get("/api/v2/notifications/policy")
async def get_policy(session: ReadSession, me: ReadMe) -> Response:
    settings = await policy.settings_of(session, account_id=me.id)
    summary = await requests.summary(session, account_id=me.id)
    return json_response(policy_json(settings.as_dict(), summary))


@router.patch("/api/v2/notifications/policy")
async def update_policy(
    session: WriteSession, me: WriteMe, body: PolicyParams = params(PolicyParams)
) -> Response:
    changes = body.model_dump(exclude_none=True)
    settings = await policy.do_change_settings(session, account_id=me.id, changes=changes)
    summary = await requests.summary(session, account_id=me.id)
    return json_response(policy_json(settings.as_dict(), summary))


@router.get("/api/v1/notifications/policy")
async def get_v1_policy(session: ReadSession, me: ReadMe) -> Response:
    settings = await policy.settings_of(session, account_id=me.id)
    summary = await requests.summary(session, account_id=me.id)
    return json_response(v1_policy_json(settings.as_dict(), summary))


@router.put("/api/v1/notifications/policy")
async def update_v1_policy(
    session: WriteSession, me: WriteMe, body: V1PolicyParams = params(V1PolicyParams)
) -> Response:
    changes = {
        name.replace("filter_", "for_", 1): policy.FILTER if value else policy.ACCEPT
        for name, value in body.model_dump(exclude_none=True).items()
    }
    settings = await policy.do_change_settings(session, account_id=me.id, changes=changes)
    summary = await requests.summary(session, account_id=me.id)
    return json_response(v1_policy_json(settings.as_dict(), summary))


@router.get("/api/v1/notifications/requests")
async def list_requests(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: ReadMe,
    page: AccountPageParams = params(AccountPageParams),
) -> Response:
    rows = await requests.list_requests(session, account_id=me.id, page=page)
    body = await render.requests_json(session, ctx, rows, viewer=me)
    return json_response(body, headers=link_header(request, [r.id for r in rows]))


@router.get("/api/v1/notifications/requests/merged")
async def merged(me: ReadMe) -> Response:
    # Accepting merges in the accept's own transaction (service/requests.py).
    return json_response({"merged": True})


@router.post("/api/v1/notifications/requests/accept")
async def accept_many(
    session: WriteSession, me: WriteMe, body: RequestIdsParams = params(RequestIdsParams)
) -> Response:
    await requests.do_accept_many(session, account_id=me.id, request_ids=body.id)
    return json_response({})


@router.post("/api/v1/notifications/requests/dismiss")
async def dismiss_many(
    session: WriteSession, me: WriteMe, body: RequestIdsParams = params(RequestIdsParams)
) -> Response:
    await requests.do_dismiss_many(session, account_id=me.id, request_ids=body.id)
    return json_response({})


@router.get("/api/v1/notifications/requests/{request_id:id}")
async def get_request(ctx: Ctx, session: ReadSession, me: ReadMe, request_id: int) -> Response:
    found = await requests.access_request(session, account_id=me.id, request_id=request_id)
    bodies = await render.requests_json(session, ctx, [found], viewer=me)
    if not bodies:  # its sender went away since
        raise not_found("Notification request")
    return json_response(bodies[0])


@router.post("/api/v1/notifications/requests/{request_id:id}/accept")
async def accept(session: WriteSession, me: WriteMe, request_id: int) -> Response:
    found = await requests.access_request(session, account_id=me.id, request_id=request_id)
    await requests.do_accept(session, request=found)
    return json_response({})


@router.post("/api/v1/notifications/requests/{request_id:id}/dismiss")
async def dismiss(session: WriteSession, me: WriteMe, request_id: int) -> Response:
    found = await requests.access_request(session, account_id=me.id, request_id=request_id)
    await requests.do_dismiss(session, request=found)
    return json_response({})
