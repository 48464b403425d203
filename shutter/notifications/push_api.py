"""Push subscription routes (`/api/v1/push/subscription`, scope `push`), as Mastodon's.

One subscription per access token; the rules are in `service/push.py`, which the
website's service worker subscribes through as well.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.auth.deps import user_caller
from shutter.auth.service import Caller
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError
from shutter.infra.http import bearer_token, json_response
from shutter.infra.params import RequestParams, params
from shutter.notifications.service import push

router = APIRouter()
PushCaller = Annotated[Caller, Depends(user_caller("push"))]


class KeysParams(RequestParams):
    p256dh: str
    auth: str


class EndpointParams(RequestParams):
    endpoint: str
    keys: KeysParams
    # Mastodon 4.4's choice of the legacy draft encoding; Shutter sends RFC 8291 always.
    standard: bool | None = None


class DataParams(RequestParams):
    alerts: dict[str, bool] | None = None
    policy: str | None = None


class UpdateParams(RequestParams):
    data: DataParams | None = None
    # Mastodon 4.4 takes `policy` beside `data` as well as inside it.
    policy: str | None = None

    def chosen_policy(self) -> str | None:
        return (self.data.policy if self.data else None) or self.policy


class SubscribeParams(UpdateParams):
    subscription: EndpointParams


@router.post("/api/v1/push/subscription")
async def subscribe(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    caller: PushCaller,
    body: SubscribeParams = params(SubscribeParams),
) -> Response:
    raw = bearer_token(request.headers.get("authorization"), request.query_params)
    if raw is None or caller.account is None:
        raise ApiError(401, "The access token is invalid")
    found = await push.do_subscribe(
        session,
        ctx.settings,
        token_id=caller.token_id,
        account_id=caller.account.id,
        raw_token=raw,
        endpoint=body.subscription.endpoint,
        keys=push.Keys(body.subscription.keys.p256dh, body.subscription.keys.auth),
        alerts=(body.data.alerts if body.data else None) or {},
        policy=body.chosen_policy() or "all",
    )
    return json_response(push.subscription_json(found, ctx.settings))


@router.get("/api/v1/push/subscription")
async def show(ctx: Ctx, session: ReadSession, caller: PushCaller) -> Response:
    found = await push.subscription_of(session, token_id=caller.token_id)
    return json_response(push.subscription_json(found, ctx.settings))


@router.put("/api/v1/push/subscription")
async def update(
    ctx: Ctx,
    session: WriteSession,
    caller: PushCaller,
    body: UpdateParams = params(UpdateParams),
) -> Response:
    alerts = body.data.alerts if body.data else None
    if body.data is not None and alerts is None:
        alerts = {}  # Mastodon replaces the whole `data`: no alerts given, none wanted
    found = await push.do_update(
        session, token_id=caller.token_id, alerts=alerts, policy=body.chosen_policy()
    )
    return json_response(push.subscription_json(found, ctx.settings))


@router.delete("/api/v1/push/subscription")
async def unsubscribe(session: WriteSession, caller: PushCaller) -> Response:
    await push.do_unsubscribe(session, token_id=caller.token_id)
    return json_response({})
