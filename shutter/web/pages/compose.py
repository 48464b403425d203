"""New post: the Compose page and the web routes its script (static/js/compose.js) uses.

With scripts, each chosen file is uploaded at once (`POST /web/media`, the media
service's `do_upload` as POST /api/v2/media: answered while a job processes it), its
state asked for (`GET /web/media/<id>`, as GET /api/v1/media/:id: the reason when the
file was refused or failed), and Share sends the media ids in order with their alt texts
and focal points (`POST /web/posts`, the posts service's `do_create_post` with an
idempotency key, so a share finished again after a reload never makes two posts).

Without scripts the same form posts the files themselves (`files[]`, `descriptions[]`):
the route stores them (photos processed at once, as POST /api/v1/media), waits for any
video's job a little, then creates the post, or shows the form again with the reason.
"""

from __future__ import annotations

from typing import Any

import anyio
from pydantic import Field
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from shutter import policies
from shutter.accounts.models import Account
from shutter.accounts.schemas import account_json
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError, unprocessable
from shutter.infra.http import json_response
from shutter.infra.params import QueryParams, params
from shutter.media import service as media
from shutter.media.models import Media
from shutter.media.schemas import media_json
from shutter.posts import service as posts
from shutter.posts.render import render_status
from shutter.search import service as search_service
from shutter.search.schemas import tag_json
from shutter.web.post_forms import DescribeForm, ShareForm, UploadForm
from shutter.web.routing import done, wants_json, web_router
from shutter.web.session import SignedIn, SignedInPosted, WebSession
from shutter.web.templating import render
from shutter.web.views import local_path

router = web_router()

# The audiences offered, in Mastodon's terms (policies.VISIBILITIES) with their labels.
AUDIENCES = (
    (policies.PUBLIC, "Public"),
    (policies.PRIVATE, "Followers"),
    (policies.DIRECT, "Mentioned people only"),
)
ACCEPT = "image/*,image/heic,image/heif,.heic,.heif,video/mp4,video/quicktime,video/webm,.mov"
# How long a form without scripts waits for its videos before showing the form again.
NO_SCRIPT_WAIT_SECONDS = 90.0
SUGGESTIONS = 6


def _compose_context(ctx: AppContext, web: WebSession, **extra: Any) -> dict[str, Any]:
    assert web.account is not None
    settings = ctx.settings
    return {
        "audiences": AUDIENCES,
        "default_audience": web.account.privacy,
        "max_media": settings.max_media_per_post,
        "caption_limit": settings.max_caption_chars,
        "alt_limit": settings.max_media_description_chars,
        "accept": ACCEPT,
        "error": None,
        "caption": "",
        **extra,
    }


class ComposeQuery(QueryParams):
    # Text shared into Compose (the share target's answer without the service worker).
    text: str = Field("", max_length=2000)


@router.get("/compose")
async def compose_page(
    request: Request, ctx: Ctx, web: SignedIn, query: ComposeQuery = params(ComposeQuery)
) -> Response:
    context = _compose_context(ctx, web, caption=query.text)
    return render(request, web, "pages/compose.html", context, nav="compose")


def _media_body(item: Media, ctx: AppContext) -> dict[str, Any]:
    """The MediaAttachment with the state the page shows (Shutter's own keys)."""
    return media_json(item, ctx.settings) | {"state": item.status, "error": item.error}


