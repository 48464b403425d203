"""Search routes: GET /api/v2/search and GET /api/v1/accounts/search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.accounts.render import render_accounts
from shutter.auth.deps import optional_user, user
from shutter.emojis.catalog import current_emojis
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.http import json_response
from shutter.infra.params import params
from shutter.search import service
from shutter.search.schemas import AccountSearchParams, SearchParams, search_json

router = APIRouter()


@router.get("/api/v2/search")
async def search(
    ctx: Ctx,
    session: ReadSession,
    viewer: Annotated[Account | None, Depends(optional_user("read:search"))],
    query: SearchParams = params(SearchParams),
) -> Response:
    found = await service.search(
        session,
        viewer_id=viewer.id if viewer else None,
        q=query.q,
        kind=query.type,
        limit=query.limit,
        offset=query.offset,
        following=query.following,
    )
    body = search_json(found.accounts, found.hashtags, ctx.settings)
    emojis = await current_emojis(ctx)  # of names and bios: emojis/catalog.py
    body["accounts"] = [emojis.fill_account(account) for account in body["accounts"]]
    return json_response(body)


@router.get("/api/v1/accounts/search")
async def search_accounts(
    ctx: Ctx,
    session: ReadSession,
    me: Annotated[Account, Depends(user("read:accounts"))],
    query: AccountSearchParams = params(AccountSearchParams),
) -> Response:
    found = await service.find_accounts(
        session,
        viewer_id=me.id,
        q=query.q,
        limit=query.limit,
        offset=query.offset,
        following=query.following,
    )
    return json_response(await render_accounts(ctx, found))
