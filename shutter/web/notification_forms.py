"""The parameters of the notification policy's form (shutter/web/pages/
notification_requests.py), as a model: a value other than the three is a 422 before the
route runs. Accepting or dismissing a request takes only `CsrfForm`."""

from __future__ import annotations

from typing import Literal

from shutter.web.forms import CsrfForm

# Mastodon 4.3's choices; the page calls `drop` "Ignore", as Mastodon's does.
Choice = Literal["accept", "filter", "drop"]


class PolicyForm(CsrfForm):
    """The five conditions of the notification policy; one not sent keeps its value."""

    for_not_following: Choice | None = None
    for_not_followers: Choice | None = None
    for_new_accounts: Choice | None = None
    for_private_mentions: Choice | None = None
    for_limited_accounts: Choice | None = None
