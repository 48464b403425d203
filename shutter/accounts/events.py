"""What happens to accounts that services above them react to (shutter/infra/domain.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountOpened:
    """A locked account was unlocked: whoever asked to follow it may now (Mastodon)."""

    account_id: int
