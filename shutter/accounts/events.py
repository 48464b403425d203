"""What happens to accounts that services above them react to (shutter/infra/domain.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountOpened:
    """A locked account was unlocked: whoever asked to follow it may now (Mastodon)."""

    account_id: int


@dataclass(frozen=True)
class AccountSignedUp:
    """Someone signed up through the API, approved at once or `pending` approval: staff
    hear of it (Mastodon's `admin.sign_up` notification)."""

    account_id: int
    pending: bool


@dataclass(frozen=True)
class AccountDeleted:
    """An account became a tombstone (accounts/service/states.py `delete_account`): each
    service above removes what it holds of it, by jobs (its posts, likes, comments and
    media; its follows, blocks and mutes; its notifications and feed)."""

    account_id: int
