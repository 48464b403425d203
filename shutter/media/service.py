"""Media: uploads accepted by content, processed into variants, attached to posts.

Files live in blob storage under two kinds of keys. Public variants (`v/<media id>/…`,
avatars `a/…`) are served by the app forever-cacheable; the untouched upload
(`originals/<media id>/…`, with its EXIF and GPS) is private and never served, kept so a
later pipeline can reprocess it. Media keys carry the media id so that no two rows share
a file: deleting a post's media can never delete a file another post still shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from shutter.infra.context import AppContext
from shutter.infra.db import on_commit
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.infra.settings import Settings
from shutter.infra.storage import Storage, content_key
from shutter.media import processing
from shutter.media.models import Media

IMAGE_MIME_TYPES = ("image/jpeg", "image/png", "image/webp")

PUBLIC_MEDIA_PREFIX = "v"
AVATAR_PREFIX = "a"
PRIVATE_ORIGINALS_PREFIX = "originals"
_SOURCE_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}

T = TypeVar("T")

_limiter: anyio.CapacityLimiter | None = None


def _processing_limiter(settings: Settings) -> anyio.CapacityLimiter:
    """Bound concurrent decodes: each holds image memory, and libvips is multithreaded."""
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(settings.media_processing_concurrency)
    return _limiter


async def _in_worker_thread(settings: Settings, work: Callable[[], T]) -> T:
    """Run CPU-bound image work off the event loop; refusals become 422s."""
    try:
        return await anyio.to_thread.run_sync(work, limiter=_processing_limiter(settings))
    except processing.ImageRejected as exc:
        raise unprocessable(str(exc), field="file") from None


def _human_bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


async def read_upload(upload: object, settings: Settings) -> bytes:
    """The bytes of an uploaded `file` field, refusing a missing, empty or oversized one."""
    if not isinstance(upload, UploadFile):
        raise unprocessable("file is required (send it as multipart/form-data)", field="file")
    limit = settings.max_image_bytes
    if upload.size is not None and upload.size > limit:
        raise unprocessable(f"file is larger than {_human_bytes(limit)}", field="file")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise unprocessable(f"file is larger than {_human_bytes(limit)}", field="file")
    if not data:
        raise unprocessable("file is empty", field="file")
    return data


def parse_focus(raw: str) -> tuple[float, float]:
    """Mastodon's focal point "x,y", each in [-1, 1]; blank means the centre."""
    if not raw.strip():
        return 0.0, 0.0
    parts = raw.split(",")
    try:
        x, y = (float(part) for part in parts)
    except ValueError:
        raise unprocessable(
            'focus must be two numbers "x,y" between -1.0 and 1.0', field="focus"
        ) from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise unprocessable("focus values must be between -1.0 and 1.0", field="focus")
    return x, y


def check_description(description: str, settings: Settings) -> None:
    limit = settings.max_media_description_chars
    if len(description) > limit:
        raise unprocessable(f"description is longer than {limit} characters", field="description")


def _variant_record(key: str, variant: processing.Variant) -> dict[str, Any]:
    return {
        "key": key,
        "mime": variant.mime,
        "width": variant.width,
        "height": variant.height,
        "bytes": len(variant.data),
    }


def _store_photo(
    storage: Storage, media_id: int, original: bytes, photo: processing.ProcessedPhoto
) -> tuple[str, dict[str, Any]]:
    """Write the private original and the public variants; returns (original key, variants)."""
    original_key = content_key(
        original,
        _SOURCE_EXT[photo.source_format],
        prefix=f"{PRIVATE_ORIGINALS_PREFIX}/{media_id}",
    )
    storage.put(original_key, original)
    variants: dict[str, Any] = {}
    for name, variant in (("display", photo.display), ("preview", photo.preview)):
        key = content_key(variant.data, variant.ext, prefix=f"{PUBLIC_MEDIA_PREFIX}/{media_id}")
        storage.put(key, variant.data)
        variants[name] = _variant_record(key, variant)
    return original_key, variants


def _delete_files(storage: Storage, keys: list[str]) -> None:
    for key in keys:
        storage.delete(key)


async def do_upload(
    session: AsyncSession,
    *,
    ctx: AppContext,
    account_id: int,
    upload: object,
    description: str | None,
    focus: str | None,
) -> Media:
    """Validate, process and store an uploaded photo; the new Media row is ready to attach."""
    settings = ctx.settings
    if description is not None:
        check_description(description, settings)
    focus_x, focus_y = parse_focus(focus) if focus is not None else (0.0, 0.0)
    data = await read_upload(upload, settings)
    photo = await _in_worker_thread(
        settings,
        lambda: processing.process_photo(data, max_pixels=settings.max_image_pixels),
    )
    media_id = ids.next_id(shard_of(account_id))
    original_key, variants = await anyio.to_thread.run_sync(
        lambda: _store_photo(ctx.storage, media_id, data, photo)
    )
    media = Media(
        id=media_id,
        account_id=account_id,
        status="ready",
        kind="image",
        description=description or None,
        focus_x=focus_x,
        focus_y=focus_y,
        blurhash=photo.blurhash,
        original_key=original_key,
        variants=variants,
        meta={
            "source": {
                "format": photo.source_format,
                "width": photo.width,
                "height": photo.height,
                "bytes": len(data),
            }
        },
    )
    session.add(media)
    try:
        await session.flush()
    except BaseException:
        keys = [original_key, *(v["key"] for v in variants.values())]
        await anyio.to_thread.run_sync(lambda: _delete_files(ctx.storage, keys))
        raise
    return media


