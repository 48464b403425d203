"""Notification, NotificationGroup, Marker, NotificationPolicy and NotificationRequest
entities, and the route parameters."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from shutter.infra.formats import iso
from shutter.infra.pagination import WHOLE_NUMBER, Limit80, PageParams, at_most
from shutter.infra.params import IdListParam, IdParam, QueryParams, RequestParams
from shutter.notifications.models import Marker, Notification

DEFAULT_LIMIT = 40  # at most 80 (Limit80)
UNREAD_DEFAULT, UNREAD_MAX = 100, 1000


def _as_list(value: object) -> object:
    """`types[]=a&types[]=b` arrives as a list, `types=a` as one string."""
    if value is None or value == "":
        return None
    return [value] if isinstance(value, str) else value


class FilterParams(QueryParams):
    """Which notifications a request is about (Mastodon's types, exclude_types, account_id)."""

    types: list[str] | None = None
    exclude_types: list[str] | None = None
    account_id: str | None = None
    include_filtered: bool = False

    _lists = field_validator("types", "exclude_types", mode="before")(_as_list)


class NotificationListParams(PageParams, FilterParams):
    limit: Limit80 = DEFAULT_LIMIT


class GroupedListParams(NotificationListParams):
    grouped_types: list[str] | None = None

    _grouped = field_validator("grouped_types", mode="before")(_as_list)


class UnreadCountParams(FilterParams):
    limit: Annotated[int, WHOLE_NUMBER, at_most(UNREAD_MAX)] = UNREAD_DEFAULT
    grouped_types: list[str] | None = None

    _grouped = field_validator("grouped_types", mode="before")(_as_list)


class MarkerQueryParams(QueryParams):
    timeline: list[str] | None = None

    _lists = field_validator("timeline", mode="before")(_as_list)


class MarkerPosition(RequestParams):
    last_read_id: IdParam


class MarkerParams(RequestParams):
    home: MarkerPosition | None = None
    notifications: MarkerPosition | None = None


def group_key_of(notification: Notification) -> str:
    return notification.group_key or f"ungrouped-{notification.id}"


def notification_json(
    notification: Notification,
    *,
    account: dict[str, Any],
    status: dict[str, Any] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(notification.id),
        "type": notification.type,
        "created_at": iso(notification.created_at),
        "group_key": group_key_of(notification),
        "account": account,
    }
    if notification.status_id is not None:
        body["status"] = status
    return body


def marker_json(marker: Marker) -> dict[str, Any]:
    return {
        "last_read_id": str(marker.last_read_id),
        "version": marker.version,
        "updated_at": iso(marker.updated_at),
    }


# --- notification policy and requests --------------------------------------------------

Choice = Literal["accept", "filter", "drop"]


class PolicyParams(RequestParams):
    """PATCH /api/v2/notifications/policy: the settings to change."""

    for_not_following: Choice | None = None
    for_not_followers: Choice | None = None
    for_new_accounts: Choice | None = None
    for_private_mentions: Choice | None = None
    for_limited_accounts: Choice | None = None


class V1PolicyParams(RequestParams):
    """PUT /api/v1/notifications/policy: true is `filter`, false `accept` (Mastodon 4.3)."""

    filter_not_following: bool | None = None
    filter_not_followers: bool | None = None
    filter_new_accounts: bool | None = None
    filter_private_mentions: bool | None = None


class RequestIdsParams(RequestParams):
    """The bulk accept and dismiss: `id[]`, ids of requests (others' are ignored)."""

    id: IdListParam = Field(default_factory=list)


def policy_json(settings: dict[str, str], summary: dict[str, int]) -> dict[str, Any]:
    """NotificationPolicy (v2)."""
    return settings | {"summary": summary}


def v1_policy_json(settings: dict[str, str], summary: dict[str, int]) -> dict[str, Any]:
    """V1::NotificationPolicy: `filter_*` is true unless the setting is `accept`."""
    names = ("not_following", "not_followers", "new_accounts", "private_mentions")
    return {f"filter_{n}": settings[f"for_{n}"] != "accept" for n in names} | {"summary": summary}
