"""Hashtag routes: the Tag entity, following tags, featuring tags on a profile."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.auth.deps import optional_user, user
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import entity_response, json_response
from shutter.infra.pagination import WHOLE_NUMBER, PageParams, at_most, link_header, paginate
from shutter.infra.params import RequestParams, params
from shutter.infra.settings import Settings
from shutter.posts import tags
from shutter.posts.models import Tag, TagFollow
from shutter.posts.service import featured_tags, tag_follows
from shutter.posts.service.featured_tags import Featured
from shutter.posts.text import normalize_tag

router = APIRouter()

Viewer = Annotated[Account | None, Depends(optional_user("read:statuses"))]
TagFollower = Annotated[Account, Depends(user("write:follows"))]
FollowsReader = Annotated[Account, Depends(user("read:follows"))]
ProfileEditor = Annotated[Account, Depends(user("write:accounts"))]
ProfileReader = Annotated[Account, Depends(user("read:accounts"))]


def featured_json(featured: Featured, account: Account, settings: Settings) -> dict[str, Any]:
    """Mastodon's FeaturedTag: its url is the profile's posts with the tag."""
    last = featured.last_status_at
    return {
        "id": str(featured.row.id),
        "name": featured.tag.display_name,
        "url": f"{settings.base_url}/@{account.username}/tagged/{normalize_tag(featured.tag.name)}",
        "statuses_count": str(featured.statuses_count),
        "last_status_at": last.strftime("%Y-%m-%d") if last is not None else None,
    }


async def _tag_body(
    ctx: Ctx, session: AsyncSession, tag: Tag, viewer: Account | None
) -> dict[str, Any]:
    [body] = await tags.tags_json(session, ctx.settings, [tag], viewer=viewer)
    return body


@router.get("/api/v1/tags/{name}")
async def get_tag(
    request: Request, ctx: Ctx, session: ReadSession, viewer: Viewer, name: str
) -> Response:
    tag = await tags.access_tag(session, name=name)
    return entity_response(request, await _tag_body(ctx, session, tag, viewer))


@router.post("/api/v1/tags/{name}/follow")
async def follow_tag(ctx: Ctx, session: WriteSession, me: TagFollower, name: str) -> Response:
    tag = await tag_follows.do_follow_tag(session, account=me, name=name)
    return json_response(await _tag_body(ctx, session, tag, me))


@router.post("/api/v1/tags/{name}/unfollow")
async def unfollow_tag(ctx: Ctx, session: WriteSession, me: TagFollower, name: str) -> Response:
    tag = await tag_follows.do_unfollow_tag(session, account=me, name=name)
    return json_response(await _tag_body(ctx, session, tag, me))


@router.post("/api/v1/tags/{name}/feature")
async def feature_tag(ctx: Ctx, session: WriteSession, me: ProfileEditor, name: str) -> Response:
    featured = await featured_tags.do_feature_tag(session, account=me, name=name)
    return json_response(await _tag_body(ctx, session, featured.tag, me))


@router.post("/api/v1/tags/{name}/unfeature")
async def unfeature_tag(ctx: Ctx, session: WriteSession, me: ProfileEditor, name: str) -> Response:
    tag = await featured_tags.do_unfeature_tag(session, account=me, name=name)
    return json_response(await _tag_body(ctx, session, tag, me))


class FollowedTagsParams(PageParams):
    """Mastodon's followed tags: 100 by default, 200 at most."""

    limit: Annotated[int, WHOLE_NUMBER, at_most(200)] = 100


@router.get("/api/v1/followed_tags")
async def followed_tags(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: FollowsReader,
    page: FollowedTagsParams = params(FollowedTagsParams),
) -> Response:
    query = paginate(tag_follows.followed_tags_query(account_id=me.id), TagFollow.id, page)
    rows = list((await session.execute(query)).all())
    if page.min_id is not None:
        rows.reverse()  # fetched upwards from min_id; listed newest first
    found = [tag for tag, _ in rows]
    body = await tags.tags_json(session, ctx.settings, found, viewer=me)
    return json_response(body, headers=link_header(request, [row_id for _, row_id in rows]))


# --- featured tags -----------------------------------------------------------------------


class FeatureParams(RequestParams):
    name: str = Field(min_length=1, max_length=200)


@router.get("/api/v1/featured_tags")
async def my_featured_tags(ctx: Ctx, session: ReadSession, me: ProfileReader) -> Response:
    found = await featured_tags.featured_tags(session, account_id=me.id)
    return json_response([featured_json(f, me, ctx.settings) for f in found])


@router.post("/api/v1/featured_tags")
async def create_featured_tag(
    ctx: Ctx,
    session: WriteSession,
    me: ProfileEditor,
    body: FeatureParams = params(FeatureParams),
) -> Response:
    featured = await featured_tags.do_feature_tag(session, account=me, name=body.name)
    return json_response(featured_json(featured, me, ctx.settings))


@router.delete("/api/v1/featured_tags/{featured_id}")
async def delete_featured_tag(
    session: WriteSession, me: ProfileEditor, featured_id: str
) -> Response:
    await featured_tags.do_unfeature(session, account=me, featured_id=featured_id)
    return json_response({})


@router.get("/api/v1/featured_tags/suggestions")
async def featured_tag_suggestions(ctx: Ctx, session: ReadSession, me: ProfileReader) -> Response:
    found = await featured_tags.suggested_tags(session, account_id=me.id)
    return json_response(await tags.tags_json(session, ctx.settings, found, viewer=me))


@router.get("/api/v1/accounts/{account_id:id}/featured_tags")
async def account_featured_tags(
    ctx: Ctx, session: ReadSession, viewer: Viewer, account_id: int
) -> Response:
    author = await accounts.access_account(session, account_id)
    viewer_id = viewer.id if viewer else None
    relations = await policies.load_relations(session, viewer_id=viewer_id, author_ids={author.id})
    if not policies.may_see_author(author, relations):
        return json_response([])
    found = await featured_tags.featured_tags(session, account_id=author.id)
    return json_response([featured_json(f, author, ctx.settings) for f in found])
