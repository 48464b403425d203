"""Timeline routes: the home feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.feed import service
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.pagination import PageParams
from shutter.infra.params import params
from shutter.posts import service as posts
from shutter.posts.api import statuses_response

router = APIRouter()


@router.get("/api/v1/timelines/home")
async def home(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: Annotated[Account, Depends(user("read:statuses"))],
    page: PageParams = params(PageParams),
) -> Response:
    ids = await service.home_post_ids(session, account_id=me.id, page=page)
    items = await posts.hydrate(session, ids)
    return statuses_response(request, ctx, items, ids)
