"""Timeline routes: the home feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.feed import home as feed_home
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.http import json_response
from shutter.infra.pagination import PageParams, link_header
from shutter.infra.params import params

router = APIRouter()


@router.get("/api/v1/timelines/home")
async def home(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: Annotated[Account, Depends(user("read:statuses"))],
    page: PageParams = params(PageParams),
) -> Response:
    body, ids = await feed_home.home_page(session, ctx, viewer=me, page=page)
    return json_response(body, headers=link_header(request, ids))
