"""The parameters of the lists pages' form routes (shutter/web/pages/lists.py), as
models: bad input is a 422 before the route runs, and the hostile-input sweep sees every
text field. The rules (a title's length, who may join) are the lists service's."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shutter.infra.params import QueryParams
from shutter.web.forms import CsrfForm

# Mastodon's replies policies (lists/models.REPLIES_POLICIES).
RepliesPolicy = Literal["followed", "list", "none"]


class ListForm(CsrfForm):
    """A new list, or a list's settings: the service checks the title (blank, too long)."""

    title: str = Field("", max_length=1000)
    replies_policy: RepliesPolicy = "list"
    # A checkbox: present ("true") when ticked; the form sends every field, so an
    # absent box means "not exclusive".
    exclusive: Literal["true"] | None = None


class DeleteListForm(CsrfForm):
    # Only a confirmed form deletes; an unconfirmed one is answered with the question.
    confirmed: bool = False


class MembersQuery(QueryParams):
    """The members page's search among the accounts one follows."""

    q: str = Field("", max_length=200)
