"""The parameters of the settings page's form routes (shutter/web/pages/settings*.py),
as models: bad input is a 422 before the route runs, and the hostile-input sweep sees
every text field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shutter.web.forms import CsrfForm


class DefaultsForm(CsrfForm):
    privacy: Literal["public", "unlisted", "private"] = "public"
    # A checkbox: present when ticked.
    sensitive: Literal["true"] | None = None


class PasswordForm(CsrfForm):
    current_password: str = Field("", max_length=1024)
    password: str = Field("", max_length=1024)


class EmailForm(CsrfForm):
    email: str = Field("", max_length=320)
    current_password: str = Field("", max_length=1024)


class PasswordOnlyForm(CsrfForm):
    password: str = Field("", max_length=1024)


class CodeForm(CsrfForm):
    code: str = Field("", max_length=100)


class DisableTwoFactorForm(CsrfForm):
    password: str = Field("", max_length=1024)
    code: str = Field("", max_length=100)


class DeleteForm(CsrfForm):
    password: str = Field("", max_length=1024)
    # The confirmation box: "yes" when ticked.
    confirm: Literal["yes"] | None = None


class ImportForm(CsrfForm):
    type: Literal["following", "blocking", "muting"] = "following"
    mode: Literal["merge", "overwrite"] = "merge"
    data: Any = None
