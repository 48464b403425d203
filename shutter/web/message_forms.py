"""The parameters of the direct-message forms (see shutter/web/forms.py)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from shutter.web.forms import CsrfForm


def _joined(value: object) -> object:
    # `to[]=ana&to[]=bo` reads as "ana bo": the names are parsed from one text either way.
    return " ".join(str(v) for v in value) if isinstance(value, list) else value


Names = Annotated[str, BeforeValidator(_joined), Field(max_length=320)]


class MessageForm(CsrfForm):
    """A message in a conversation: text, photos or videos (`files[]`, checked by the
    media service, not by pydantic) with their alt texts in the same order
    (`descriptions[]`), or both."""

    status: str = Field("", max_length=5000)
    files: list[Any] | None = None
    descriptions: list[Annotated[str, Field(max_length=5000)]] | None = Field(None, max_length=20)


class NewMessageForm(MessageForm):
    """A first message: `to` and `add` hold usernames separated by commas or spaces."""

    to: Names = ""
    add: Names = ""
