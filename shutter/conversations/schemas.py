"""The Conversation entity as Mastodon clients read it."""

from __future__ import annotations

from typing import Any

from shutter.conversations.models import Conversation


def conversation_json(
    conversation: Conversation, accounts: list[dict[str, Any]], last_status: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": str(conversation.id),
        "unread": conversation.unread,
        "accounts": accounts,
        "last_status": last_status,
    }
