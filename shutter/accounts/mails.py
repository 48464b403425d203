"""The texts of the mails accounts receive: plain text, one purpose each, saying what to
do when the person did not ask for it."""

from __future__ import annotations

from datetime import timedelta

from shutter.infra.mail import Mail
from shutter.infra.settings import Settings


def _duration(lifetime: timedelta) -> str:
    minutes = int(lifetime.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _signed(settings: Settings, *paragraphs: str) -> str:
    return "\n\n".join([*paragraphs, f"— {settings.instance_title}, {settings.base_url}"]) + "\n"


def password_reset(
    settings: Settings, *, to: str, username: str, url: str, lifetime: timedelta
) -> Mail:
    return Mail(
        to=to,
        subject=f"{settings.instance_title}: reset your password",
        text=_signed(
            settings,
            f"Someone asked to reset the password of @{username}. To choose a new one, "
            f"open this link within {_duration(lifetime)}; it works once:",
            url,
            "Choosing a new password logs every app and device out. If you did not ask "
            "for this, ignore this mail: your password stays as it is.",
        ),
    )


def confirm_address(
    settings: Settings, *, to: str, username: str, url: str, lifetime: timedelta, new: bool
) -> Mail:
    what = (
        f"Someone asked to make {to} the address of @{username}."
        if new
        else f"Welcome, @{username}! Please confirm that {to} is your address."
    )
    return Mail(
        to=to,
        subject=f"{settings.instance_title}: confirm your e-mail address",
        text=_signed(
            settings,
            f"{what} Open this link within {_duration(lifetime)} to confirm it:",
            url,
            "If you did not ask for this, ignore this mail.",
        ),
    )


def password_changed(settings: Settings, *, to: str, username: str) -> Mail:
    return Mail(
        to=to,
        subject=f"{settings.instance_title}: your password was changed",
        text=_signed(
            settings,
            f"The password of @{username} was just changed, and the apps and devices "
            "logged in before were logged out.",
            "If it was not you, someone knows your password or can read your mail: reset "
            f"your password at once ({settings.base_url}) and tell the administrator.",
        ),
    )


def address_changing(settings: Settings, *, to: str, username: str, new_email: str) -> Mail:
    return Mail(
        to=to,
        subject=f"{settings.instance_title}: your e-mail address is being changed",
        text=_signed(
            settings,
            f"Someone with the password of @{username} asked to change its e-mail address "
            f"from {to} to {new_email}. It changes when the link mailed to the new address "
            "is followed.",
            "If it was not you, change your password at once: that logs everyone else out "
            "and cancels the change.",
        ),
    )


def sign_up_approved(settings: Settings, *, to: str, username: str) -> Mail:
    return Mail(
        to=to,
        subject=f"{settings.instance_title}: your account was approved",
        text=_signed(
            settings,
            f"Welcome, @{username}! The moderators approved your account: you can log in "
            f"now at {settings.base_url}.",
        ),
    )


def sign_up_rejected(settings: Settings, *, to: str, username: str) -> Mail:
    return Mail(
        to=to,
        subject=f"{settings.instance_title}: your sign-up was not accepted",
        text=_signed(
            settings,
            f"The moderators did not accept the sign-up of @{username}. The account and "
            "everything stored with it were deleted; the username and this address are "
            "free again.",
        ),
    )
