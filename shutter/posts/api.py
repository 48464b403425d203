"""Status routes: post, read, edit (with history), delete, and an account's posts.

Engagement and discovery routes live in sibling modules, included in this router.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.auth.deps import OptionalCaller, optional_user, user
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import entity_response, json_response
from shutter.infra.pagination import PageParams, link_header
from shutter.infra.params import header_param, params
from shutter.posts import service, tags
from shutter.posts.discovery_api import router as discovery_router
from shutter.posts.engagement_api import router as engagement_router
from shutter.posts.lookup_api import router as lookup_router
from shutter.posts.marks_api import router as marks_router
from shutter.posts.models import Pin, Post
from shutter.posts.render import page_of_statuses, render_edits, render_status
from shutter.posts.scheduled_api import router as scheduled_router
from shutter.posts.scheduled_api import schedule_status
from shutter.posts.schemas import CreatePostParams, EditPostParams, status_json
from shutter.posts.service import edits, pins
from shutter.posts.tags_api import router as tags_router

router = APIRouter()
router.include_router(engagement_router)
router.include_router(discovery_router)
router.include_router(marks_router)
router.include_router(lookup_router)
router.include_router(tags_router)
router.include_router(scheduled_router)

Me = Annotated[Account, Depends(user("write:statuses"))]
Viewer = Annotated[Account | None, Depends(optional_user("read:statuses"))]
# A signed-in reader (a status's source, as Mastodon: `read:statuses`).
Reader = Annotated[Account, Depends(user("read:statuses"))]


def _as_list(value: list[str] | str | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


@router.post("/api/v1/statuses")
async def create_status(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    me: Me,
    caller: OptionalCaller,
    body: CreatePostParams = params(CreatePostParams),
) -> Response:
    new = service.NewPost(
        caption=body.status or "",
        media_ids=_as_list(body.media_ids),
        in_reply_to_id=body.in_reply_to_id or None,
        idempotency_key=header_param(request, "Idempotency-Key"),
        app_id=caller.app_id if caller else None,
        visibility=body.visibility or None,
        sensitive=body.sensitive,
        spoiler_text=body.spoiler_text or "",
    )
    if body.scheduled_at:  # answered with a ScheduledStatus, as Mastodon does
        return await schedule_status(session, ctx, me, new, body.scheduled_at)
    item = await service.do_create_post(session, ctx=ctx, author=me, new=new)
    return json_response(status_json(item, ctx.settings))


@router.get("/api/v1/statuses/{status_id:id}")
async def get_status(
    request: Request, ctx: Ctx, session: ReadSession, viewer: Viewer, status_id: int
) -> Response:
    item = await service.access_post(session, status_id, viewer=viewer)
    body = await render_status(session, ctx, item, viewer=viewer, filter_context="thread")
    return entity_response(request, body)


def _descriptions(body: EditPostParams) -> dict[int, str]:
    attributes = body.media_attributes or []
    if isinstance(attributes, dict):
        attributes = list(attributes.values())
    return {
        service.parse_id(a.id, what="Media"): a.description
        for a in attributes
        if a.description is not None
    }


@router.put("/api/v1/statuses/{status_id:id}")
async def edit_status(
    ctx: Ctx,
    session: WriteSession,
    me: Me,
    status_id: int,
    body: EditPostParams = params(EditPostParams),
) -> Response:
    item = await edits.do_edit_post(
        session,
        ctx=ctx,
        editor=me,
        post_id=status_id,
        caption=body.status,
        media_ids=None if body.media_ids is None else _as_list(body.media_ids),
        descriptions=_descriptions(body),
        sensitive=body.sensitive,
        spoiler_text=body.spoiler_text,
    )
    return json_response(await render_status(session, ctx, item, viewer=me))


@router.get("/api/v1/statuses/{status_id:id}/history")
async def status_history(
    ctx: Ctx, session: ReadSession, viewer: Viewer, status_id: int
) -> Response:
    item, versions = await edits.edit_history(session, post_id=status_id, viewer=viewer)
    return json_response(await render_edits(ctx, item, versions))


@router.get("/api/v1/statuses/{status_id:id}/source")
async def status_source(ctx: Ctx, session: ReadSession, me: Reader, status_id: int) -> Response:
    item = await service.access_post(session, status_id, viewer=me)
    post = item.post
    return json_response(
        {"id": str(post.id), "text": post.caption, "spoiler_text": post.spoiler_text}
    )


@router.delete("/api/v1/statuses/{status_id:id}")
async def delete_status(ctx: Ctx, session: WriteSession, me: Me, status_id: int) -> Response:
    item = await service.do_delete_post(session, ctx=ctx, actor=me, post_id=status_id)
    return json_response(await render_status(session, ctx, item, viewer=me, with_source=True))


class AccountStatusesParams(PageParams):
    pinned: bool = False
    only_media: bool = False
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    tagged: str | None = None


@router.get("/api/v1/accounts/{account_id:id}/statuses")
async def account_statuses(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    account_id: int,
    page: AccountStatusesParams = params(AccountStatusesParams),
) -> Response:
    author = await accounts.access_account(session, account_id)
    if page.pinned:  # newest pin first, paged by the pin
        body, ids = await page_of_statuses(
            session,
            ctx,
            pins.pinned_query(author=author),
            Pin.post_id,
            page,
            viewer=viewer,
            cursor=Pin.id,
            filter_context="account",
        )
        return json_response(body, headers=link_header(request, ids))
    query = service.account_posts_query(author=author)
    if page.tagged:  # a featured tag's posts
        tagged = await tags.account_tagged_query(session, account_id=author.id, name=page.tagged)
        if tagged is None:
            return json_response([])
        query = tagged
    body, ids = await page_of_statuses(
        session, ctx, query, Post.id, page, viewer=viewer, filter_context="account"
    )
    return json_response(body, headers=link_header(request, ids))
