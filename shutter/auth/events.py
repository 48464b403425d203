"""What happens in authentication that services above it react to (shutter/infra/domain.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeactivatedAccountLoggedIn:
    """The owner of an account they deactivated logged in (a password grant, the
    authorize page): the account is active again (accounts/service/states.py)."""

    account_id: int
