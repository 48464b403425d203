"""Archive jobs: build an export, sweep expired and stale ones, apply an import, and
remove a deleted account's archives."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.events import AccountDeleted
from shutter.archive import service
from shutter.archive.service import building, imports
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.domain import subscribe
from shutter.infra.jobs import enqueue, handles
from shutter.infra.periodic import periodic

log = structlog.get_logger("shutter.archive")


@handles(service.BUILD)
async def build_export(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Make the archive; a failure is retried by the job system, and the last attempt's
    failure ends the export `failed` with its reason."""
    export_id = int(payload["export_id"])
    max_attempts = ctx.settings.job_max_attempts
    async with ctx.db.write() as session:
        ticket = await service.do_start_export(session, export_id=export_id)
    if ticket is None:
        return
    if ticket.attempts > max_attempts:  # a worker died during the last attempt
        await _fail(ctx, export_id, f"not finished in {max_attempts} attempts", final=True)
        return
    try:
        key, size = await building.build_archive(ctx, ticket)
    except building.ExportGone:
        return  # the account and its exports are deleted
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        final = ticket.attempts >= max_attempts
        await _fail(ctx, export_id, reason, final=final)
        if final:
            return
        raise
    async with ctx.db.write() as session:
        kept = await service.do_finish_export(session, export_id=export_id, key=key, size=size)
    if not kept:  # its account was deleted meanwhile: the file must not outlive it
        await anyio.to_thread.run_sync(ctx.storage.delete, key)
    log.info("export_done", export_id=export_id, bytes=size, kept=kept)


async def _fail(ctx: AppContext, export_id: int, reason: str, *, final: bool) -> None:
    async with ctx.db.write() as session:
        await service.do_fail_export(session, export_id=export_id, reason=reason, final=final)
    log.info("export_failed", export_id=export_id, reason=reason, final=final)


@handles(service.SWEEP)
async def sweep_exports(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Delete expired archives' files; end exports whose job was lost."""
    now = utcnow()
    async with ctx.db.write() as session:
        stale = await service.do_end_stale_exports(session, now=now)
    deleted = 0
    while True:
        async with ctx.db.read() as session:
            expired = await service.expired_exports(session, now=now)
        if not expired:
            break
        # Files first: a row whose file is gone but key kept is swept again, never leaked.
        await anyio.to_thread.run_sync(ctx.storage.delete_many, [key for _id, key in expired])
        async with ctx.db.write() as session:
            await service.do_forget_files(session, export_ids=[i for i, _key in expired])
        deleted += len(expired)
    log.info("exports_swept", deleted=deleted, stale=stale)


@subscribe(AccountDeleted)
async def on_account_deleted(session: AsyncSession, event: AccountDeleted) -> None:
    enqueue(session, service.REMOVE_ACCOUNT, {"account_id": event.account_id})


@handles(service.REMOVE_ACCOUNT)
async def remove_account(ctx: AppContext, payload: dict[str, Any]) -> None:
    """A deleted account's archives leave storage, then its exports and imports go. A
    build still running finds its export gone and deletes the file it made."""
    account_id = int(payload["account_id"])
    async with ctx.db.read() as session:
        keys = await service.stored_archives_of(session, account_id=account_id)
    await anyio.to_thread.run_sync(ctx.storage.delete_many, keys)
    async with ctx.db.write() as session:
        await service.do_remove_account(session, account_id=account_id)


@handles(imports.APPLY)
async def apply_import(ctx: AppContext, payload: dict[str, Any]) -> None:
    import_id = int(payload["import_id"])
    if not await imports.apply_rows(ctx, import_id=import_id, limit=imports.ROWS_PER_RUN):
        async with ctx.db.write() as session:
            enqueue(session, imports.APPLY, {"import_id": import_id})


periodic(service.SWEEP, every=lambda settings: service.SWEEP_INTERVAL_SECONDS)
