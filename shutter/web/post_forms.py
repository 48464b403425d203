"""The parameters of the post page's and Compose's form routes (see shutter/web/forms.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shutter.infra.params import IdListParam
from shutter.web.forms import CsrfForm

Audience = Literal["public", "unlisted", "private", "direct"]


class CommentForm(CsrfForm):
    status: str = Field("", max_length=5000)


class CaptionForm(CsrfForm):
    status: str = Field("", max_length=5000)


class DeleteForm(CsrfForm):
    # Only a confirmed form deletes; an unconfirmed one is answered with the question.
    confirmed: bool = False


class UploadForm(CsrfForm):
    # An UploadFile; checked by the media service, not by pydantic.
    file: Any = None
    description: str | None = Field(None, max_length=5000)
    focus: str | None = Field(None, max_length=100)


class DescribeForm(CsrfForm):
    description: str | None = Field(None, max_length=5000)
    focus: str | None = Field(None, max_length=100)


class ShareForm(CsrfForm):
    """Share: the media uploaded already (scripts), or the files themselves (a form
    without scripts: `files[]` with `descriptions[]` in the same order)."""

    status: str = Field("", max_length=5000)
    visibility: Audience | None = None
    media_ids: IdListParam | None = None
    files: list[Any] | None = None
    descriptions: list[str] | None = None
    # Focal points "x,y" in the order of `media_ids` ("" for none).
    focus: list[str] | None = None
    idempotency_key: str | None = Field(None, max_length=200)
