"""Engagement routes: likes, saves, comment threads (context) and who liked a post."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.accounts.render import render_accounts
from shutter.auth.deps import optional_user, user
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.pagination import AccountPageParams, PageParams, link_header
from shutter.infra.params import params
from shutter.posts import comments
from shutter.posts.models import Bookmark, Like
from shutter.posts.render import page_of_statuses, render_items, render_status, viewer_filters
from shutter.posts.service import likes

router = APIRouter()

Liker = Annotated[Account, Depends(user("write:favourites"))]
Saver = Annotated[Account, Depends(user("write:bookmarks"))]
Viewer = Annotated[Account | None, Depends(optional_user("read:statuses"))]


@router.post("/api/v1/statuses/{status_id:id}/favourite")
async def favourite(ctx: Ctx, session: WriteSession, me: Liker, status_id: int) -> Response:
    item = await likes.do_favourite(session, actor=me, post_id=status_id)
    return json_response(await render_status(session, ctx, item, viewer=me))


@router.post("/api/v1/statuses/{status_id:id}/unfavourite")
async def unfavourite(ctx: Ctx, session: WriteSession, me: Liker, status_id: int) -> Response:
    item = await likes.do_unfavourite(session, actor=me, post_id=status_id)
    return json_response(await render_status(session, ctx, item, viewer=me))


@router.post("/api/v1/statuses/{status_id:id}/bookmark")
async def bookmark(ctx: Ctx, session: WriteSession, me: Saver, status_id: int) -> Response:
    item = await likes.do_bookmark(session, actor=me, post_id=status_id)
    return json_response(await render_status(session, ctx, item, viewer=me))


@router.post("/api/v1/statuses/{status_id:id}/unbookmark")
async def unbookmark(ctx: Ctx, session: WriteSession, me: Saver, status_id: int) -> Response:
    item = await likes.do_unbookmark(session, actor=me, post_id=status_id)
    return json_response(await render_status(session, ctx, item, viewer=me))


@router.get("/api/v1/statuses/{status_id:id}/favourited_by")
async def favourited_by(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    status_id: int,
    page: AccountPageParams = params(AccountPageParams),
) -> Response:
    found = await likes.favourited_by(session, post_id=status_id, viewer=viewer, page=page)
    return json_response(
        await render_accounts(ctx, found.accounts),
        headers=link_header(request, found.cursor_ids),
    )


@router.get("/api/v1/statuses/{status_id:id}/context")
async def status_context(
    ctx: Ctx, session: ReadSession, viewer: Viewer, status_id: int
) -> Response:
    found = await comments.context(session, post_id=status_id, viewer=viewer)
    filters = await viewer_filters(session, viewer)
    ancestors = await render_items(session, ctx, found.ancestors, viewer=viewer)
    descendants = await render_items(session, ctx, found.descendants, viewer=viewer)
    return json_response(
        {
            "ancestors": filters.apply(ancestors, "thread"),
            "descendants": filters.apply(descendants, "thread"),
        }
    )


@router.get("/api/v1/favourites")
async def favourites(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: Annotated[Account, Depends(user("read:favourites"))],
    page: PageParams = params(PageParams),
) -> Response:
    query = likes.favourites_query(account_id=me.id)
    body, cursors = await page_of_statuses(
        session, ctx, query, Like.post_id, page, viewer=me, cursor=Like.id
    )
    return json_response(body, headers=link_header(request, cursors))


@router.get("/api/v1/bookmarks")
async def bookmarks(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: Annotated[Account, Depends(user("read:bookmarks"))],
    page: PageParams = params(PageParams),
) -> Response:
    query = likes.bookmarks_query(account_id=me.id)
    body, cursors = await page_of_statuses(
        session,
        ctx,
        query,
        Bookmark.post_id,
        page,
        viewer=me,
        cursor=Bookmark.id,
    )
    return json_response(body, headers=link_header(request, cursors))
