"""The parameters of the moderation and administration pages' form routes (reports,
account actions, sign-ups, invites, rules), as models: bad input is a 422 before the
route runs, and the hostile-input sweep sees every text field."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shutter.infra.pagination import PageParams
from shutter.web.forms import CsrfForm

# A checkbox: present ("true") when ticked, absent when not.
Ticked = Literal["true"] | None


class AssignForm(CsrfForm):
    """Take the report (`assigned=true`) or give it back."""

    assigned: Literal["true", "false"]


class AccountActionForm(CsrfForm):
    type: Literal["none", "sensitive", "disable", "silence", "suspend"]
    text: str = Field("", max_length=5000)
    notify: Ticked = None
    report_id: str | None = Field(None, max_length=30)


class UndoForm(CsrfForm):
    undo: Literal["enable", "unsilence", "unsuspend", "unsensitive"]


class RoleForm(CsrfForm):
    role: Literal["user", "moderator", "admin"]


class DeleteDataForm(CsrfForm):
    """Deleting a suspended account's data cannot be undone: the box must be ticked."""

    confirm: Ticked = None


class RemovePostForm(CsrfForm):
    text: str = Field("", max_length=5000)
    notify: Ticked = None


# Mastodon's choices; "" (the first option) means no limit.
MAX_USES = ("", "1", "5", "10", "25", "50", "100")
EXPIRES_IN = {
    "": "Never",
    "1800": "30 minutes",
    "3600": "1 hour",
    "21600": "6 hours",
    "43200": "12 hours",
    "86400": "1 day",
    "604800": "1 week",
}


class InviteForm(CsrfForm):
    max_uses: Literal["", "1", "5", "10", "25", "50", "100"] = ""
    expires_in: Literal["", "1800", "3600", "21600", "43200", "86400", "604800"] = ""


class ExpireInviteForm(CsrfForm):
    invite: str = Field(..., max_length=30)


class RuleForm(CsrfForm):
    text: str = Field("", max_length=1000)
    hint: str = Field("", max_length=2000)


class AccountListQuery(PageParams):
    status: Literal["", "active", "pending", "disabled", "silenced", "suspended"] = ""
    staff: Literal["", "true"] = ""
    username: str = Field("", max_length=100)


class ReportListQuery(PageParams):
    resolved: Literal["", "true"] = ""