@router.post("/web/media")
async def upload(
    request: Request,
    ctx: Ctx,
    form: UploadForm = params(UploadForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    item = await media.do_upload(
        session,
        ctx=ctx,
        account_id=web.account.id,
        upload=form.file,
        description=form.description,
        focus=form.focus,
    )
    return json_response(_media_body(item, ctx), status=200 if item.status == media.READY else 202)


@router.get("/web/media/{media_id:id}")
async def media_state(
    request: Request, ctx: Ctx, session: ReadSession, web: SignedIn, media_id: int
) -> Response:
    """The upload's state: 200 ready, 206 processing, 422 with the reason if it failed."""
    assert web.account is not None
    item = await media.access_own_media(session, account_id=web.account.id, media_id=media_id)
    if item.status == media.FAILED:
        raise ApiError(422, f"Processing failed: {item.error or 'unknown error'}")
    return json_response(_media_body(item, ctx), status=200 if item.status == media.READY else 206)


@router.post("/web/media/{media_id:id}")
async def describe(
    request: Request,
    ctx: Ctx,
    media_id: int,
    form: DescribeForm = params(DescribeForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    item = await media.do_update_media(
        session,
        settings=ctx.settings,
        account_id=web.account.id,
        media_id=media_id,
        description=form.description,
        focus=form.focus,
    )
    return json_response(_media_body(item, ctx))


class SuggestQuery(QueryParams):
    q: str = Field("", max_length=100)


@router.get("/web/compose/suggest")
async def suggest(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    query: SuggestQuery = params(SuggestQuery),
) -> Response:
    """Completions of the `@name` or `#tag` being typed in a caption (the search service,
    as GET /api/v2/search), as JSON: [{"value": "@ana", "label": "…"}]."""
    assert web.account is not None
    q = query.q.strip()
    if len(q) < 2 or q[0] not in "@#":
        return json_response([])
    kind = "accounts" if q[0] == "@" else "hashtags"
    found = await search_service.search(
        session, viewer_id=web.account.id, q=q[1:], kind=kind, limit=SUGGESTIONS, offset=0
    )
    items: list[dict[str, str]] = []
    for account in found.accounts:
        body = account_json(account, ctx.settings)
        label = f"@{body['username']}" + (
            f" ({body['display_name']})" if body["display_name"] else ""
        )
        items.append({"value": f"@{body['username']}", "label": label})
    for tag in found.hashtags:
        body = tag_json(tag, ctx.settings)
        items.append({"value": f"#{body['name']}", "label": f"#{body['name']}"})
    return json_response(items)


def _files(form: ShareForm) -> list[UploadFile]:
    return [f for f in form.files or [] if isinstance(f, UploadFile) and f.filename]


@router.post("/web/posts")
async def share(
    request: Request,
    ctx: Ctx,
    form: ShareForm = params(ShareForm),
    *,
    web: SignedInPosted,
) -> Response:
    assert web.account is not None
    files = _files(form)
    try:
        if files:
            media_ids = await store_files(ctx, web.account, files, form.descriptions or [])
            await wait_until_processed(ctx, web.account, media_ids)
        else:
            media_ids = list(form.media_ids or [])
        async with ctx.db.write() as session:
            if not files:
                await _describe_all(session, ctx, web.account, media_ids, form)
            item = await posts.do_create_post(
                session,
                ctx=ctx,
                author=web.account,
                new=posts.NewPost(
                    caption=form.status,
                    media_ids=media_ids,
                    visibility=form.visibility,
                    idempotency_key=form.idempotency_key,
                ),
            )
            body = await render_status(session, ctx, item, viewer=web.account)
    except ApiError as exc:
        if wants_json(request):
            raise
        context = _compose_context(ctx, web, error=exc.message, caption=form.status)
        return render(request, web, "pages/compose.html", context, nav="compose", status=exc.status)
    return done(request, local_path(body["url"]), body)


async def _describe_all(
    session: Any, ctx: AppContext, author: Account, media_ids: list[str], form: ShareForm
) -> None:
    """Alt texts and focal points sent with Share (`descriptions[]`, `focus[]`, in the
    order of `media_ids`), as PUT /api/v1/media/:id would set them."""
    descriptions = form.descriptions or []
    points = form.focus or []
    for index, media_id in enumerate(media_ids):
        description = descriptions[index] if index < len(descriptions) else None
        focus = points[index] if index < len(points) and points[index] else None
        if description is None and focus is None:
            continue
        await media.do_update_media(
            session,
            settings=ctx.settings,
            account_id=author.id,
            media_id=posts.parse_id(media_id, what="Media"),
            description=description,
            focus=focus,
        )


async def store_files(
    ctx: AppContext, author: Account, files: list[UploadFile], descriptions: list[str]
) -> list[str]:
    if len(files) > ctx.settings.max_media_per_post:
        raise unprocessable(
            f"a post has at most {ctx.settings.max_media_per_post} photos or videos",
            field="files",
        )
    ids: list[str] = []
    # Committed before waiting: the processing jobs run after the commit.
    async with ctx.db.write() as session:
        for index, upload in enumerate(files):
            description = descriptions[index] if index < len(descriptions) else None
            try:
                item = await media.do_upload(
                    session,
                    ctx=ctx,
                    account_id=author.id,
                    upload=upload,
                    description=description or None,
                    focus=None,
                    process_images_now=True,
                )
            except ApiError as exc:
                raise ApiError(exc.status, f"{upload.filename}: {exc.message}") from None
            ids.append(str(item.id))
    return ids


async def wait_until_processed(ctx: AppContext, author: Account, media_ids: list[str]) -> None:
    with anyio.move_on_after(NO_SCRIPT_WAIT_SECONDS):
        while True:
            async with ctx.db.read() as session:
                states = [
                    await media.access_own_media(session, account_id=author.id, media_id=int(i))
                    for i in media_ids
                ]
            failed = [m for m in states if m.status == media.FAILED]
            if failed:
                raise unprocessable(f"Processing failed: {failed[0].error or 'unknown error'}")
            if all(m.status == media.READY for m in states):
                return
            await anyio.sleep(0.5)
    raise unprocessable("Your videos are still being processed: share again in a minute")
