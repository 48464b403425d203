"""Media entities as Mastodon clients read them, and the parameters of media routes."""

from __future__ import annotations

from typing import Any

from shutter.infra.params import RequestParams
from shutter.infra.settings import Settings
from shutter.media.models import Media


class UploadParams(RequestParams):
    # An UploadFile when sent as multipart; checked by the service, not by pydantic.
    file: Any = None
    description: str | None = None
    focus: str | None = None


class UpdateMediaParams(RequestParams):
    description: str | None = None
    focus: str | None = None


def media_url(key: str, settings: Settings) -> str:
    """The stable public URL of a stored file: the CDN's when configured, else the app's."""
    return f"{settings.media_public_url or settings.base_url + '/media'}/{key}"


def _meta_details(variant: dict[str, Any]) -> dict[str, Any]:
    width, height = variant["width"], variant["height"]
    return {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": round(width / height, 6) if height else 0,
    }


def _video_meta(video: dict[str, Any]) -> dict[str, Any]:
    """Mastodon's video meta: a summary at the top level, the stream in `original`."""
    duration = float(video["duration"])
    minutes, seconds = divmod(duration, 60)
    frame_rate = str(video["frame_rate"])
    numerator, _, denominator = frame_rate.partition("/")
    fps = round(int(numerator) / int(denominator or 1)) if int(denominator or 1) else 0
    return _meta_details(video) | {
        "length": f"{int(minutes // 60)}:{int(minutes % 60):02d}:{seconds:05.2f}",
        "duration": duration,
        "fps": fps,
        "original": {
            "width": video["width"],
            "height": video["height"],
            "frame_rate": frame_rate,
            "duration": duration,
            "bitrate": video["bitrate"],
        },
    }


# Variants beyond url/preview_url, listed in meta for clients that choose by size
# (Shutter's extension; Mastodon clients ignore keys they do not know).
_EXTRA_VARIANTS = ("w1080", "w640", "w320", "thumb", "poster", "video_small")


def _extras(variants: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "url": media_url(variants[name]["key"], settings),
            "type": variants[name]["mime"],
            "width": variants[name]["width"],
            "height": variants[name]["height"],
        }
        for name in _EXTRA_VARIANTS
        if name in variants
    ]


def _url(variants: dict[str, Any], name: str, settings: Settings) -> str | None:
    variant = variants.get(name)
    return media_url(variant["key"], settings) if variant else None


def media_json(media: Media, settings: Settings) -> dict[str, Any]:
    """A MediaAttachment. While processing (or failed) `url` and `preview_url` are null.

    Images: `url` is the ≤1080-wide JPEG (`meta.original`), `preview_url` the ≤640-wide
    one (`meta.small`). Videos and gifv: `url` is the ≤1080p H.264 MP4, `preview_url` the
    poster at ≤640 wide. Every other variant is in `meta.variants`.
    """
    variants = media.variants or {}
    meta: dict[str, Any] = {}
    url_name = "original" if media.kind == "image" else "video"
    if media.kind == "image" and "original" in variants:
        meta = {"original": _meta_details(variants["original"])}
    elif "video" in variants:
        meta = _video_meta(variants["video"])
    if "small" in variants:
        meta["small"] = _meta_details(variants["small"])
    meta["focus"] = {"x": media.focus_x, "y": media.focus_y}
    extras = _extras(variants, settings)
    if extras:
        meta["variants"] = extras
    return {
        "id": str(media.id),
        "type": media.kind,
        "url": _url(variants, url_name, settings),
        "preview_url": _url(variants, "small", settings),
        "remote_url": None,
        "meta": meta,
        "description": media.description,
        "blurhash": media.blurhash,
    }
