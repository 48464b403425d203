"""The parameters of moderation's routes, as Mastodon's clients send them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from shutter.infra.pagination import WHOLE_NUMBER, PageParams, at_most
from shutter.infra.params import IdListParam, IdParam, OptionalIdParam, RequestParams

# Mastodon's admin lists: 100 by default, at most 200.
AdminLimit = Annotated[int, WHOLE_NUMBER, at_most(200)]


def _one_or_many(value: object) -> object:
    return value if value is None or isinstance(value, list) else [value]


TextList = Annotated[list[Annotated[str, Field(max_length=100)]], BeforeValidator(_one_or_many)]


class ReportParams(RequestParams):
    account_id: IdParam
    status_ids: IdListParam = Field(default_factory=list)
    comment: str | None = None
    forward: bool = False
    category: str | None = None
    rule_ids: IdListParam = Field(default_factory=list)


class AdminReportListParams(PageParams):
    limit: AdminLimit = 100
    resolved: bool = False
    account_id: OptionalIdParam = None
    target_account_id: OptionalIdParam = None


class ReportUpdateParams(RequestParams):
    category: str | None = None
    rule_ids: IdListParam | None = None


class AdminAccountListV2Params(PageParams):
    limit: AdminLimit = 100
    origin: str | None = Field(None, max_length=10)
    status: str | None = Field(None, max_length=20)
    permissions: str | None = Field(None, max_length=20)
    role_ids: TextList = Field(default_factory=list)
    invited_by: OptionalIdParam = None
    username: str | None = Field(None, max_length=100)
    display_name: str | None = Field(None, max_length=200)
    by_domain: str | None = Field(None, max_length=300)
    email: str | None = Field(None, max_length=320)
    ip: str | None = Field(None, max_length=64)


class AdminAccountListV1Params(PageParams):
    limit: AdminLimit = 100
    local: bool = False
    remote: bool = False
    by_domain: str | None = Field(None, max_length=300)
    active: bool = False
    pending: bool = False
    disabled: bool = False
    sensitized: bool = False
    silenced: bool = False
    suspended: bool = False
    username: str | None = Field(None, max_length=100)
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    ip: str | None = Field(None, max_length=64)
    staff: bool = False


class AccountActionParams(RequestParams):
    type: str = "none"
    report_id: OptionalIdParam = None
    warning_preset_id: str | None = None  # no presets here: ignored
    text: str | None = None
    send_email_notification: bool = True


class RoleParams(RequestParams):
    role: str = Field(max_length=20)


class MeasureParams(RequestParams):
    keys: TextList = Field(min_length=1, max_length=20)
    start_at: str = Field(max_length=40)
    end_at: str = Field(max_length=40)


class RemoveStatusParams(RequestParams):
    text: str | None = None
    send_email_notification: bool = True


class AuditLogParams(PageParams):
    limit: AdminLimit = 100
