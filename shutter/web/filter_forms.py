"""The parameters of the filters pages' form routes (shutter/web/pages/filters.py), as
models: a choice no form offers (an unknown action, context or expiry) is a 422 before
the route runs, and the hostile-input sweep sees every text field. Blank titles, missing
contexts and too many keywords are the filters service's to refuse, so the page can show
its message in the form.

Keywords come as rows `keywords[<n>][keyword|whole_word|id|remove]` (a row of a
filter's own keyword carries its `id`), which Shutter's parameters read as a hash keyed
by the row number; a script may send a JSON list instead. A row sent is the keyword's
whole state, as a form sends it: an unticked "Whole word" box is False.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from shutter.filters.schemas import KeywordAttributes
from shutter.filters.service import MAX_KEYWORDS
from shutter.infra.params import OptionalIdParam
from shutter.web.forms import CsrfForm

Context = Literal["home", "notifications", "public", "thread", "account"]
# Seconds, as the select offers them (Mastodon's choices); "" is never, "keep" (the edit
# form's default) leaves an expiry as it is.
Expiry = Literal["", "keep", "1800", "3600", "21600", "43200", "86400", "604800"]


def _rows(value: object) -> object:
    """Form rows (a hash keyed by row number, in number order) as a list."""
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=lambda k: (len(str(k)), str(k)))]
    return value


def _one_or_many(value: object) -> object:
    return value if value is None or isinstance(value, list) else [value]


class KeywordRow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: OptionalIdParam = None
    # Longer than the service allows (512), so that its clear message is what is shown;
    # a bound all the same.
    keyword: str = Field("", max_length=2000)
    whole_word: Literal["true"] | None = None
    remove: Literal["true"] | None = None

    def change(self) -> KeywordAttributes | None:
        """This row as the service's keyword change, or None for a blank new row or a
        new row taken back."""
        if self.id is None:
            if self.remove or not self.keyword.strip():
                return None
            return KeywordAttributes.model_validate(
                {"keyword": self.keyword, "whole_word": self.whole_word == "true"}
            )
        if self.remove:
            return KeywordAttributes.model_validate({"id": self.id, "_destroy": True})
        return KeywordAttributes.model_validate(
            {"id": self.id, "keyword": self.keyword, "whole_word": self.whole_word == "true"}
        )


class FilterForm(CsrfForm):
    """Create and edit: title, keywords, where, what and how long."""

    title: str = Field("", max_length=2000)
    context: Annotated[list[Context], BeforeValidator(_one_or_many)] = Field(
        default_factory=list, max_length=10
    )
    filter_action: Literal["warn", "hide"] = "warn"
    expires_in: Expiry = "keep"
    # Rows to add and rows of the filter's own keywords (changed or removed).
    keywords: Annotated[list[KeywordRow], BeforeValidator(_rows)] = Field(
        default_factory=list, max_length=2 * MAX_KEYWORDS
    )
    # The form's "Add keyword" button: show the form again with one more row, saving
    # nothing (static/js/filters.js adds the row in place instead).
    add_keyword: Literal["true"] | None = None

    def keyword_changes(self) -> list[KeywordAttributes]:
        return [change for row in self.keywords if (change := row.change()) is not None]


class DeleteFilterForm(CsrfForm):
    # Only a confirmed form deletes; an unconfirmed one is answered with the question.
    confirmed: bool = False
