"""The parameters of the website's form routes, as models (like the API's): bad input is
a clear 422 before the route runs, and the hostile-input sweep sees every text field.

Every form carries `csrf` (checked by shutter/web/session.posted, which reads the same
form); `next` is where a form without scripts goes back to (checked by
routing.safe_next).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shutter.infra.params import RequestParams


class CsrfForm(RequestParams):
    csrf: str | None = Field(None, max_length=200)
    next: str | None = Field(None, max_length=2000)


class LogInForm(CsrfForm):
    username: str = Field("", max_length=320)
    password: str = Field("", max_length=1024)


class LogInCodeForm(CsrfForm):
    """The second step of a log-in with two-factor authentication."""

    pending: str = Field("", max_length=1000)
    code: str = Field("", max_length=100)


class SignUpForm(CsrfForm):
    username: str = Field("", max_length=200)
    email: str = Field("", max_length=320)
    password: str = Field("", max_length=1024)
    reason: str | None = Field(None, max_length=2000)
    invite_code: str | None = Field(None, max_length=200)
    agreement: str | None = Field(None, max_length=10)


class LikeForm(CsrfForm):
    liked: Literal["true", "false"]


class SaveForm(CsrfForm):
    saved: Literal["true", "false"]


class PinForm(CsrfForm):
    pinned: Literal["true", "false"]
