"""Graph routes: follows, follow requests, relationships, follower lists, blocks, mutes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.accounts.render import render_accounts
from shutter.auth.deps import optional_user, user
from shutter.graph import service
from shutter.graph.discovery_api import router as discovery_router
from shutter.graph.personal_api import router as personal_router
from shutter.graph.schemas import (
    AccountListParams,
    FollowParams,
    MuteParams,
    RelationshipsParams,
)
from shutter.graph.service import safety
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.pagination import link_header
from shutter.infra.params import params

router = APIRouter()
router.include_router(discovery_router)
router.include_router(personal_router)

ReadFollows = Annotated[Account, Depends(user("read:follows"))]
WriteFollows = Annotated[Account, Depends(user("write:follows"))]
Viewer = Annotated[Account | None, Depends(optional_user("read:accounts"))]


async def _account_list(request: Request, ctx: AppContext, page: service.AccountPage) -> Response:
    # Through the entity cache, and with the emojis of names and bios (emojis/catalog.py).
    body = await render_accounts(ctx, page.accounts)
    return json_response(body, headers=link_header(request, page.cursor_ids))


@router.post("/api/v1/accounts/{account_id:id}/follow")
async def follow(
    session: WriteSession,
    me: WriteFollows,
    account_id: int,
    _body: FollowParams = params(FollowParams),
) -> Response:
    return json_response(await service.do_follow(session, follower_id=me.id, target_id=account_id))


@router.post("/api/v1/accounts/{account_id:id}/unfollow")
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


@router.get("/api/v1/accounts/{account_id:id}/followers")
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
    return await _account_list(request, ctx, found)


@router.get("/api/v1/accounts/{account_id:id}/following")
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
    return await _account_list(request, ctx, found)


@router.get("/api/v1/follow_requests")
async def follow_requests(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: ReadFollows,
    page: AccountListParams = params(AccountListParams),
) -> Response:
    found = await service.pending_requests(session, target_id=me.id, page=page)
    return await _account_list(request, ctx, found)


@router.post("/api/v1/follow_requests/{account_id:id}/authorize")
async def authorize_request(session: WriteSession, me: WriteFollows, account_id: int) -> Response:
    return json_response(
        await service.do_authorize_request(session, target_id=me.id, requester_id=account_id)
    )


@router.post("/api/v1/follow_requests/{account_id:id}/reject")
async def reject_request(session: WriteSession, me: WriteFollows, account_id: int) -> Response:
    return json_response(
        await service.do_reject_request(session, target_id=me.id, requester_id=account_id)
    )


# --- blocks, mutes, removing a follower ----------------------------------------------

WriteBlocks = Annotated[Account, Depends(user("write:blocks"))]
WriteMutes = Annotated[Account, Depends(user("write:mutes"))]


@router.post("/api/v1/accounts/{account_id:id}/block")
async def block(session: WriteSession, me: WriteBlocks, account_id: int) -> Response:
    return json_response(await safety.do_block(session, account_id=me.id, target_id=account_id))


@router.post("/api/v1/accounts/{account_id:id}/unblock")
async def unblock(session: WriteSession, me: WriteBlocks, account_id: int) -> Response:
    return json_response(await safety.do_unblock(session, account_id=me.id, target_id=account_id))


@router.post("/api/v1/accounts/{account_id:id}/mute")
async def mute(
    session: WriteSession,
    me: WriteMutes,
    account_id: int,
    body: MuteParams = params(MuteParams),
) -> Response:
    return json_response(
        await safety.do_mute(
            session,
            account_id=me.id,
            target_id=account_id,
            notifications=body.notifications,
            duration=body.duration,
        )
    )


@router.post("/api/v1/accounts/{account_id:id}/unmute")
async def unmute(session: WriteSession, me: WriteMutes, account_id: int) -> Response:
    return json_response(await safety.do_unmute(session, account_id=me.id, target_id=account_id))


@router.post("/api/v1/accounts/{account_id:id}/remove_from_followers")
async def remove_from_followers(
    session: WriteSession, me: WriteFollows, account_id: int
) -> Response:
    return json_response(
        await safety.do_remove_follower(session, account_id=me.id, follower_id=account_id)
    )


@router.get("/api/v1/blocks")
async def blocks(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: Annotated[Account, Depends(user("read:blocks"))],
    page: AccountListParams = params(AccountListParams),
) -> Response:
    found = await safety.list_blocks(session, account_id=me.id, page=page)
    return await _account_list(request, ctx, found)


@router.get("/api/v1/mutes")
async def mutes(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: Annotated[Account, Depends(user("read:mutes"))],
    page: AccountListParams = params(AccountListParams),
) -> Response:
    found = await safety.list_mutes(session, account_id=me.id, page=page)
    return await _account_list(request, ctx, found)
