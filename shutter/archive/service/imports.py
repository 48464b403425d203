"""Imports of Mastodon's follow, block, mute and list (`lists.csv`) lists.

The upload is checked and parsed in the request (a bad file is a 422 and writes
nothing); its rows are kept on the `archive_imports` row and applied by a job, one row
per transaction, through the graph service's own actions (`do_follow`, `do_block`,
`do_mute`), so locks, follow requests, counters and notifications behave exactly as
when the person acts through the API. `position` records how far it got, so a retried
job continues where the last one stopped. In `overwrite` mode the last step undoes the
follows, blocks or mutes the list does not name; for lists the first step, before any
row, deletes the lists it does not name and takes out of the others the members it does
not list under them.

A `lists` row adds a followed account to the list of its title, which is made if
missing (`lists.do_add_to_titled_list`); an account not followed is a failed row, where
Mastodon would follow it: an import never starts follows it was not asked for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.archive.models import Import
from shutter.archive.service.csvfiles import (
    ADDRESS,
    MAX_IMPORT_BYTES,
    ImportRejected,
    ImportRow,
    parse_import,
    parse_list_import,
)
from shutter.auth.scopes import covers
from shutter.graph import service as graph
from shutter.graph.models import Block, Follow, FollowRequest, Mute
from shutter.graph.service import safety
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.errors import ApiError, forbidden, not_found, unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.infra.jobs import JobKind, enqueue
from shutter.lists import service as lists
from shutter.policies import mute_active
from shutter.posts.service.entities import host_of

APPLY = JobKind("archive.apply_import", timeout_seconds=300)
ROWS_PER_RUN = 500  # then the job enqueues its continuation, so no run outlives its lease
BATCH = 50  # rows applied between two records of the progress

QUEUED, RUNNING, DONE = "queued", "running", "done"
TYPES = {
    "following": "write:follows",
    "blocking": "write:blocks",
    "muting": "write:mutes",
    "lists": "write:lists",
}
MODES = ("merge", "overwrite")
LISTED = 20


async def _read_upload(data: object) -> bytes:
    if not isinstance(data, UploadFile):
        raise unprocessable("data must be a CSV file, sent as multipart", field="data")
    content = await data.read(MAX_IMPORT_BYTES + 1)
    return content


async def do_create_import(
    session: AsyncSession,
    *,
    account_id: int,
    scopes: frozenset[str],
    domain: str,
    kind: str | None,
    mode: str | None,
    data: object,
) -> Import:
    """Check and keep an uploaded list and queue its job; 422 for a bad file or request,
    403 if the token may not change what the list holds."""
    if kind not in TYPES:
        raise unprocessable("type must be one of following, blocking, muting, lists", field="type")
    mode = mode or "merge"
    if mode not in MODES:
        raise unprocessable("mode must be merge or overwrite", field="mode")
    if not covers(scopes, TYPES[kind]):
        raise forbidden("This action is outside the authorized scopes")
    parse = parse_list_import if kind == "lists" else parse_import
    try:
        rows = parse(await _read_upload(data), domain=domain)
    except ImportRejected as exc:
        raise unprocessable(str(exc), field="data") from None
    await accounts.lock_accounts(session, [account_id])
    busy = await session.scalar(
        select(Import.id).where(
            (Import.account_id == account_id) & Import.state.in_((QUEUED, RUNNING))
        )
    )
    if busy is not None:
        raise ApiError(422, "An import of this account is still running: wait for it to end")
    found = Import(
        id=ids.next_id(shard_of(account_id)),
        account_id=account_id,
        type=kind,
        mode=mode,
        state=QUEUED,
        rows=[_stored(kind, row) for row in rows],
        position=0,
        total=len(rows),
        imported=0,
        failures=[],
        created_at=utcnow(),
    )
    session.add(found)
    await session.flush()
    enqueue(session, APPLY, {"import_id": found.id})
    return found


def _stored(kind: str, row: ImportRow) -> list[Any]:
    """A row as the job reads it: the address first, then what its action needs."""
    return [row.address, row.list_title if kind == "lists" else row.hide_notifications]


async def list_imports(session: AsyncSession, *, account_id: int) -> list[Import]:
    rows = await session.scalars(
        select(Import)
        .where(Import.account_id == account_id)
        .order_by(Import.id.desc())
        .limit(LISTED)
    )
    return list(rows)


async def access_import(session: AsyncSession, *, account_id: int, import_id: int) -> Import:
    found = await session.get(Import, import_id)
    if found is None or found.account_id != account_id:
        raise not_found("Import")
    return found


# --- the job's side ----------------------------------------------------------------------


async def _locked(session: AsyncSession, import_id: int) -> Import | None:
    return await session.scalar(select(Import).where(Import.id == import_id).with_for_update())


def _username(address: str, domain: str) -> tuple[str | None, str | None]:
    """(username, None) for an address of this instance, else (None, the reason)."""
    match = ADDRESS.fullmatch(address)
    if match is None:
        return None, "invalid address"
    username, host = match.groups()
    if host is not None and host.lower() != domain.lower():
        return None, "other domain"
    return username, None


Action = Callable[[AsyncSession, int, int, list[Any]], Awaitable[object]]


async def _follow(session: AsyncSession, me: int, target: int, _row: list[Any]) -> object:
    return await graph.do_follow(session, follower_id=me, target_id=target)


async def _block(session: AsyncSession, me: int, target: int, _row: list[Any]) -> object:
    return await safety.do_block(session, account_id=me, target_id=target)


async def _mute(session: AsyncSession, me: int, target: int, row: list[Any]) -> object:
    return await safety.do_mute(session, account_id=me, target_id=target, notifications=row[1])


@dataclass(frozen=True)
class Skipped:
    """What an action returns for a row it did not apply but whose other effects stay
    (a list it made): the row fails with `reason`, the transaction commits."""

    reason: str


async def _list(session: AsyncSession, me: int, target: int, row: list[Any]) -> object:
    added = await lists.do_add_to_titled_list(
        session, owner_id=me, title=str(row[1]), account_id=target
    )
    return None if added else Skipped("not followed")


ACTIONS: dict[str, Action] = {
    "following": _follow,
    "blocking": _block,
    "muting": _mute,
    "lists": _list,
}


async def _known(ctx: AppContext, rows: list[list[Any]], domain: str) -> set[str]:
    """The (lowercased) usernames of these rows that exist here, in one query: a list of
    accounts long gone costs no write transaction per row."""
    names = {name.lower() for row in rows if (name := _username(row[0], domain)[0])}
    if not names:
        return set()
    async with ctx.db.read() as session:
        found = await session.scalars(
            select(Account.username_lower).where(Account.username_lower.in_(names))
        )
        return set(found)


async def _apply_row(
    ctx: AppContext, found: Import, row: list[Any], domain: str, known: set[str]
) -> str | None:
    """Apply one row in its own transaction; None if it was, else why not."""
    username, reason = _username(row[0], domain)
    if username is None:
        return reason
    if username.lower() not in known:
        return "unknown account"
    try:
        async with ctx.db.write() as session:
            try:
                target = await accounts.lookup_account(session, username)
            except ApiError:
                return "unknown account"
            if target.id == found.account_id:
                return "self"
            outcome = await ACTIONS[found.type](session, found.account_id, target.id, row)
            if isinstance(outcome, Skipped):
                return outcome.reason
    except ApiError as exc:  # the action refused (a block either way…): rolled back
        return exc.message
    return None


async def _advance(
    ctx: AppContext,
    *,
    import_id: int,
    start: int,
    stop: int,
    imported: int,
    failures: list[list[Any]],
) -> bool:
    """Record rows `start` to `stop` as applied; False if another run recorded them."""
    async with ctx.db.write() as session:
        found = await _locked(session, import_id)
        if found is None or found.state == DONE or found.position != start:
            return False
        found.state, found.position = RUNNING, stop
        found.imported += imported
        if failures:
            found.failures = [*found.failures, *failures]
        return True


async def apply_rows(ctx: AppContext, *, import_id: int, limit: int = ROWS_PER_RUN) -> bool:
    """Apply up to `limit` rows; True when the import is finished (or gone).

    The actions are idempotent (following, blocking or muting again changes nothing), so
    progress is recorded every `BATCH` rows rather than in each row's transaction: a run
    that dies re-applies at most a batch, and counts it once.
    """
    async with ctx.db.read() as session:
        found = await session.get(Import, import_id)
    if found is None or found.state == DONE:
        return True
    domain = host_of(ctx.settings.base_url)
    if found.type == "lists" and found.mode == "overwrite" and found.position == 0:
        await _overwrite_lists(ctx, found, domain)
    position, end = found.position, min(found.total, found.position + limit)
    while position < end:
        stop = min(end, position + BATCH)
        imported, failures = 0, []
        known = await _known(ctx, found.rows[position:stop], domain)
        for index in range(position, stop):
            row = found.rows[index]
            reason = await _apply_row(ctx, found, row, domain, known)
            if reason is None:
                imported += 1
            else:
                failures.append([index, row[0], reason])
        moved = await _advance(
            ctx,
            import_id=import_id,
            start=position,
            stop=stop,
            imported=imported,
            failures=failures,
        )
        if not moved:
            return True  # another run holds it (a lease ran out): that run goes on
        position = stop
    if position >= found.total:
        return await _finish(ctx, found, limit=limit)
    return False


async def _overwrite_lists(ctx: AppContext, found: Import, domain: str) -> None:
    """Before the rows of an overwriting lists import (again if its first run is retried:
    the same result): only the lists it names stay, with only the members it names."""
    keep: dict[str, set[int]] = {str(title).strip(): set() for _address, title in found.rows}
    async with ctx.db.write() as session:
        names = {
            username.lower()
            for address, _title in found.rows
            if (username := _username(address, domain)[0]) is not None
        }
        rows = await session.execute(
            select(Account.username_lower, Account.id).where(Account.username_lower.in_(names))
        )
        by_name = dict(rows.all())
        for address, title in found.rows:
            username = _username(address, domain)[0]
            if username is not None and username.lower() in by_name:
                keep[str(title).strip()].add(by_name[username.lower()])
        await lists.do_keep_only(session, owner_id=found.account_id, keep=keep)


async def _edges(session: AsyncSession, found: Import) -> set[int]:
    """Whom the account follows (or asked to), blocks or mutes now."""
    me = found.account_id
    if found.type == "following":
        queries = [
            select(model.target_account_id).where(model.account_id == me)
            for model in (Follow, FollowRequest)
        ]
    elif found.type == "blocking":
        queries = [select(Block.target_account_id).where(Block.account_id == me)]
    else:
        queries = [select(Mute.target_account_id).where((Mute.account_id == me) & mute_active())]
    return {target for query in queries for target in await session.scalars(query)}


async def _listed(session: AsyncSession, found: Import, domain: str) -> set[int]:
    names = {
        username.lower()
        for address, _hide in found.rows
        if (username := _username(address, domain)[0]) is not None
    }
    if not names:
        return set()
    rows = await session.scalars(select(Account.id).where(Account.username_lower.in_(names)))
    return set(rows)


_UNDO: dict[str, Callable[[AsyncSession, int, int], Awaitable[object]]] = {
    "following": lambda s, me, t: graph.do_unfollow(s, follower_id=me, target_id=t),
    "blocking": lambda s, me, t: safety.do_unblock(s, account_id=me, target_id=t),
    "muting": lambda s, me, t: safety.do_unmute(s, account_id=me, target_id=t),
}


async def _finish(ctx: AppContext, found: Import, *, limit: int) -> bool:
    """Overwrite: undo up to `limit` of what the list does not name (each in its own
    transaction, as the person would one by one); then the import is done. False while
    more remain (the next run goes on)."""
    if found.mode == "overwrite" and found.type != "lists":  # lists: `_overwrite_lists`
        async with ctx.db.read() as session:
            extra = await _edges(session, found) - await _listed(
                session, found, host_of(ctx.settings.base_url)
            )
        undone = 0
        for target in sorted(extra)[:limit]:
            try:
                async with ctx.db.write() as session:
                    await _UNDO[found.type](session, found.account_id, target)
                undone += 1
            except ApiError:
                continue  # a suspended account: its edge stays, as through the API
        if len(extra) > limit and undone:
            return False
    async with ctx.db.write() as session:
        locked = await _locked(session, found.id)
        if locked is not None and locked.state != DONE:
            locked.state = DONE
            locked.finished_at = utcnow()
    return True
