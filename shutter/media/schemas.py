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


def _variant_url(media: Media, name: str, settings: Settings) -> str | None:
    variant = (media.variants or {}).get(name)
    return media_url(variant["key"], settings) if variant else None


def media_json(media: Media, settings: Settings) -> dict[str, Any]:
    """A MediaAttachment; `url` is the display variant ("original" in meta describes it)."""
    variants = media.variants or {}
    meta: dict[str, Any] = {"focus": {"x": media.focus_x, "y": media.focus_y}}
    if "display" in variants:
        meta["original"] = _meta_details(variants["display"])
    if "preview" in variants:
        meta["small"] = _meta_details(variants["preview"])
    return {
        "id": str(media.id),
        "type": media.kind,
        "url": _variant_url(media, "display", settings),
        "preview_url": _variant_url(media, "preview", settings),
        "remote_url": None,
        "meta": meta,
        "description": media.description,
        "blurhash": media.blurhash,
    }
