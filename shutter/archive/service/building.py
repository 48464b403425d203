"""Building an export: read the account's data a page at a time, write the zip in a
worker thread, keep the export's progress, store the zip.

The zip is made in a temporary folder under the var dir (archives of large accounts do
not belong in a RAM-backed /tmp) and removed when the build ends, however it ends.
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import anyio.to_thread
import orjson

from shutter.accounts.models import Account
from shutter.archive import service
from shutter.archive.service import activitypub, contents, csvfiles, gallery
from shutter.archive.service.writer import ArchiveWriter
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.posts.service.entities import host_of

# Steps besides the posts, for the progress: the lists, the profile, the outbox, the
# gallery's index, and storing the zip.
OTHER_STEPS = 5


class ExportGone(Exception):
    """The account went away while its archive was being made."""


async def _progress(ctx: AppContext, export_id: int, done: int, total: int) -> None:
    async with ctx.db.write() as session:
        await service.do_record_progress(session, export_id=export_id, done=done, total=total)


async def build_archive(ctx: AppContext, ticket: service.ExportTicket) -> tuple[str, int]:
    """Make and store the archive; returns its storage key and size in bytes."""
    settings = ctx.settings
    base_url, domain = settings.base_url, host_of(settings.base_url)
    async with ctx.db.read() as session:
        account = await session.get(Account, ticket.account_id)
    if account is None:
        raise ExportGone(ticket.account_id)
    address = f"{account.username}@{domain}"
    total = await contents.count_posts(ctx, account_id=account.id) + OTHER_STEPS
    done = 0
    await _progress(ctx, ticket.export_id, done, total)
    folder = settings.var_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix="export-") as scratch:
        zip_path = Path(scratch) / "archive.zip"
        writer = ArchiveWriter(zip_path, Path(scratch) / "outbox-items", ctx.storage)
        try:
            async for page in contents.post_pages(ctx, account_id=account.id, base_url=base_url):
                await anyio.to_thread.run_sync(
                    partial(
                        writer.add_posts, page, author=account, base_url=base_url, address=address
                    )
                )
                done += len(page.posts)
                # More posts may have come since the count: the bar never runs past its end.
                total = max(total, done + OTHER_STEPS)
                await _progress(ctx, ticket.export_id, done, total)
            lists = await contents.account_lists(
                ctx, account_id=account.id, base_url=base_url, domain=domain
            )
            await anyio.to_thread.run_sync(partial(_add_lists, writer, lists))
            done += 1
            await _progress(ctx, ticket.export_id, done, total)
            avatar = await anyio.to_thread.run_sync(
                partial(_add_profile, writer, account, base_url)
            )
            done += 1
            await anyio.to_thread.run_sync(writer.add_outbox)
            done += 1
            await _progress(ctx, ticket.export_id, done, total)
            index = gallery.index_html(
                display_name=account.display_name,
                address=address,
                note=account.note,
                avatar=avatar,
                posts=writer.posts,
                comments=writer.comments,
                exported_at=utcnow(),
            )
            await anyio.to_thread.run_sync(writer.add_bytes, gallery.INDEX, index.encode())
            done += 1
        finally:
            await anyio.to_thread.run_sync(writer.close)
        await _progress(ctx, ticket.export_id, done, total)
        key = service.storage_key(ticket.export_id)
        size = zip_path.stat().st_size
        await anyio.to_thread.run_sync(ctx.storage.put_file, key, zip_path)
    return key, size


def _add_lists(writer: ArchiveWriter, lists: contents.AccountLists) -> None:
    csv = csvfiles.to_csv
    writer.add_bytes(
        "following_accounts.csv",
        # Shutter has no per-follow boosts, notifications or languages: Mastodon's defaults.
        csv(((name, True, False, "") for name in lists.following), csvfiles.FOLLOWING_HEADER),
    )
    writer.add_bytes("followers.csv", csv(((n,) for n in lists.followers), ("Account address",)))
    writer.add_bytes("blocked_accounts.csv", csv((n,) for n in lists.blocked))
    writer.add_bytes("muted_accounts.csv", csv(lists.muted, csvfiles.MUTED_HEADER))
    writer.add_bytes("bookmarks.csv", csv((uri,) for uri in lists.bookmarks))
    # Mastodon's form: no header, a row per member (list title, account address).
    writer.add_bytes("lists.csv", csv(lists.lists))
    for name, uris in (("likes.json", lists.likes), ("bookmarks.json", lists.bookmarks)):
        writer.add_bytes(name, _json(activitypub.uri_collection(name, uris)))


def _add_profile(writer: ArchiveWriter, account: Account, base_url: str) -> str | None:
    """`actor.json`, and the avatar beside it as Mastodon's archive has it; the avatar's
    name in the archive, if it was there to copy."""
    avatar: str | None = None
    if account.avatar_key:
        candidate = f"avatar.{account.avatar_key.rsplit('.', 1)[-1].lower()}"
        avatar = candidate if writer.add_stored(candidate, account.avatar_key) else None
    actor = activitypub.actor_json(account, base_url=base_url, avatar=avatar)
    writer.add_bytes("actor.json", _json(actor))
    return avatar


def _json(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2)
