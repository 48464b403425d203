"""Media: uploads accepted by content, processed by jobs into variants, attached to posts.

An upload is checked cheaply in the request (pipeline.check_upload), stored privately
(`originals/<media id>/…`, with its EXIF and GPS, never served) and answered with an
attachment in the `processing` state; the `media.process` job makes the public variants
(`v/<media id>/…`, served forever-cacheable) and moves the row to `ready`, or to `failed`
with a reason. Media keys carry the media id so that no two rows share a file: deleting a
post's media can never delete a file another post still shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from shutter.infra.context import AppContext
from shutter.infra.db import on_commit
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.ids import ids, parse_id, shard_of
from shutter.infra.jobs import JobKind, enqueue
from shutter.infra.settings import Settings
from shutter.infra.storage import Storage, content_key
from shutter.media import pipeline
from shutter.media.codecs import images
from shutter.media.codecs.sniff import MediaRejected
from shutter.media.models import Media

IMAGE_MIME_TYPES = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "image/heif",
    "image/avif",
    "image/gif",
)
VIDEO_MIME_TYPES = ("video/mp4", "video/quicktime", "video/x-m4v", "video/webm")
SUPPORTED_MIME_TYPES = IMAGE_MIME_TYPES + VIDEO_MIME_TYPES

PUBLIC_MEDIA_PREFIX = pipeline.PUBLIC_MEDIA_PREFIX
AVATAR_PREFIX = "a"
PRIVATE_ORIGINALS_PREFIX = pipeline.PRIVATE_ORIGINALS_PREFIX
PROCESSING, READY, FAILED = "processing", "ready", "failed"

# Processing an upload (handled in shutter/media/jobs.py). Above
# media_ffmpeg_timeout_seconds (default 300) for the transcode, plus probes and the
# poster; a run cut short by this is retried like any failure.
PROCESS = JobKind("media.process", timeout_seconds=900)
THUMBNAIL = JobKind("media.thumbnail", timeout_seconds=60)

T = TypeVar("T")

_limiter: anyio.CapacityLimiter | None = None


def _processing_limiter(settings: Settings) -> anyio.CapacityLimiter:
    """Bound concurrent media work per process: each decode or ffmpeg run holds memory."""
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(settings.media_processing_concurrency)
    return _limiter


async def in_worker_thread(settings: Settings, work: Callable[[], T]) -> T:
    """Run CPU-bound media work off the event loop, at most N at once per process."""
    return await anyio.to_thread.run_sync(work, limiter=_processing_limiter(settings))


async def _checked(settings: Settings, work: Callable[[], T]) -> T:
    """`in_worker_thread` for request-time work: refusals become 422s."""
    try:
        return await in_worker_thread(settings, work)
    except MediaRejected as exc:
        raise unprocessable(str(exc), field="file") from None


async def read_upload(upload: object, settings: Settings) -> bytes:
    """The bytes of an uploaded `file` field, refusing a missing, empty or oversized one."""
    if not isinstance(upload, UploadFile):
        raise unprocessable("file is required (send it as multipart/form-data)", field="file")
    # The per-type limit is checked once the bytes say what they are (pipeline.check_upload).
    limit = max(settings.max_image_bytes, settings.max_video_bytes)
    too_large = f"file is larger than {pipeline.human_bytes(limit)}"
    if upload.size is not None and upload.size > limit:
        raise unprocessable(too_large, field="file")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise unprocessable(too_large, field="file")
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


async def stored_original_bytes(session: AsyncSession, *, account_id: int) -> int:
    """Bytes of the originals the account has stored: every media row that still has its
    original (attached or not; a failed upload's original is deleted with the failure)."""
    size = Media.meta[("source", "bytes")].as_integer()
    total = await session.scalar(
        select(func.coalesce(func.sum(size), 0)).where(
            (Media.account_id == account_id) & Media.original_key.is_not(None)
        )
    )
    return int(total or 0)


async def check_quota(
    session: AsyncSession, *, settings: Settings, account_id: int, incoming: int
) -> None:
    """422 when `incoming` more bytes would take the account past SHUTTER_UPLOAD_QUOTA_BYTES.

    Checked before the file is stored. Two uploads at the same moment may both pass (the
    quota bounds storage, it is not a lock); a post deleted gives its bytes back.
    """
    quota = settings.upload_quota_bytes
    if not quota:
        return
    used = await stored_original_bytes(session, account_id=account_id)
    if used + incoming > quota:
        raise unprocessable(
            f"this upload would exceed your storage quota of {pipeline.human_bytes(quota)} "
            f"({pipeline.human_bytes(used)} used); delete some posts to make room",
            field="file",
        )


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
    process_images_now: bool = False,
) -> Media:
    """Check and store an upload privately and queue its processing (outbox).

    With `process_images_now` (Mastodon's v1 route) a photo is processed before the
    answer, by the same code the job runs, and the row is ready at once; videos and
    animations are always left to the job.
    """
    settings = ctx.settings
    if description is not None:
        check_description(description, settings)
    focus_x, focus_y = parse_focus(focus) if focus is not None else (0.0, 0.0)
    data = await read_upload(upload, settings)
    await check_quota(session, settings=settings, account_id=account_id, incoming=len(data))
    checked = await _checked(settings, lambda: pipeline.check_upload(data, settings))
    media_id = ids.next_id(shard_of(account_id))
    original_key = pipeline.original_key(media_id, data, checked.sniffed)
    await anyio.to_thread.run_sync(lambda: ctx.storage.put(original_key, data))
    media = Media(
        id=media_id,
        account_id=account_id,
        status=PROCESSING,
        kind=checked.kind,
        description=description or None,
        focus_x=focus_x,
        focus_y=focus_y,
        original_key=original_key,
        variants={},
        attempts=0,
        meta={
            "source": {
                "format": checked.sniffed.label,
                "width": checked.width,
                "height": checked.height,
                "bytes": len(data),
            }
        },
    )
    written = [original_key]
    try:
        if process_images_now and checked.kind == "image":
            built = await _checked(
                settings,
                lambda: pipeline.build(
                    ctx.storage,
                    settings,
                    media_id=media_id,
                    original=data,
                    kind="image",
                    focus=(focus_x, focus_y),
                ),
            )
            written += [variant["key"] for variant in built.variants.values()]
            _apply(media, built)
        session.add(media)
        if media.status == PROCESSING:
            enqueue(session, PROCESS, {"media_id": media_id})
        await session.flush()
    except BaseException:
        await anyio.to_thread.run_sync(lambda: _delete_files(ctx.storage, written))
        raise
    return media


