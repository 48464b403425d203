"""Looking posts up by id or address: several statuses at once (Mastodon 4.3's
`GET /api/v1/statuses?id[]=`) and oEmbed (`GET /api/oembed?url=`), which sites use to
embed a public post."""

from __future__ import annotations

import re
from html import escape
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends
from pydantic import Field, field_validator
from sqlalchemy import select
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import optional_user
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.errors import ApiError
from shutter.infra.http import json_response
from shutter.infra.ids import parse_id
from shutter.infra.pagination import PageParams
from shutter.infra.params import QueryParams, params
from shutter.infra.settings import Settings
from shutter.posts import service
from shutter.posts.models import Post
from shutter.posts.render import page_of_statuses
from shutter.posts.schemas import HydratedPost

router = APIRouter()

Viewer = Annotated[Account | None, Depends(optional_user("read:statuses"))]

# Mastodon's DEFAULT_STATUSES_LIMIT: more ids than this is a 422.
MAX_STATUS_IDS = 20


class StatusIdsParams(QueryParams):
    """`id[]=1&id[]=2` (or one `id=1`); ids that are not numbers match no post."""

    id: list[str] = Field(default_factory=list, max_length=MAX_STATUS_IDS)

    @field_validator("id", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    def post_ids(self) -> list[int]:
        return list(dict.fromkeys(i for i in map(parse_id, self.id) if i is not None))


@router.get("/api/v1/statuses")
async def statuses(
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    query: StatusIdsParams = params(StatusIdsParams),
) -> Response:
    """The asked posts the viewer may see, in the order asked; the others are left out."""
    wanted = query.post_ids()
    if not wanted:
        return json_response([])
    body, _ = await page_of_statuses(
        session,
        ctx,
        select(Post.id).where(Post.id.in_(wanted)),
        Post.id,
        PageParams(limit=len(wanted)),
        viewer=viewer,
    )
    order = {post_id: index for index, post_id in enumerate(wanted)}
    return json_response(sorted(body, key=lambda status: order[int(status["id"])]))


class OEmbedParams(QueryParams):
    url: str = Field(max_length=2000)
    maxwidth: int = Field(400, ge=1, le=10_000)
    maxheight: int | None = Field(None, ge=1, le=10_000)


# A post's addresses: its page (`/@name/123`) and its URI (`/users/name/statuses/123`).
_POST_PATH = re.compile(r"/(?:@[A-Za-z0-9_]+|users/[A-Za-z0-9_]+/statuses)/([0-9]{1,20})/?")


def _post_id_of(url: str, settings: Settings) -> int | None:
    """The id of a post of this instance that `url` names, or None."""
    try:
        parts, ours = urlsplit(url), urlsplit(settings.base_url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != ours.netloc.lower():
        return None
    found = _POST_PATH.fullmatch(parts.path)
    return parse_id(found.group(1)) if found else None


def oembed_json(item: HydratedPost, settings: Settings, *, width: int) -> dict[str, Any]:
    """Mastodon's oEmbed answer: a `rich` embed whose HTML quotes the post and links it."""
    author, post = item.author, item.post
    url = f"{settings.base_url}/@{author.username}/{post.id}"
    domain = urlsplit(settings.base_url).netloc
    name = author.display_name or author.username
    caption = f"<p>{escape(post.caption)}</p>" if post.caption else ""
    html = (
        f'<blockquote class="mastodon-embed" data-embed-url="{escape(url)}/embed" '
        f'style="max-width: {width}px">{caption}'
        f'<a href="{escape(url)}" target="_blank">Post by @{escape(author.username)}'
        f"@{escape(domain)}</a></blockquote>"
    )
    return {
        "type": "rich",
        "version": "1.0",
        "title": f"New post by {name}",
        "author_name": name,
        "author_url": f"{settings.base_url}/@{author.username}",
        "provider_name": domain,
        "provider_url": f"{settings.base_url}/",
        "cache_age": 86400,
        "html": html,
        "width": width,
        "height": None,
    }


@router.get("/api/oembed")
async def oembed(
    ctx: Ctx, session: ReadSession, query: OEmbedParams = params(OEmbedParams)
) -> Response:
    """A public post's embed, as anyone may see it; 404 for any other address."""
    post_id = _post_id_of(query.url, ctx.settings)
    if post_id is None:
        raise ApiError(404, "Record not found")
    item = await service.access_post(session, post_id, viewer=None)
    return json_response(oembed_json(item, ctx.settings, width=query.maxwidth))
