"""Parameters of the list routes, as Mastodon clients send them."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from shutter.infra.ids import parse_id
from shutter.infra.pagination import (
    DEFAULT_ACCOUNT_LIMIT,
    MAX_ACCOUNT_LIMIT,
    WHOLE_NUMBER,
    PageParams,
)
from shutter.infra.params import IdListParam, RequestParams


# A list's members at once: Mastodon's limit is capped like every account list, but 0
# means all of them.
def _member_limit(value: int) -> int:
    return 0 if value == 0 else max(1, min(value, MAX_ACCOUNT_LIMIT))


MemberLimit = Annotated[int, WHOLE_NUMBER, AfterValidator(_member_limit)]


class ListParams(RequestParams):
    title: str = Field(max_length=10_000)
    replies_policy: str = "list"
    exclusive: bool = False


class ListUpdateParams(RequestParams):
    title: str | None = Field(None, max_length=10_000)
    replies_policy: str | None = None
    exclusive: bool | None = None


class MembersParams(RequestParams):
    account_ids: IdListParam = Field(default_factory=list, max_length=1000)

    def ids(self) -> list[int]:
        return [found for raw in self.account_ids if (found := parse_id(raw)) is not None]


class MemberPageParams(PageParams):
    limit: MemberLimit = DEFAULT_ACCOUNT_LIMIT
