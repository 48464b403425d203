"""Notification, NotificationGroup and Marker entities, and the route parameters."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import field_validator

from shutter.infra.formats import iso
from shutter.infra.pagination import WHOLE_NUMBER, Limit80, PageParams, at_most
from shutter.infra.params import IdParam, QueryParams, RequestParams
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
