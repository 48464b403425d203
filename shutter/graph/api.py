"""Graph routes: follow, unfollow, follow requests, relationships, followers, following."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.accounts.schemas import account_json
from shutter.auth.deps import optional_user, user
from shutter.graph import service
from shutter.graph.schemas import AccountListParams, FollowParams, RelationshipsParams
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.pagination import link_header
from shutter.infra.params import params
from shutter.infra.settings import Settings

router = APIRouter()

ReadFollows = Annotated[Account, Depends(user("read:follows"))]
WriteFollows = Annotated[Account, Depends(user("write:follows"))]
Viewer = Annotated[Account | None, Depends(optional_user("read:accounts"))]


def _account_list(request: Request, settings: Settings, page: service.AccountPage) -> Response:
    body = [account_json(account, settings) for account in page.accounts]
    return json_response(body, headers=link_header(request.url, page.cursor_ids))


@router.post("/api/v1/accounts/{account_id:int}/follow")
async def follow(
    session: WriteSession,
    me: WriteFollows,
    account_id: int,
    _body: FollowParams = params(FollowParams),
) -> Response:
    return json_response(await service.do_follow(session, follower_id=me.id, target_id=account_id))


@router.post("/api/v1/accounts/{account_id:int}/unfollow")
async def unfollow(session: WriteSession, me: WriteFollows, account_id: int) -> Response:
    return json_response(
        await service.do_unfollow(session, follower_id=me.id, target_id=account_id)
    )


@router.get("/api/v1/accounts/relationships")
async def relationships(
    session: ReadSession,
    me: ReadFollows,
    query: RelationshipsParams = params(RelationshipsParams),
) -> Response:
    return json_response(
        await service.relationship(session, viewer_id=me.id, target_ids=query.account_ids())
    )


@router.get("/api/v1/accounts/{account_id:int}/followers")
async def followers(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    account_id: int,
    page: AccountListParams = params(AccountListParams),
) -> Response:
    found = await service.list_followers(
        session, viewer_id=viewer.id if viewer else None, account_id=account_id, page=page
    )
    return _account_list(request, ctx.settings, found)


@router.get("/api/v1/accounts/{account_id:int}/following")
async def following(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    account_id: int,
    page: AccountListParams = params(AccountListParams),
) -> Response:
    found = await service.list_following(
        session, viewer_id=viewer.id if viewer else None, account_id=account_id, page=page
    )
    return _account_list(request, ctx.settings, found)


@router.get("/api/v1/follow_requests")
async def follow_requests(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: ReadFollows,
    page: AccountListParams = params(AccountListParams),
) -> Response:
    found = await service.pending_requests(session, target_id=me.id, page=page)
    return _account_list(request, ctx.settings, found)


@router.post("/api/v1/follow_requests/{account_id:int}/authorize")
async def authorize_request(session: WriteSession, me: WriteFollows, account_id: int) -> Response:
    return json_response(
        await service.do_authorize_request(session, target_id=me.id, requester_id=account_id)
    )


@router.post("/api/v1/follow_requests/{account_id:int}/reject")
async def reject_request(session: WriteSession, me: WriteFollows, account_id: int) -> Response:
    return json_response(
        await service.do_reject_request(session, target_id=me.id, requester_id=account_id)
    )
