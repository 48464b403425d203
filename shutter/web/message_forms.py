"""The parameters of the direct-message forms (see shutter/web/forms.py)."""

from __future__ import annotations

from pydantic import Field

from shutter.web.forms import CsrfForm


class MessageForm(CsrfForm):
    """A message in a conversation (a direct reply to its last message)."""

    status: str = Field("", max_length=5000)


class NewMessageForm(CsrfForm):
    """A first message to someone: `to` is their username."""

    to: str = Field("", max_length=320)
    status: str = Field("", max_length=5000)
