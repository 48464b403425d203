"""From the API's entities to what a template shows.

Pages get their data exactly as the API does — the Status JSON of the cached per-post
rendering, patched for the viewer (shutter/posts/render.py, feed/home.py) — and this
module only derives presentation from it: srcset from the variants, the frame's aspect
class, the audience label, the author's path. No rule (who may see what) lives here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import urlsplit

# The crops Instagram allows: portrait down to 4:5, landscape up to 1.91:1. A post's
# frame takes its first item's ratio, snapped to one of these (CSS classes `ar-…` in
# app.css, since the CSP forbids style attributes).
RATIOS = (("80", 0.8), ("100", 1.0), ("125", 1.25), ("150", 1.5), ("178", 1.78), ("191", 1.91))
# The widths of the variants (media/schemas.py `meta.variants`) a srcset may offer.
WIDTH_VARIANTS = ("w320", "w640", "w1080")
AUDIENCE = {
    "unlisted": "Unlisted",
    "private": "Followers only",
    "direct": "Mentioned people only",
}


@dataclass
class MediaView:
    kind: str  # "image", "video", "gifv"
    src: str | None
    srcset: str
    width: int | None
    height: int | None
    alt: str
    blurhash: str | None
    poster: str | None
    processing: bool
    # Mastodon's `meta.focus` as classes (`fx-25 fy-75`: object-position in app.css; the
    # CSP forbids style attributes), so a crop keeps what the author marked.
    focus: str = "fx-50 fy-50"


@dataclass
class PostView:
    id: str
    path: str  # the post page
    author_path: str
    status: dict[str, Any]
    media: list[MediaView] = field(default_factory=list)
    ratio: str = "100"
    audience: str | None = None


def local_path(url: str) -> str:
    """The path (and query) of one of this site's absolute URLs, so links stay on the
    host the page was opened on."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") or "/"


def _ratio_class(width: int | None, height: int | None) -> str:
    if not width or not height:
        return "100"
    ratio = min(max(width / height, 0.8), 1.91)
    return min(RATIOS, key=lambda named: abs(named[1] - ratio))[0]


def _percent(value: object, *, flip: bool) -> int:
    """A focus coordinate (-1…1, y up) as an object-position percentage, in steps of 25."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return 50
    share = (1 - value) / 2 if flip else (value + 1) / 2
    return round(min(max(share, 0.0), 1.0) * 4) * 25


def focus_classes(meta: dict[str, Any]) -> str:
    given = meta.get("focus")
    focus: dict[str, Any] = given if isinstance(given, dict) else {}
    x = _percent(focus.get("x"), flip=False)
    y = _percent(focus.get("y"), flip=True)
    return f"fx-{x} fy-{y}"


def media_view(attachment: dict[str, Any]) -> MediaView:
    meta = attachment.get("meta") or {}
    variants = {v["name"]: v for v in meta.get("variants", [])}
    original = meta.get("original") or {}
    srcset = ", ".join(
        f"{variants[name]['url']} {variants[name]['width']}w"
        for name in WIDTH_VARIANTS
        if name in variants
    )
    kind = attachment.get("type", "image")
    return MediaView(
        kind=kind,
        src=attachment.get("url"),
        srcset=srcset if kind == "image" else "",
        width=original.get("width") or meta.get("width"),
        height=original.get("height") or meta.get("height"),
        alt=attachment.get("description") or "",
        blurhash=attachment.get("blurhash"),
        poster=attachment.get("preview_url") if kind != "image" else None,
        processing=attachment.get("url") is None,
        focus=focus_classes(meta),
    )


def post_view(status: dict[str, Any]) -> PostView:
    media = [media_view(m) for m in status.get("media_attachments", [])]
    first = media[0] if media else None
    return PostView(
        id=status["id"],
        path=local_path(status["url"]),
        author_path=local_path(status["account"]["url"]),
        status=status,
        media=media,
        ratio=_ratio_class(first.width, first.height) if first else "100",
        audience=AUDIENCE.get(status.get("visibility", "public")),
    )


def post_views(statuses: list[dict[str, Any]]) -> list[PostView]:
    return [post_view(s) for s in statuses]


# A caption's HTML (posts/text.caption_html): links and spans sit inside words ("@" then
# the name), paragraphs and line breaks between them.
_INLINE_TAG = re.compile(r"</?(?:a|span)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")


def plain_text(content: str) -> str:
    """A Status's HTML `content` as plain text on one line ("@ben", "#sunset"); the
    template escapes it again."""
    return " ".join(unescape(_TAG.sub(" ", _INLINE_TAG.sub("", content))).split())
