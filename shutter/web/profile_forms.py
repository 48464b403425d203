"""The parameters of the profile pages' form routes (follow, block, mute, report, follow
requests, edit profile), as models: bad input is a 422 before the route runs, and the
hostile-input sweep sees every text field. Kept apart from shutter/web/forms.py, which
the other pages' forms share."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shutter.web.forms import CsrfForm


class FollowForm(CsrfForm):
    """Follow (or ask to) with `follow=true`; unfollow or cancel the request with false."""

    follow: Literal["true", "false"]


class BlockForm(CsrfForm):
    blocked: Literal["true", "false"]


class MuteForm(CsrfForm):
    muted: Literal["true", "false"]


class ReportForm(CsrfForm):
    category: Literal["spam", "legal", "violation", "other"] = "other"
    comment: str = Field("", max_length=5000)


class EditProfileForm(CsrfForm):
    display_name: str = Field("", max_length=1000)
    note: str = Field("", max_length=5000)
    website: str = Field("", max_length=1000)
    # A checkbox: present ("true") when ticked, absent when not — the form sends every
    # field, so an absent box means "not private".
    locked: Literal["true"] | None = None
    # The square-cropped picture (static/js/avatar.js crops it before upload; the media
    # service makes it square anyway). Optional: an empty file input leaves it.
    avatar: Any = None
