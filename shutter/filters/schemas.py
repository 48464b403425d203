"""Filter entities (Filter, FilterKeyword, FilterStatus, V1::Filter) and route parameters."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from shutter.filters.models import Filter, FilterKeyword, FilterStatus
from shutter.infra.formats import iso
from shutter.infra.params import OptionalIdParam, RequestParams


def contexts_of(filter: Filter) -> list[str]:
    return filter.context.split(",")


def keyword_json(keyword: FilterKeyword) -> dict[str, Any]:
    return {"id": str(keyword.id), "keyword": keyword.keyword, "whole_word": keyword.whole_word}


def filter_status_json(status: FilterStatus) -> dict[str, Any]:
    return {"id": str(status.id), "status_id": str(status.post_id)}


def filter_json(
    filter: Filter, keywords: list[FilterKeyword], statuses: list[FilterStatus]
) -> dict[str, Any]:
    return {
        "id": str(filter.id),
        "title": filter.title,
        "context": contexts_of(filter),
        "expires_at": iso(filter.expires_at),
        "filter_action": filter.action,
        "keywords": [keyword_json(k) for k in keywords],
        "statuses": [filter_status_json(s) for s in statuses],
    }


def v1_filter_json(keyword: FilterKeyword, filter: Filter) -> dict[str, Any]:
    """A keyword as the v1 API shows it: one phrase with its filter's settings."""
    return {
        "id": str(keyword.id),
        "phrase": keyword.keyword,
        "context": contexts_of(filter),
        "whole_word": keyword.whole_word,
        "expires_at": iso(filter.expires_at),
        "irreversible": filter.action == "hide",
    }


def _one_or_many(value: object) -> object:
    return value if value is None or isinstance(value, list) else [value]


def _rails_hashes(value: object) -> object:
    """`keywords_attributes` as a list of hashes, however a client sent it.

    A JSON array passes as is; `a[0][keyword]=…` (a hash of hashes) is taken in key order;
    `a[][keyword]=x&a[][whole_word]=1` arrives as one hash per field and is put together
    as Rails does: a new hash starts when a field repeats.
    """
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=lambda k: (len(str(k)), str(k)))]
    # Form fields each make a hash of one field; a JSON array of whole hashes is kept.
    if not isinstance(value, list) or not all(isinstance(i, dict) and len(i) == 1 for i in value):
        return value
    merged: list[dict[str, Any]] = []
    for item in value:
        if merged and not set(item) & set(merged[-1]):
            merged[-1] |= item
        else:
            merged.append(dict(item))
    return merged


def _not_a_boolean(value: object) -> object:
    if isinstance(value, bool):  # JSON true would pass as 1 second
        raise PydanticCustomError("seconds", "must be a number of seconds")
    return value


Contexts = Annotated[list[str], BeforeValidator(_one_or_many)]
# Seconds from now, or blank for no expiry: checked by the service (a clear 422).
ExpiresIn = Annotated[int | str | None, BeforeValidator(_not_a_boolean)]


class KeywordAttributes(BaseModel):
    """One entry of `keywords_attributes`: a new keyword, or (with `id`) a change to one
    or (with `_destroy`) its removal."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: OptionalIdParam = None
    keyword: str | None = None
    whole_word: bool | None = None
    destroy: bool = Field(False, alias="_destroy")


class FilterParams(RequestParams):
    title: str | None = None
    context: Contexts | None = None
    filter_action: str | None = None
    expires_in: ExpiresIn = None
    keywords_attributes: Annotated[
        list[KeywordAttributes] | None, BeforeValidator(_rails_hashes)
    ] = None


class KeywordParams(RequestParams):
    keyword: str | None = None
    whole_word: bool | None = None


class FilterStatusParams(RequestParams):
    status_id: OptionalIdParam = None


class V1FilterParams(RequestParams):
    phrase: str | None = None
    context: Contexts | None = None
    irreversible: bool | None = None
    whole_word: bool | None = None
    expires_in: ExpiresIn = None