async def process_avatar(ctx: AppContext, upload: object) -> str:
    """Validate an uploaded avatar and store it as a public square; returns its key."""
    settings = ctx.settings
    data = await read_upload(upload, settings)
    variant = await _in_worker_thread(
        settings,
        lambda: processing.process_avatar_image(data, max_pixels=settings.max_image_pixels),
    )
    # Avatars are plain content-addressed: the same picture is one file, never deleted here.
    key = content_key(variant.data, variant.ext, prefix=AVATAR_PREFIX)
    await anyio.to_thread.run_sync(lambda: ctx.storage.put(key, variant.data))
    return key


async def access_own_media(session: AsyncSession, *, account_id: int, media_id: int) -> Media:
    """The caller's media not yet attached to a post (Mastodon's rule); 404 for anything else."""
    media = await session.get(Media, media_id)
    if media is None or media.account_id != account_id or media.post_id is not None:
        raise not_found("Media")
    return media


async def do_update_media(
    session: AsyncSession,
    *,
    settings: Settings,
    account_id: int,
    media_id: int,
    description: str | None,
    focus: str | None,
) -> Media:
    """Change alt text and focal point of the caller's unattached media."""
    media = await access_own_media(session, account_id=account_id, media_id=media_id)
    if description is not None:
        check_description(description, settings)
        media.description = description or None
    if focus is not None:
        media.focus_x, media.focus_y = parse_focus(focus)
    await session.flush()
    return media


def _parse_media_ids(media_ids: list[str], max_count: int) -> list[int]:
    if len(media_ids) > max_count:
        raise unprocessable(f"a post has at most {max_count} media", field="media_ids")
    parsed = []
    for raw in media_ids:
        text = str(raw).strip()
        if not text.isdigit():
            raise unprocessable(f"media id {raw!r} is not a number", field="media_ids")
        parsed.append(int(text))
    if len(set(parsed)) != len(parsed):
        raise unprocessable("the same media is listed twice", field="media_ids")
    return parsed


async def access_attachable_media(
    session: AsyncSession, *, account_id: int, media_ids: list[str], max_count: int
) -> list[Media]:
    """The caller's ready, unattached media for a new post, in the order given; else 422."""
    wanted = _parse_media_ids(media_ids, max_count)
    if not wanted:
        return []
    # Row locks on PostgreSQL so two posts cannot take the same media at once.
    rows = await session.scalars(select(Media).where(Media.id.in_(wanted)).with_for_update())
    found = {media.id: media for media in rows}
    for media_id in wanted:
        media = found.get(media_id)
        if media is None or media.account_id != account_id:
            raise unprocessable(f"media {media_id} not found", field="media_ids")
        if media.status != "ready":
            raise unprocessable(f"media {media_id} is not processed yet", field="media_ids")
        if media.post_id is not None:
            raise unprocessable(
                f"media {media_id} is already attached to a post", field="media_ids"
            )
    return [found[media_id] for media_id in wanted]


async def do_attach(session: AsyncSession, *, media: list[Media], post_id: int) -> None:
    """Attach media to a post in the given order."""
    for position, item in enumerate(media):
        item.post_id = post_id
        item.position = position
    await session.flush()


async def media_for_posts(session: AsyncSession, post_ids: list[int]) -> dict[int, list[Media]]:
    """The media of each post, in carousel order, in one query."""
    attached: dict[int, list[Media]] = {post_id: [] for post_id in post_ids}
    if not post_ids:
        return attached
    rows = await session.scalars(
        select(Media)
        .where(Media.post_id.in_(post_ids))
        .order_by(Media.post_id, Media.position, Media.id)
    )
    for media in rows:
        assert media.post_id is not None
        attached[media.post_id].append(media)
    return attached


async def do_update_descriptions(
    session: AsyncSession, *, post_id: int, descriptions: dict[int, str]
) -> None:
    """Set the alt text of media of a post (a post edit's media_attributes)."""
    if not descriptions:
        return
    rows = await session.scalars(
        select(Media).where(Media.post_id == post_id, Media.id.in_(list(descriptions)))
    )
    found = {media.id: media for media in rows}
    missing = sorted(set(descriptions) - set(found))
    if missing:
        raise unprocessable(
            f"media {missing[0]} is not part of this post", field="media_attributes"
        )
    for media_id, description in descriptions.items():
        found[media_id].description = description or None
    await session.flush()


def _files_of(media: Media) -> list[str]:
    keys = [variant["key"] for variant in media.variants.values() if variant.get("key")]
    return [media.original_key, *keys] if media.original_key else keys


async def do_delete_for_post(session: AsyncSession, *, ctx: AppContext, post_id: int) -> None:
    """Delete a post's media rows now and their files once the transaction commits."""
    rows = list(await session.scalars(select(Media).where(Media.post_id == post_id)))
    if not rows:
        return
    keys = [key for media in rows for key in _files_of(media)]
    await session.execute(delete(Media).where(Media.post_id == post_id))
    # Deleting files is a few unlinks; doing it on commit keeps them if the delete rolls back.
    on_commit(session, lambda: _delete_files(ctx.storage, keys))
