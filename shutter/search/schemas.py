"""Search parameters and the Search entity."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator

from shutter.accounts.models import Account
from shutter.accounts.schemas import account_json
from shutter.infra.pagination import Limit40, Limit80, Offset
from shutter.infra.params import QueryParams
from shutter.infra.settings import Settings
from shutter.posts.models import Tag
from shutter.posts.text import tag_url


class _SearchBase(QueryParams):
    q: str = ""
    offset: Offset = 0  # at most 10,000 (pagination.MAX_OFFSET), else 422
    # No federation: there is nothing to resolve, so it is accepted and ignored.
    resolve: bool = False
    following: bool = False


class SearchParams(_SearchBase):
    """GET /api/v2/search: 20 results per kind by default, 40 at most."""

    type: Literal["accounts", "hashtags", "statuses"] | None = None
    limit: Limit40 = 20

    @field_validator("type", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value


class AccountSearchParams(_SearchBase):
    """GET /api/v1/accounts/search: Mastodon's account-list limits, 40 by default, 80 at most."""

    limit: Limit80 = 40


def tag_json(tag: Tag, settings: Settings) -> dict[str, Any]:
    """A Tag as search lists it (no usage history is kept yet, so it is empty)."""
    return {
        "id": str(tag.id),
        "name": tag.display_name,
        "url": tag_url(settings.base_url, tag.name),
        "history": [],
    }


def search_json(
    accounts: list[Account], tags: list[Tag], settings: Settings
) -> dict[str, list[dict[str, Any]]]:
    """A Search; statuses stay empty: Shutter has no full-text search of posts."""
    return {
        "accounts": [account_json(account, settings) for account in accounts],
        "statuses": [],
        "hashtags": [tag_json(tag, settings) for tag in tags],
    }
