"""Settings, continued: two-factor authentication, export and import, and leaving
(deactivate, delete). The forms' conventions are those of settings.py.

Two-factor is set up in two steps: the password gives a new secret, shown as a QR code
and as text (auth/service/two_factor.do_setup); a current code from the authenticator
puts it in force and the recovery codes are shown that once (do_confirm).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import anyio
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from shutter.accounts.service import leaving
from shutter.archive import service as archive
from shutter.archive.service import imports
from shutter.auth.service import two_factor
from shutter.auth.usage import device_of
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.errors import ApiError
from shutter.infra.params import params
from shutter.infra.storage import LocalStorage
from shutter.posts.service.entities import host_of
from shutter.web.forms import CsrfForm
from shutter.web.pages.settings import _caller, in_settings, refused, settings_page
from shutter.web.routing import done, web_router
from shutter.web.session import SignedIn, SignedInPosted, clear_session_cookie
from shutter.web.settings_forms import (
    CodeForm,
    DeleteForm,
    DisableTwoFactorForm,
    ImportForm,
    PasswordOnlyForm,
)
from shutter.web.templating import is_https, render

router = web_router()


# --- two-factor authentication --------------------------------------------------------


@router.post("/web/settings/two_factor/setup")
async def two_factor_setup(
    request: Request,
    ctx: Ctx,
    form: PasswordOnlyForm = params(PasswordOnlyForm),
    *,
    web: SignedInPosted,
) -> Response:
    assert web.account is not None
    try:
        async with ctx.db.write() as session:
            setup = await two_factor.do_setup(
                session, ctx=ctx, account=web.account, password=form.password
            )
    except ApiError as exc:
        if not refused(request, exc):
            raise
        return await settings_page(
            request, ctx, web, errors={"two_factor": exc.message}, status=exc.status
        )
    return _setup_page(request, web, setup.secret, setup.qr_svg)


def _setup_page(
    request: Request, web: SignedInPosted, secret: str, qr_svg: str, **extra: object
) -> Response:
    # The QR code is an <img> of a data: URL (the CSP allows data: images, no inline SVG
    # markup is needed); the secret is shown as text for typing it in.
    qr = "data:image/svg+xml;base64," + base64.b64encode(qr_svg.encode()).decode()
    status = 422 if extra.get("error") else 200
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(
        request,
        web,
        "pages/settings_two_factor.html",
        {"qr": qr, "secret": secret, "secret_grouped": grouped, "error": None} | extra,
        status=status,
    )


@router.post("/web/settings/two_factor/confirm")
async def two_factor_confirm(
    request: Request,
    ctx: Ctx,
    form: CodeForm = params(CodeForm),
    *,
    web: SignedInPosted,
) -> Response:
    assert web.account is not None
    try:
        async with ctx.db.write() as session:
            codes = await two_factor.do_confirm(
                session,
                ctx=ctx,
                account=web.account,
                code=form.code,
                address=device_of(request).ip,
            )
    except ApiError as exc:
        if not refused(request, exc):
            raise
        return await settings_page(
            request,
            ctx,
            web,
            errors={"two_factor": f"{exc.message[:1].upper()}{exc.message[1:]}. Set it up again."},
            status=exc.status,
        )
    return render(request, web, "pages/settings_recovery.html", {"codes": codes})


@router.post("/web/settings/two_factor/disable")
async def two_factor_disable(
    request: Request,
    ctx: Ctx,
    form: DisableTwoFactorForm = params(DisableTwoFactorForm),
    *,
    web: SignedInPosted,
) -> Response:
    account = web.account
    assert account is not None

    async def work(session: AsyncSession) -> None:
        await two_factor.do_disable(
            session,
            ctx=ctx,
            account=account,
            password=form.password,
            code=form.code,
            address=device_of(request).ip,
        )

    page = await in_settings(request, ctx, web, "two_factor", work)
    return page or done(request, "/settings?done=two_factor_off#two-factor")


# --- export and import ----------------------------------------------------------------


@router.post("/web/settings/export")
async def request_export(
    request: Request, ctx: Ctx, form: CsrfForm = params(CsrfForm), *, web: SignedInPosted
) -> Response:
    account = web.account
    assert account is not None

    async def work(session: AsyncSession) -> None:
        await archive.do_request_export(session, account_id=account.id)

    page = await in_settings(request, ctx, web, "export", work)
    return page or done(request, "/settings?done=export#export")


@router.get("/settings/exports/{export_id:id}/download")
async def download_export(
    ctx: Ctx, session: ReadSession, web: SignedIn, export_id: int
) -> Response:
    """The zip, as GET /api/v1/shutter/exports/<id>/download gives it."""
    assert web.account is not None
    export = await archive.access_download(session, account_id=web.account.id, export_id=export_id)
    assert export.storage_key is not None
    name = f"shutter-archive-{web.account.username}-{export.created_at:%Y%m%d}.zip"
    headers = {
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="{name}"',
    }
    storage, key = ctx.storage, export.storage_key
    if not await anyio.to_thread.run_sync(storage.exists, key):
        raise ApiError(410, "The archive is no longer stored: ask for a new one")
    if isinstance(storage, LocalStorage):
        return FileResponse(storage.path(key), media_type="application/zip", headers=headers)
    source = storage.read_chunks(key)

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await anyio.to_thread.run_sync(next, source, b""):
            yield chunk

    return StreamingResponse(chunks(), media_type="application/zip", headers=headers)


@router.post("/web/settings/import")
async def request_import(
    request: Request, ctx: Ctx, form: ImportForm = params(ImportForm), *, web: SignedInPosted
) -> Response:
    account = web.account
    assert account is not None
    upload = form.data if isinstance(form.data, UploadFile) and form.data.filename else None

    async def work(session: AsyncSession) -> None:
        if upload is None:
            raise ApiError(422, "Choose a CSV file to import.")
        caller = await _caller(session, web)
        await imports.do_create_import(
            session,
            account_id=account.id,
            scopes=caller.scopes,
            domain=host_of(ctx.settings.base_url),
            kind=form.type,
            mode=form.mode,
            data=upload,
        )

    page = await in_settings(request, ctx, web, "import", work)
    return page or done(request, "/settings?done=import#import")


# --- leaving --------------------------------------------------------------------------


@router.post("/web/settings/deactivate")
async def deactivate(
    request: Request,
    ctx: Ctx,
    form: PasswordOnlyForm = params(PasswordOnlyForm),
    *,
    web: SignedInPosted,
) -> Response:
    async def work(session: AsyncSession) -> None:
        caller = await _caller(session, web)
        await leaving.do_deactivate_own(session, ctx=ctx, caller=caller, password=form.password)

    page = await in_settings(request, ctx, web, "deactivate", work)
    return page or _left(request, ctx, "deactivated")


@router.post("/web/settings/delete")
async def delete(
    request: Request, ctx: Ctx, form: DeleteForm = params(DeleteForm), *, web: SignedInPosted
) -> Response:
    async def work(session: AsyncSession) -> None:
        if form.confirm != "yes":
            raise ApiError(422, "Tick the box to confirm that you want to delete your account.")
        caller = await _caller(session, web)
        await leaving.do_delete_own(session, ctx=ctx, caller=caller, password=form.password)

    page = await in_settings(request, ctx, web, "delete", work)
    return page or _left(request, ctx, "deleted")


def _left(request: Request, ctx: AppContext, how: str) -> Response:
    """Off to the landing page, the session cookie dropped (its token has ended)."""
    response = done(request, f"/?left={how}")
    clear_session_cookie(response, https=is_https(request, ctx.settings))
    return response
