"""Discovery routes: hashtag timelines, the Tag entity and explore (trending posts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import optional_user
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.http import entity_response, json_response
from shutter.infra.pagination import Limit40, Offset, PageParams, link_header
from shutter.infra.params import QueryParams, params
from shutter.posts import tags, trends
from shutter.posts.models import PostTag
from shutter.posts.render import page_of_statuses, render_page

router = APIRouter()

Viewer = Annotated[Account | None, Depends(optional_user("read:statuses"))]


def _as_list(value: list[str] | str | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


class TagTimelineParams(PageParams):
    any_: list[str] | str | None = Field(None, alias="any")
    all_: list[str] | str | None = Field(None, alias="all")
    none_: list[str] | str | None = Field(None, alias="none")
    local: bool = False
    remote: bool = False
    only_media: bool = False


@router.get("/api/v1/timelines/tag/{hashtag}")
async def tag_timeline(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    hashtag: str,
    page: TagTimelineParams = params(TagTimelineParams),
) -> Response:
    query = await tags.tag_timeline_query(
        session,
        name=hashtag,
        any_=_as_list(page.any_),
        all_=_as_list(page.all_),
        none_=_as_list(page.none_),
    )
    if query is None or page.remote:  # no federation: nothing is remote
        return json_response([])
    body, cursors = await page_of_statuses(
        session,
        ctx,
        query,
        PostTag.post_id,
        page,
        viewer=viewer,
        public_only=True,
        hide_muted=True,
    )
    return json_response(body, headers=link_header(request, cursors))


@router.get("/api/v1/tags/{name}")
async def get_tag(
    request: Request, ctx: Ctx, session: ReadSession, viewer: Viewer, name: str
) -> Response:
    tag = await tags.access_tag(session, name=name)
    return entity_response(request, tags.tag_json(tag, ctx.settings))


class TrendsParams(QueryParams):
    limit: Limit40 = 20
    offset: Offset = 0


@router.get("/api/v1/trends/statuses")
async def trending_statuses(
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    query: TrendsParams = params(TrendsParams),
) -> Response:
    rows = await trends.trending_rows(
        session,
        window_days=ctx.settings.trends_window_days,
        offset=query.offset,
        limit=query.limit,
        viewer_id=viewer.id if viewer else None,
    )
    return json_response(await render_page(session, ctx, rows, viewer=viewer))
