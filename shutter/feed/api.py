"""Timeline routes: the home feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.feed import service
from shutter.feed.models import FeedEntry
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.http import json_response
from shutter.infra.pagination import PageParams, link_header
from shutter.infra.params import params
from shutter.posts.render import page_of_statuses

router = APIRouter()


@router.get("/api/v1/timelines/home")
async def home(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: Annotated[Account, Depends(user("read:statuses"))],
    page: PageParams = params(PageParams),
) -> Response:
    query = service.home_query(account_id=me.id)
    body, ids = await page_of_statuses(
        session, ctx, query, FeedEntry.post_id, page, viewer=me, hide_muted=True
    )
    return json_response(body, headers=link_header(request.url, ids))
