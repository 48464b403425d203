"""The notices auth mails an account's owner: two-factor authentication turned on or off,
new recovery codes. Plain text, saying what to do when it was not them (as
accounts/mails.py does for passwords)."""

from __future__ import annotations

from shutter.infra.mail import Mail
from shutter.infra.settings import Settings

ENABLED = "enabled"
DISABLED = "disabled"
RECOVERY_CODES = "recovery_codes"

_WHAT = {
    ENABLED: (
        "two-factor authentication is on",
        "Two-factor authentication was just turned on for @{username}: logging in now asks "
        "for a code from your authenticator app after the password. Keep your recovery "
        "codes somewhere safe.",
    ),
    DISABLED: (
        "two-factor authentication is off",
        "Two-factor authentication was just turned off for @{username}: logging in asks "
        "for the password only.",
    ),
    RECOVERY_CODES: (
        "new two-factor recovery codes",
        "New recovery codes were just made for @{username}; the old ones no longer work.",
    ),
}


def two_factor_changed(settings: Settings, *, to: str, username: str, change: str) -> Mail:
    subject, text = _WHAT[change]
    return Mail(
        to=to,
        subject=f"{settings.instance_title}: {subject}",
        text="\n\n".join(
            [
                text.format(username=username),
                "If it was not you, someone knows your password and can use your "
                f"authenticator or recovery codes: change your password at once "
                f"({settings.base_url}) and tell the administrator.",
                f"— {settings.instance_title}, {settings.base_url}",
            ]
        )
        + "\n",
    )
