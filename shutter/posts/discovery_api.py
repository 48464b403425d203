"""Discovery routes: hashtag timelines, the Tag entity and explore (trending posts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import optional_user
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.http import json_response
from shutter.infra.pagination import (
    WHOLE_NUMBER,
    Limit40,
    Offset,
    PageParams,
    at_most,
    link_header,
    offset_link_header,
)
from shutter.infra.params import QueryParams, params
from shutter.posts import tags, trends
from shutter.posts.models import Post, PostTag
from shutter.posts.render import page_of_statuses, render_page

router = APIRouter()

Limit20 = Annotated[int, WHOLE_NUMBER, at_most(20)]

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
        filter_context="public",
    )
    return json_response(body, headers=link_header(request, cursors))


class PublicTimelineParams(PageParams):
    local: bool = False
    remote: bool = False
    only_media: bool = False


@router.get("/api/v1/timelines/public")
async def public_timeline(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    page: PublicTimelineParams = params(PublicTimelineParams),
) -> Response:
    """The instance's public posts, newest first: `local` is all of them (there is no
    federation), `remote` none. Readable without a token, as the tag timeline."""
    if page.remote and not page.local:
        return json_response([])
    query = trends.public_timeline_query(only_media=page.only_media)
    body, cursors = await page_of_statuses(
        session,
        ctx,
        query,
        Post.id,
        page,
        viewer=viewer,
        public_only=True,
        hide_muted=True,
        filter_context="public",
    )
    return json_response(body, headers=link_header(request, cursors))


class TagTrendsParams(QueryParams):
    """Mastodon's trending tags: 10 by default, 20 at most."""

    limit: Limit20 = 10
    offset: Offset = 0


@router.get("/api/v1/trends")
@router.get("/api/v1/trends/tags")
async def trending_tags(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    query: TagTrendsParams = params(TagTrendsParams),
) -> Response:
    found, more = await trends.trending_tags(
        session,
        window_days=ctx.settings.trends_window_days,
        offset=query.offset,
        limit=query.limit,
    )
    body = await tags.tags_json(session, ctx.settings, found, viewer=viewer)
    return json_response(body, headers=offset_link_header(request, query.offset, query.limit, more))


class LinksParams(QueryParams):
    limit: Limit20 = 10
    offset: Offset = 0


@router.get("/api/v1/trends/links")
async def trending_links(query: LinksParams = params(LinksParams)) -> Response:
    """No link previews are made (posts are photos and videos; fetching the pages that
    captions link to would make the server a fetcher of arbitrary URLs), so no links trend."""
    return json_response([])


class LinkTimelineParams(PageParams):
    url: str = Field(min_length=1, max_length=2048)


@router.get("/api/v1/timelines/link")
async def link_timeline(
    viewer: Viewer, page: LinkTimelineParams = params(LinkTimelineParams)
) -> Response:
    """Posts sharing a trending link's preview card: no cards are made, so none."""
    return json_response([])


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
    return json_response(
        await render_page(session, ctx, rows, viewer=viewer, filter_context="public")
    )
