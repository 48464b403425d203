"""The texts of the mails moderation sends: a warning to a moderated account, and the
outcome of a report to whoever filed it."""

from __future__ import annotations

from shutter.infra.mail import Mail
from shutter.infra.settings import Settings

# What each AccountWarning action means to the person it happened to.
_ACTIONS = {
    "none": "The moderators of {title} sent you a warning.",
    "disable": "Your account on {title} was disabled: you cannot log in for now.",
    "sensitive": "The media of your posts on {title} will be marked sensitive from now on.",
    "silence": "Your account on {title} was limited: only those who follow you will see "
    "your posts and profile in public places.",
    "suspend": "Your account on {title} was suspended.",
    "delete_statuses": "A moderator of {title} removed one of your posts.",
    "mark_statuses_as_sensitive": "A moderator of {title} marked one of your posts sensitive.",
}


def _signed(settings: Settings, *paragraphs: str) -> str:
    return "\n\n".join([*paragraphs, f"— {settings.instance_title}, {settings.base_url}"]) + "\n"


def warning(settings: Settings, *, to: str, username: str, action: str, text: str) -> Mail:
    title = settings.instance_title
    paragraphs = [f"Hello @{username},", _ACTIONS.get(action, _ACTIONS["none"]).format(title=title)]
    if text:
        paragraphs.append(f"The moderators wrote:\n\n{text}")
    return Mail(
        to=to,
        subject=f"{title}: a moderation decision about your account",
        text=_signed(settings, *paragraphs),
    )


def report_resolved(settings: Settings, *, to: str, username: str, target: str) -> Mail:
    title = settings.instance_title
    return Mail(
        to=to,
        subject=f"{title}: your report was handled",
        text=_signed(
            settings,
            f"Hello @{username},",
            f"Thank you for your report about @{target}. The moderators of {title} have "
            "reviewed it and taken the action they found fitting.",
        ),
    )
