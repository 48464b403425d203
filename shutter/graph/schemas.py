"""Graph entities as Mastodon clients read them, and the parameters of graph routes."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from shutter.infra.ids import parse_id
from shutter.infra.pagination import AccountPageParams
from shutter.infra.params import QueryParams, RequestParams

# A timeline page asks for at most a few dozen; far more is a mistake or an abuse.
MAX_RELATIONSHIP_IDS = 100


def relationship_json(
    account_id: int,
    *,
    following: bool,
    followed_by: bool,
    requested: bool,
    requested_by: bool,
    blocking: bool = False,
    blocked_by: bool = False,
    muting: bool = False,
    muting_notifications: bool = False,
    endorsed: bool = False,
    note: str = "",
) -> dict[str, Any]:
    """A Relationship; `note` is the viewer's personal note on the account."""
    return {
        "id": str(account_id),
        "following": following,
        "showing_reblogs": following,
        "notifying": False,
        "languages": None,
        "followed_by": followed_by,
        "blocking": blocking,
        "blocked_by": blocked_by,
        "muting": muting,
        "muting_notifications": muting_notifications,
        "requested": requested,
        "requested_by": requested_by,
        "domain_blocking": False,
        "endorsed": endorsed,
        "note": note,
    }


class FollowParams(RequestParams):
    """Mastodon's follow options; accepted so clients that send them work, not yet used."""

    reblogs: bool | None = None
    notify: bool | None = None
    languages: list[str] | None = None


class MuteParams(RequestParams):
    """Mastodon's mute options: also hide notifications, and for how many seconds (0: ever)."""

    notifications: bool = True
    duration: int = Field(0, ge=0, le=10 * 366 * 24 * 3600)


# Mastodon's account lists (followers, following, follow requests): 40 by default, 80 at most.
AccountListParams = AccountPageParams


class RelationshipsParams(QueryParams):
    """`id[]=1&id[]=2` (or a single `id=1`); ids that are not numbers match no account."""

    id: list[str] = Field(default_factory=list, max_length=MAX_RELATIONSHIP_IDS)
    with_suspended: bool = False

    @field_validator("id", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    def account_ids(self) -> list[int]:
        """The numeric ids, de-duplicated, in the order the client asked for them."""
        seen: dict[int, None] = {}
        for raw in self.id:
            account_id = parse_id(raw)
            if account_id is not None:
                seen.setdefault(account_id, None)
        return list(seen)
