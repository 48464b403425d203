"""Shutter's routes for leaving (docs/api.md): deactivating one's account and deleting it.
Mastodon has only web forms for these; both ask the password again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field
from starlette.responses import Response

from shutter.accounts.service import leaving
from shutter.auth.deps import user_caller
from shutter.auth.service import Caller
from shutter.infra.deps import Ctx, WriteSession
from shutter.infra.http import json_response
from shutter.infra.params import RequestParams, params

router = APIRouter()


class LeaveParams(RequestParams):
    password: str = Field(max_length=4096)


@router.post("/api/v1/shutter/account/deactivate")
async def deactivate(
    ctx: Ctx,
    session: WriteSession,
    caller: Annotated[Caller, Depends(user_caller("write:accounts"))],
    body: LeaveParams = params(LeaveParams),
) -> Response:
    await leaving.do_deactivate_own(session, ctx=ctx, caller=caller, password=body.password)
    return json_response({})


@router.post("/api/v1/shutter/account/delete")
async def delete(
    ctx: Ctx,
    session: WriteSession,
    caller: Annotated[Caller, Depends(user_caller("write:accounts"))],
    body: LeaveParams = params(LeaveParams),
) -> Response:
    await leaving.do_delete_own(session, ctx=ctx, caller=caller, password=body.password)
    # The account is gone for everyone now; its data leaves by jobs.
    return json_response({}, status=202)
