"""Archive routes (Shutter-only; docs/api.md): exports of one's data, imports of lists."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends
from starlette.responses import FileResponse, Response, StreamingResponse

from shutter.accounts.models import Account
from shutter.archive import service
from shutter.archive.schemas import ImportParams, export_json, import_json
from shutter.archive.service import imports
from shutter.auth.deps import user, user_caller
from shutter.auth.service import Caller
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError
from shutter.infra.http import json_response
from shutter.infra.params import params
from shutter.infra.storage import LocalStorage, Storage
from shutter.posts.service.entities import host_of

router = APIRouter()

Reader = Annotated[Account, Depends(user("read"))]
# Each list type needs its own scope (the service checks which); any one lets the call in.
Importer = Annotated[
    Caller, Depends(user_caller("write:follows write:blocks write:mutes write:lists"))
]

_DOWNLOAD_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


@router.post("/api/v1/shutter/exports")
async def request_export(ctx: Ctx, session: WriteSession, me: Reader) -> Response:
    export = await service.do_request_export(session, account_id=me.id)
    return json_response(export_json(export, ctx.settings), status=202)


@router.get("/api/v1/shutter/exports")
async def list_exports(ctx: Ctx, session: ReadSession, me: Reader) -> Response:
    found = await service.list_exports(session, account_id=me.id)
    return json_response([export_json(export, ctx.settings) for export in found])


@router.get("/api/v1/shutter/exports/{export_id:id}")
async def get_export(ctx: Ctx, session: ReadSession, me: Reader, export_id: int) -> Response:
    export = await service.access_export(session, account_id=me.id, export_id=export_id)
    return json_response(export_json(export, ctx.settings))


def _chunks(storage: Storage, key: str) -> AsyncIterator[bytes]:
    source: Iterator[bytes] = storage.read_chunks(key)

    async def stream() -> AsyncIterator[bytes]:
        while chunk := await anyio.to_thread.run_sync(next, source, b""):
            yield chunk

    return stream()


@router.get("/api/v1/shutter/exports/{export_id:id}/download")
async def download_export(ctx: Ctx, session: ReadSession, me: Reader, export_id: int) -> Response:
    """The zip, streamed from storage (a local file with Range support, or the bucket)."""
    export = await service.access_download(session, account_id=me.id, export_id=export_id)
    assert export.storage_key is not None
    name = f"shutter-archive-{me.username}-{export.created_at:%Y%m%d}.zip"
    headers = {**_DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    storage, key = ctx.storage, export.storage_key
    if not await anyio.to_thread.run_sync(storage.exists, key):
        raise ApiError(410, "The archive is no longer stored: ask for a new one")
    if isinstance(storage, LocalStorage):
        return FileResponse(storage.path(key), media_type="application/zip", headers=headers)
    if export.size is not None:
        headers["Content-Length"] = str(export.size)
    return StreamingResponse(_chunks(storage, key), media_type="application/zip", headers=headers)


@router.post("/api/v1/shutter/imports")
async def create_import(
    ctx: Ctx, session: WriteSession, caller: Importer, body: ImportParams = params(ImportParams)
) -> Response:
    assert caller.account is not None
    found = await imports.do_create_import(
        session,
        account_id=caller.account.id,
        scopes=caller.scopes,
        domain=host_of(ctx.settings.base_url),
        kind=body.type,
        mode=body.mode,
        data=body.data,
    )
    return json_response(import_json(found), status=202)


@router.get("/api/v1/shutter/imports")
async def list_imports(session: ReadSession, me: Reader) -> Response:
    found = await imports.list_imports(session, account_id=me.id)
    return json_response([import_json(item) for item in found])


@router.get("/api/v1/shutter/imports/{import_id:id}")
async def get_import(session: ReadSession, me: Reader, import_id: int) -> Response:
    found = await imports.access_import(session, account_id=me.id, import_id=import_id)
    return json_response(import_json(found))
