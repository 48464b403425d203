"""Routes of a post's personal marks (pins, muted threads) and of what Shutter has not.

Shutter is Instagram-shaped: there are no reposts (Mastodon's reblogs), no polls and no
translation service. Their routes answer as Mastodon does where that is a plain answer
(no poll exists: 404; no translation service: 404; nobody reposted: an empty list), and
a repost is refused with a 422 that says why rather than a 404 a client would read as a
missing post.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import optional_user, user
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError, unprocessable
from shutter.infra.http import json_response
from shutter.infra.pagination import AccountPageParams
from shutter.infra.params import params
from shutter.posts import service
from shutter.posts.render import render_status
from shutter.posts.service import pins

router = APIRouter()

Pinner = Annotated[Account, Depends(user("write:accounts"))]
Muter = Annotated[Account, Depends(user("write:mutes"))]
Poster = Annotated[Account, Depends(user("write:statuses"))]
Reader = Annotated[Account, Depends(user("read:statuses"))]
Viewer = Annotated[Account | None, Depends(optional_user("read:statuses"))]

NO_REPOSTS = "Shutter has no reposts: a post cannot be reblogged"


@router.post("/api/v1/statuses/{status_id:id}/pin")
async def pin(ctx: Ctx, session: WriteSession, me: Pinner, status_id: int) -> Response:
    item = await pins.do_pin(session, actor=me, post_id=status_id)
    return json_response(await render_status(session, ctx, item, viewer=me))


@router.post("/api/v1/statuses/{status_id:id}/unpin")
async def unpin(ctx: Ctx, session: WriteSession, me: Pinner, status_id: int) -> Response:
    item = await pins.do_unpin(session, actor=me, post_id=status_id)
    return json_response(await render_status(session, ctx, item, viewer=me))


@router.post("/api/v1/statuses/{status_id:id}/mute")
async def mute_thread(ctx: Ctx, session: WriteSession, me: Muter, status_id: int) -> Response:
    item = await pins.do_mute_thread(session, actor=me, post_id=status_id)
    return json_response(await render_status(session, ctx, item, viewer=me))


@router.post("/api/v1/statuses/{status_id:id}/unmute")
async def unmute_thread(ctx: Ctx, session: WriteSession, me: Muter, status_id: int) -> Response:
    item = await pins.do_unmute_thread(session, actor=me, post_id=status_id)
    return json_response(await render_status(session, ctx, item, viewer=me))


@router.post("/api/v1/statuses/{status_id:id}/reblog")
@router.post("/api/v1/statuses/{status_id:id}/unreblog")
async def reblog(session: ReadSession, me: Poster, status_id: int) -> Response:
    await service.access_post(session, status_id, viewer=me)  # an unseen post stays a 404
    raise unprocessable(NO_REPOSTS)


@router.get("/api/v1/statuses/{status_id:id}/reblogged_by")
async def reblogged_by(
    session: ReadSession,
    viewer: Viewer,
    status_id: int,
    _page: AccountPageParams = params(AccountPageParams),
) -> Response:
    await service.access_post(session, status_id, viewer=viewer)
    return json_response([])


@router.post("/api/v1/statuses/{status_id:id}/translate")
async def translate(session: ReadSession, me: Reader, status_id: int) -> Response:
    await service.access_post(session, status_id, viewer=me)
    # Mastodon's answer when no translation service is configured (and `/api/v2/instance`
    # says `translation.enabled: false`).
    raise ApiError(404, "Record not found")


@router.get("/api/v1/polls/{poll_id}")
async def poll(_viewer: Viewer, poll_id: str) -> Response:
    raise ApiError(404, "Record not found")  # Shutter has no polls: none exists


@router.post("/api/v1/polls/{poll_id}/votes")
async def vote(_me: Poster, poll_id: str) -> Response:
    raise ApiError(404, "Record not found")
