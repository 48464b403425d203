"""CustomEmoji entities and the parameters of the admins' emoji routes."""

from __future__ import annotations

from typing import Any

from shutter.emojis.models import CustomEmoji
from shutter.infra.formats import iso
from shutter.infra.params import QueryParams, RequestParams
from shutter.infra.settings import Settings
from shutter.media.schemas import media_url


def emoji_json(emoji: CustomEmoji, settings: Settings) -> dict[str, Any]:
    """Mastodon's CustomEmoji entity."""
    return {
        "shortcode": emoji.shortcode,
        "url": media_url(emoji.image_key, settings),
        "static_url": media_url(emoji.static_key, settings),
        "visible_in_picker": emoji.visible_in_picker,
        "category": emoji.category,
    }


def admin_emoji_json(emoji: CustomEmoji, settings: Settings) -> dict[str, Any]:
    """What admins see: the entity with its id and state (Shutter-only routes)."""
    return emoji_json(emoji, settings) | {
        "id": str(emoji.id),
        "disabled": emoji.disabled,
        "created_at": iso(emoji.created_at),
        "updated_at": iso(emoji.updated_at),
    }


class AddEmojiParams(RequestParams):
    shortcode: str | None = None
    image: Any = None
    category: str | None = None
    visible_in_picker: bool | None = None


class EditEmojiParams(RequestParams):
    category: str | None = None
    visible_in_picker: bool | None = None
    disabled: bool | None = None


class AdminListParams(QueryParams):
    disabled: bool | None = None
