"""Media: uploads accepted by content, processed into variants, attached to posts."""

from __future__ import annotations

IMAGE_MIME_TYPES = ("image/jpeg", "image/png", "image/webp")
