"""Custom emojis: admins add them (an uploaded image, stored through the instance's blob
storage), change their category and visibility, disable and remove them; everyone reads
the enabled ones. The only room that writes `custom_emojis`."""

from __future__ import annotations

import re

import anyio.to_thread
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from shutter.emojis.catalog import emoji_catalog
from shutter.emojis.images import MAX_BYTES, EmojiFiles, process_emoji
from shutter.emojis.models import CustomEmoji
from shutter.infra.context import AppContext
from shutter.infra.db import on_commit, utcnow
from shutter.infra.errors import ApiError, not_found, unprocessable
from shutter.infra.ids import ids, parse_id
from shutter.infra.storage import content_key
from shutter.media.codecs.sniff import MediaRejected
from shutter.media.service import in_worker_thread
from shutter.media.service.cleanup import schedule_file_deletion

# Mastodon's CustomEmoji::SHORTCODE_RE_FRAGMENT, with a length limit of ours.
SHORTCODE = re.compile(r"[a-zA-Z0-9_]{2,100}")
MAX_CATEGORY = 100
# Public blobs of their own (infra/storage.py): `e/<sha256>.<ext>`, shared by content.
EMOJI_PREFIX = "e"


def check_shortcode(shortcode: str | None) -> str:
    if shortcode is None or not shortcode.strip():
        raise unprocessable("shortcode is required", field="shortcode")
    code = shortcode.strip().strip(":")
    if not SHORTCODE.fullmatch(code):
        raise unprocessable(
            "shortcode must be 2 to 100 letters, digits or underscores", field="shortcode"
        )
    return code


def _clean_category(category: str | None) -> str | None:
    if category is None or not category.strip():
        return None
    if len(category.strip()) > MAX_CATEGORY:
        raise unprocessable(f"category is longer than {MAX_CATEGORY} characters", field="category")
    return category.strip()


def _taken() -> ApiError:
    return unprocessable("Validation failed: Shortcode has already been taken", field="shortcode")


async def _read_image(upload: object) -> bytes:
    """The bytes of an uploaded `image` field (or given as they are, by the CLI)."""
    too_large = "image is larger than 256 KB"
    if isinstance(upload, bytes):
        if len(upload) > MAX_BYTES:
            raise unprocessable(too_large, field="image")
        return upload
    if not isinstance(upload, UploadFile):
        raise unprocessable("image is required (send it as multipart/form-data)", field="image")
    if upload.size is not None and upload.size > MAX_BYTES:
        raise unprocessable(too_large, field="image")
    data = await upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise unprocessable(too_large, field="image")
    if not data:
        raise unprocessable("image is empty", field="image")
    return data


def _key(data: bytes, ext: str) -> str:
    # Flat (`e/<sha256>.<ext>`): the media sweep leaves keys of this shape alone.
    return f"{EMOJI_PREFIX}/{content_key(data, ext).rsplit('/', 1)[1]}"


def _forget_after_commit(ctx: AppContext, session: AsyncSession) -> None:
    # After the commit: forgetting before it would let a concurrent read keep the old set.
    on_commit(session, emoji_catalog(ctx).forget)


async def do_add_emoji(
    session: AsyncSession,
    *,
    ctx: AppContext,
    shortcode: str | None,
    image: object,
    category: str | None = None,
    visible_in_picker: bool | None = None,
) -> CustomEmoji:
    """A new emoji from an uploaded PNG, GIF or WebP; 422 on a bad shortcode or image or
    a shortcode taken (shortcodes are case-sensitive, as Mastodon's)."""
    code = check_shortcode(shortcode)
    cleaned_category = _clean_category(category)
    if await session.scalar(select(CustomEmoji.id).where(CustomEmoji.shortcode == code)):
        raise _taken()
    data = await _read_image(image)
    try:
        files: EmojiFiles = await in_worker_thread(ctx.settings, lambda: process_emoji(data))
    except MediaRejected as exc:
        raise unprocessable(str(exc), field="image") from None
    image_key, static_key = _key(files.image, files.image_ext), _key(files.static, "png")

    def store() -> None:
        ctx.storage.put(image_key, files.image)
        if static_key != image_key:
            ctx.storage.put(static_key, files.static)

    # Stored before the row: a row never names a missing file. A row that then fails (a
    # racing add of the shortcode) leaves files no row names, shared by content and small.
    await anyio.to_thread.run_sync(store)
    now = utcnow()
    emoji = CustomEmoji(
        id=ids.next_id(ids.new_shard()),
        shortcode=code,
        image_key=image_key,
        static_key=static_key,
        category=cleaned_category,
        visible_in_picker=True if visible_in_picker is None else visible_in_picker,
        disabled=False,
        created_at=now,
        updated_at=now,
    )
    session.add(emoji)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise _taken() from None  # added meanwhile by another request
    _forget_after_commit(ctx, session)
    return emoji


async def access_emoji(session: AsyncSession, emoji_id: int | str) -> CustomEmoji:
    key = parse_id(emoji_id)
    emoji = await session.get(CustomEmoji, key) if key is not None else None
    if emoji is None:
        raise not_found("Custom emoji")
    return emoji


async def do_edit_emoji(
    session: AsyncSession,
    *,
    ctx: AppContext,
    emoji_id: int | str,
    category: str | None = None,
    visible_in_picker: bool | None = None,
    disabled: bool | None = None,
) -> CustomEmoji:
    """Change what is given; an empty category clears it. 404 for no such emoji."""
    emoji = await access_emoji(session, emoji_id)
    if category is not None:
        emoji.category = _clean_category(category)
    if visible_in_picker is not None:
        emoji.visible_in_picker = visible_in_picker
    if disabled is not None:
        emoji.disabled = disabled
    emoji.updated_at = utcnow()
    await session.flush()
    _forget_after_commit(ctx, session)
    return emoji


async def do_remove_emoji(session: AsyncSession, *, ctx: AppContext, emoji_id: int | str) -> None:
    """Remove an emoji; its files go after the commit unless another emoji has the same."""
    emoji = await access_emoji(session, emoji_id)
    keys = {emoji.image_key, emoji.static_key}
    await session.delete(emoji)
    await session.flush()
    shared = set(
        await session.scalars(select(CustomEmoji.image_key).where(CustomEmoji.image_key.in_(keys)))
    ) | set(
        await session.scalars(
            select(CustomEmoji.static_key).where(CustomEmoji.static_key.in_(keys))
        )
    )
    schedule_file_deletion(session, keys=sorted(keys - shared))
    _forget_after_commit(ctx, session)


async def list_emojis(
    session: AsyncSession, *, disabled: bool | None = None, shortcode: str | None = None
) -> list[CustomEmoji]:
    """Emojis by shortcode (case-insensitively), optionally only enabled or disabled."""
    query = select(CustomEmoji)
    if disabled is not None:
        query = query.where(CustomEmoji.disabled.is_(disabled))
    if shortcode is not None:
        query = query.where(CustomEmoji.shortcode == shortcode)
    rows = await session.scalars(query.order_by(func.lower(CustomEmoji.shortcode), CustomEmoji.id))
    return list(rows)


async def enabled_emoji(session: AsyncSession, shortcode: str) -> CustomEmoji | None:
    """The enabled emoji with exactly this shortcode, if any (announcement reactions)."""
    found: CustomEmoji | None = await session.scalar(
        select(CustomEmoji).where(
            CustomEmoji.shortcode == shortcode, CustomEmoji.disabled.is_(False)
        )
    )
    return found
