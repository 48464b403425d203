"""From upload bytes to stored public variants: the blocking half of the media service.

`check_upload` is the cheap validation the request runs (magic bytes, size, the header's
pixel count, a GIF's frames, a video's ffprobe); `build` is what the processing job runs
(decode, transcode, encode, store). Both block: callers run them in a worker thread.
Public variants go under `v/<media id>/`, the private original under `originals/<media id>/`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from shutter.infra.settings import Settings
from shutter.infra.storage import Storage, content_key
from shutter.media.codecs import images, video
from shutter.media.codecs.gif import parse_gif
from shutter.media.codecs.sniff import MediaRejected, Sniffed, sniff

PUBLIC_MEDIA_PREFIX = "v"
PRIVATE_ORIGINALS_PREFIX = "originals"

MediaKind = Literal["image", "gifv", "video"]


@dataclass(frozen=True)
class Checked:
    sniffed: Sniffed
    kind: MediaKind
    width: int
    height: int


@dataclass(frozen=True)
class Built:
    variants: dict[str, dict[str, Any]]
    blurhash: str
    meta: dict[str, Any]


def video_limits(settings: Settings) -> video.Limits:
    return video.Limits(
        max_seconds=settings.max_video_seconds,
        max_pixels=settings.max_video_pixels,
        max_frame_rate=settings.max_video_frame_rate,
        timeout_seconds=settings.media_ffmpeg_timeout_seconds,
        memory_bytes=settings.media_ffmpeg_memory_mb * 1024 * 1024,
        threads=settings.media_ffmpeg_threads,
    )


def human_bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


def check_upload(data: bytes, settings: Settings) -> Checked:
    """Decide what `data` is and refuse it early if it cannot be accepted. Blocks."""
    sniffed = sniff(data)
    limit = settings.max_video_bytes if sniffed.kind != "image" else settings.max_image_bytes
    if len(data) > limit:
        raise MediaRejected(f"file is larger than {human_bytes(limit)}")
    if sniffed.kind == "image":
        width, height = images.check_image(data, sniffed, max_pixels=settings.max_image_pixels)
        return Checked(sniffed, "image", width, height)
    if sniffed.kind == "gif":
        # A still GIF is a picture; an animated one becomes a silent looping video (gifv).
        info = parse_gif(data, max_pixels=settings.max_image_pixels)
        if not info.animated:
            return Checked(sniffed, "image", info.width, info.height)
        if info.duration > settings.max_video_seconds:
            raise MediaRejected(
                f"The animation is too long: {info.duration:.1f} s "
                f"(at most {settings.max_video_seconds:g} s)"
            )
        return Checked(sniffed, "gifv", info.width, info.height)
    with tempfile.TemporaryDirectory(prefix="shutter-probe-") as folder:
        source = Path(folder) / f"original.{sniffed.ext}"
        source.write_bytes(data)
        info_v = video.probe(source, sniffed.format, limits=video_limits(settings))
    return Checked(sniffed, "video", info_v.width, info_v.height)


def original_key(media_id: int, data: bytes, sniffed: Sniffed) -> str:
    return content_key(data, sniffed.ext, prefix=f"{PRIVATE_ORIGINALS_PREFIX}/{media_id}")


def _put(
    storage: Storage, media_id: int, data: bytes, ext: str, mime: str, **extra: Any
) -> dict[str, Any]:
    key = content_key(data, ext, prefix=f"{PUBLIC_MEDIA_PREFIX}/{media_id}")
    storage.put(key, data)
    return {"key": key, "mime": mime, "bytes": len(data), **extra}


def _store_images(
    storage: Storage, media_id: int, variants: dict[str, images.Variant], rename: dict[str, str]
) -> dict[str, dict[str, Any]]:
    stored = {}
    for name, variant in variants.items():
        stored[rename.get(name, name)] = _put(
            storage,
            media_id,
            variant.data,
            variant.ext,
            variant.mime,
            width=variant.width,
            height=variant.height,
        )
    return stored


def _video_record(info: video.VideoInfo) -> dict[str, Any]:
    return {
        "width": info.width,
        "height": info.height,
        "frame_rate": info.frame_rate,
        "duration": info.duration,
        "bitrate": info.bitrate,
    }


def build(
    storage: Storage,
    settings: Settings,
    *,
    media_id: int,
    original: bytes,
    kind: str,
    focus: tuple[float, float],
) -> Built:
    """Process an original into its stored public variants. Blocks; deterministic keys,
    so running it twice writes the same files (the job is at-least-once)."""
    if kind == "image":
        photo = images.process_image(original, max_pixels=settings.max_image_pixels, focus=focus)
        variants = _store_images(storage, media_id, photo.variants, {})
        return Built(variants, photo.blurhash, {})
    sniffed = sniff(original)
    if sniffed.kind == "image":
        raise MediaRejected("The file is an image, not a video")
    with tempfile.TemporaryDirectory(prefix="shutter-video-") as folder:
        source = Path(folder) / f"original.{sniffed.ext}"
        source.write_bytes(original)
        made = video.transcode(
            source, sniffed.format, limits=video_limits(settings), silent=kind == "gifv"
        )
    poster = images.process_image(made.poster, max_pixels=settings.max_image_pixels, focus=focus)
    variants = _store_images(storage, media_id, poster.variants, {"original": "poster"})
    variants["video"] = _put(
        storage, media_id, made.main, "mp4", "video/mp4", **_video_record(made.main_info)
    )
    variants["video_small"] = _put(
        storage, media_id, made.small, "mp4", "video/mp4", **_video_record(made.small_info)
    )
    return Built(variants, poster.blurhash, {"audio": made.main_info.has_audio})


def rebuild_thumbnail(
    storage: Storage, *, media_id: int, variants: dict[str, Any], focus: tuple[float, float]
) -> dict[str, Any] | None:
    """A new focal-point thumbnail from the stored display still; None if there is none."""
    display = variants.get("poster") or variants.get("original")
    if not display:
        return None
    thumb = images.make_thumbnail(storage.get(display["key"]), focus)
    return _store_images(storage, media_id, {"thumb": thumb}, {})["thumb"]
