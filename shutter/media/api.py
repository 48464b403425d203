"""Media routes: upload, read, describe, and the files themselves."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import FileResponse, Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import not_found
from shutter.infra.http import json_response
from shutter.infra.params import params
from shutter.media import service
from shutter.media.schemas import UpdateMediaParams, UploadParams, media_json

router = APIRouter()

Uploader = Annotated[Account, Depends(user("write:media"))]

# Only public variants and avatars, by their exact content-key shape: this refuses private
# originals, traversal (`..`), and anything the storage did not write.
_PUBLIC_KEY = re.compile(
    rf"(?:{service.PUBLIC_MEDIA_PREFIX}/[0-9]{{1,20}}|{service.AVATAR_PREFIX})"
    r"/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.(jpg|png|webp)"
)
_CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_FILE_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@router.post("/api/v2/media")
@router.post("/api/v1/media")
async def upload_media(
    ctx: Ctx, session: WriteSession, me: Uploader, body: UploadParams = params(UploadParams)
) -> Response:
    media = await service.do_upload(
        session,
        ctx=ctx,
        account_id=me.id,
        upload=body.file,
        description=body.description,
        focus=body.focus,
    )
    return json_response(media_json(media, ctx.settings))


@router.get("/api/v1/media/{media_id:int}")
async def get_media(ctx: Ctx, session: ReadSession, me: Uploader, media_id: int) -> Response:
    media = await service.access_own_media(session, account_id=me.id, media_id=media_id)
    return json_response(media_json(media, ctx.settings))


@router.put("/api/v1/media/{media_id:int}")
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


@router.api_route("/media/{key:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def media_file(ctx: Ctx, key: str) -> Response:
    match = _PUBLIC_KEY.fullmatch(key)
    if match is None:
        raise not_found("File")
    path = ctx.storage.path(key)
    if not path.is_file():
        raise not_found("File")
    return FileResponse(path, media_type=_CONTENT_TYPES[match.group(1)], headers=_FILE_HEADERS)