def _apply(media: Media, built: pipeline.Built) -> None:
    media.status = READY
    media.error = None
    media.variants = built.variants
    media.blurhash = built.blurhash
    media.meta = {**(media.meta or {}), **built.meta}


async def process_avatar(ctx: AppContext, upload: object) -> str:
    """Validate an uploaded avatar and store it as a public square; returns its key.

    Avatars are small and shown at once, so they are made in the request (off the event
    loop), through the same sniffing and header checks as every upload.
    """
    settings = ctx.settings
    data = await read_upload(upload, settings)
    if len(data) > settings.max_image_bytes:
        limit = pipeline.human_bytes(settings.max_image_bytes)
        raise unprocessable(f"file is larger than {limit}", field="file")
    variant = await _checked(
        settings,
        lambda: images.process_avatar_image(data, max_pixels=settings.max_image_pixels),
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
        new_focus = parse_focus(focus)
        if new_focus != (media.focus_x, media.focus_y) and media.status == READY:
            # The square thumbnail is cropped around the focus: crop it again, off-request.
            enqueue(session, THUMBNAIL, {"media_id": media.id})
        media.focus_x, media.focus_y = new_focus
    await session.flush()
    return media


def _parse_media_ids(media_ids: list[str], max_count: int) -> list[int]:
    if len(media_ids) > max_count:
        raise unprocessable(f"a post has at most {max_count} media", field="media_ids")
    parsed = []
    for raw in media_ids:
        media_id = parse_id(raw)
        if media_id is None:
            raise unprocessable("media_ids has a value that is not an id", field="media_ids")
        parsed.append(media_id)
    if len(set(parsed)) != len(parsed):
        raise unprocessable("the same media is listed twice", field="media_ids")
    return parsed


async def access_attachable_media(
    session: AsyncSession,
    *,
    account_id: int,
    media_ids: list[str],
    max_count: int,
    held_for: int | None = None,
) -> list[Media]:
    """The caller's ready, unattached media for a new post, in the order given; else 422.
    Media held for a scheduled post are taken only by that post (`held_for`)."""
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
        if media.post_id is not None or media.scheduled_status_id not in (None, held_for):
            raise unprocessable(
                f"media {media_id} is already attached to a post", field="media_ids"
            )
    return [found[media_id] for media_id in wanted]


async def do_attach(session: AsyncSession, *, media: list[Media], post_id: int) -> None:
    """Attach media to a post in the given order."""
    for position, item in enumerate(media):
        item.post_id = post_id
        item.scheduled_status_id = None
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
