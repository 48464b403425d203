"""Conversation routes (Mastodon's `/api/v1/conversations`) and the direct timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.conversations import service
from shutter.conversations.render import inbox_page, render_conversations
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.pagination import PageParams, link_header
from shutter.infra.params import params
from shutter.posts.models import Post
from shutter.posts.render import page_of_statuses

router = APIRouter()

Reader = Annotated[Account, Depends(user("read:statuses"))]
Writer = Annotated[Account, Depends(user("write:conversations"))]


@router.get("/api/v1/conversations")
async def list_conversations(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: Reader,
    page: PageParams = params(PageParams),
) -> Response:
    body, cursors = await inbox_page(session, ctx, page, viewer=me)
    return json_response(body, headers=link_header(request, cursors))


@router.post("/api/v1/conversations/{conversation_id:id}/read")
async def mark_read(ctx: Ctx, session: WriteSession, me: Writer, conversation_id: int) -> Response:
    row = await service.do_mark_read(session, account_id=me.id, conversation_id=conversation_id)
    [body] = await render_conversations(session, ctx, [row], viewer=me)
    return json_response(body)


@router.delete("/api/v1/conversations/{conversation_id:id}")
async def remove(session: WriteSession, me: Writer, conversation_id: int) -> Response:
    await service.do_remove(session, account_id=me.id, conversation_id=conversation_id)
    return json_response({})


@router.get("/api/v1/timelines/direct")
async def direct_timeline(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: Reader,
    page: PageParams = params(PageParams),
) -> Response:
    query = service.direct_posts_query(account_id=me.id)
    body, ids = await page_of_statuses(session, ctx, query, Post.id, page, viewer=me)
    return json_response(body, headers=link_header(request, ids))
