"""Media routes: upload, read, describe, and the files themselves."""

from __future__ import annotations

import re
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError, not_found
from shutter.infra.http import entity_response, json_response
from shutter.infra.params import params
from shutter.infra.storage import IMMUTABLE, LocalStorage, content_type_of, is_public
from shutter.media import service
from shutter.media.models import Media
from shutter.media.schemas import UpdateMediaParams, UploadParams, media_json
from shutter.media.service import discard

router = APIRouter()

Uploader = Annotated[Account, Depends(user("write:media"))]

# Only public variants and avatars, by their exact content-key shape: this refuses private
# originals, traversal (`..`), and anything the storage did not write.
_PUBLIC_KEY = re.compile(
    rf"(?:{service.PUBLIC_MEDIA_PREFIX}/[0-9]{{1,20}}|{service.AVATAR_PREFIX})"
    r"/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.(jpg|png|webp|avif|gif|mp4)"
    # Custom emojis (shutter/emojis/service.py), flat: the media sweep leaves them alone.
    r"|e/[0-9a-f]{64}\.(png|gif|webp)"
)
_FILE_HEADERS = {
    "Cache-Control": IMMUTABLE,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@router.post("/api/v2/media")
async def upload_media(
    ctx: Ctx, session: WriteSession, me: Uploader, body: UploadParams = params(UploadParams)
) -> Response:
    """Mastodon v2: 202 with `url` null while the upload is processed by a job."""
    media = await service.do_upload(
        session,
        ctx=ctx,
        account_id=me.id,
        upload=body.file,
        description=body.description,
        focus=body.focus,
    )
    return json_response(media_json(media, ctx.settings), status=_status_of(media))


@router.post("/api/v1/media")
async def upload_media_v1(
    ctx: Ctx, session: WriteSession, me: Uploader, body: UploadParams = params(UploadParams)
) -> Response:
    """Mastodon v1 (deprecated, synchronous): photos are processed before the answer;
    videos and animations are processed by a job as on v2 (`url` null until ready)."""
    media = await service.do_upload(
        session,
        ctx=ctx,
        account_id=me.id,
        upload=body.file,
        description=body.description,
        focus=body.focus,
        process_images_now=True,
    )
    return json_response(media_json(media, ctx.settings))


def _status_of(media: Media) -> int:
    return 200 if media.status == service.READY else 202


@router.get("/api/v1/media/{media_id:id}")
async def get_media(
    request: Request, ctx: Ctx, session: ReadSession, me: Uploader, media_id: int
) -> Response:
    """200 when ready, 206 while processing, 422 with the reason when processing failed."""
    media = await service.access_own_media(session, account_id=me.id, media_id=media_id)
    if media.status == service.FAILED:
        raise ApiError(422, f"Processing failed: {media.error or 'unknown error'}")
    status = 200 if media.status == service.READY else 206
    return entity_response(request, media_json(media, ctx.settings), status=status)


@router.put("/api/v1/media/{media_id:id}")
async def update_media(
    ctx: Ctx,
    session: WriteSession,
    me: Uploader,
    media_id: int,
    body: UpdateMediaParams = params(UpdateMediaParams),
) -> Response:
    media = await service.do_update_media(
        session,
        settings=ctx.settings,
        account_id=me.id,
        media_id=media_id,
        description=body.description,
        focus=body.focus,
    )
    return json_response(media_json(media, ctx.settings))


@router.delete("/api/v1/media/{media_id:id}")
async def delete_media(session: WriteSession, me: Uploader, media_id: int) -> Response:
    await discard.do_delete_upload(session, account_id=me.id, media_id=media_id)
    return json_response({})


@router.api_route("/media/{key:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def media_file(ctx: Ctx, key: str) -> Response:
    """A public media file: from disk with Range support, or a redirect into the bucket.

    With S3 storage and no SHUTTER_MEDIA_PUBLIC_URL, the stable URL clients keep is this
    one; it answers with a redirect to a presigned URL, so the bytes (and Range requests)
    go straight to the store. The redirect may be cached for half the URL's lifetime.
    Local files are always answered here, as a CDN in front of the app fetches them here.
    """
    if _PUBLIC_KEY.fullmatch(key) is None or not is_public(key):
        raise not_found("File")
    storage = ctx.storage
    if isinstance(storage, LocalStorage):
        path = storage.path(key)
        if not path.is_file():
            raise not_found("File")
        return FileResponse(path, media_type=content_type_of(key), headers=_FILE_HEADERS)
    if not await anyio.to_thread.run_sync(lambda: storage.exists(key)):
        raise not_found("File")
    public_url = ctx.settings.media_public_url
    if public_url:  # a URL from before the CDN was configured: send it to the CDN
        return RedirectResponse(
            f"{public_url}/{key}",
            status_code=307,
            headers={"Cache-Control": "public, max-age=86400"},
        )
    ttl = ctx.settings.media_presign_ttl_seconds
    target = await anyio.to_thread.run_sync(lambda: storage.presigned_url(key, ttl_seconds=ttl))
    if target is None:
        raise not_found("File")
    return RedirectResponse(
        target, status_code=307, headers={"Cache-Control": f"public, max-age={ttl // 2}"}
    )
