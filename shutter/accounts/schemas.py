"""Account entities as Mastodon clients read them, and the parameters of account routes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shutter.accounts.models import Account
from shutter.accounts.permissions import ROLE_IDS, USER, permissions_of
from shutter.infra.formats import iso, link_html, text_to_html
from shutter.infra.params import QueryParams, RequestParams
from shutter.infra.settings import Settings
from shutter.media.schemas import media_url


def avatar_url(account: Account, settings: Settings) -> str:
    if account.avatar_key:
        return media_url(account.avatar_key, settings)
    return f"{settings.base_url}/static/missing-avatar.png"


def account_json(account: Account, settings: Settings) -> dict[str, Any]:
    avatar = avatar_url(account, settings)
    header = f"{settings.base_url}/static/missing-header.png"
    body: dict[str, Any] = {
        "id": str(account.id),
        "username": account.username,
        "acct": account.username,
        "display_name": account.display_name,
        "locked": account.locked,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "hide_collections": False,
        "noindex": False,
        "created_at": iso(account.created_at),
        "note": text_to_html(account.note),
        "url": f"{settings.base_url}/@{account.username}",
        "uri": f"{settings.base_url}/users/{account.username}",
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": account.followers_count,
        "following_count": account.following_count,
        "statuses_count": account.statuses_count,
        "last_status_at": account.last_status_at.date().isoformat()
        if account.last_status_at
        else None,
        "emojis": [],
        "fields": [{"name": "Website", "value": link_html(account.website), "verified_at": None}]
        if account.website
        else [],
        "roles": [],
    }
    if account.silenced_at is not None:
        body["limited"] = True  # Mastodon's optional fields: present only when true
    if account.suspended_at is not None or account.deleted_at is not None:
        body |= _unavailable(settings)
    return body


def _unavailable(settings: Settings) -> dict[str, Any]:
    """What Mastodon shows of a suspended account (a deleted one is shown so too): the
    name and nothing else."""
    missing = f"{settings.base_url}/static/missing-avatar.png"
    header = f"{settings.base_url}/static/missing-header.png"
    return {
        "suspended": True,
        "display_name": "",
        "note": "",
        "locked": False,
        "avatar": missing,
        "avatar_static": missing,
        "header": header,
        "header_static": header,
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": 0,
        "last_status_at": None,
        "fields": [],
        "emojis": [],
        "roles": [],
    }


def credential_account_json(
    account: Account, settings: Settings, *, follow_requests_count: int
) -> dict[str, Any]:
    body = account_json(account, settings)
    body["source"] = {
        "privacy": account.privacy,
        "sensitive": account.default_sensitive,
        "language": account.default_language or "",
        "note": account.note,
        # The source is what the person wrote; `fields` above is its HTML.
        "fields": [{"name": "Website", "value": account.website, "verified_at": None}]
        if account.website
        else [],
        "follow_requests_count": follow_requests_count,
        "discoverable": True,
        "indexable": True,
        "hide_collections": False,
    }
    body["role"] = role_json(account.role)
    return body


def role_json(role: str) -> dict[str, Any]:
    """Mastodon's Role entity of one of the fixed roles (accounts/permissions.py)."""
    return {
        "id": ROLE_IDS.get(role, ROLE_IDS[USER]),
        "name": role if role != USER else "",
        "permissions": str(int(permissions_of(role))),
        "color": "",
        "highlighted": role != USER,
    }


class SignUpParams(RequestParams):
    username: str
    email: str
    password: str
    agreement: bool | None = None
    locale: str | None = None
    reason: str | None = None
    date_of_birth: str | None = None
    # Shutter's invite links (docs/api.md): Mastodon's web sign-up takes the same code.
    invite_code: str | None = None


class SourceParams(RequestParams):
    """`source[…]` of update_credentials: the defaults of new posts."""

    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None


class UpdateCredentialsParams(RequestParams):
    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    hide_collections: bool | None = None
    indexable: bool | None = None
    website: str | None = None
    avatar: Any = None
    header: Any = None
    avatar_description: str | None = None
    header_description: str | None = None
    fields_attributes: Any = None
    source: SourceParams | None = None
    attribution_domains: Any = None


class LookupParams(QueryParams):
    acct: str = Field(min_length=1)


class RelationshipsParams(QueryParams):
    id: list[str] | str = Field(default_factory=list)
    with_suspended: bool = False


def userinfo_json(account: Account, settings: Settings) -> dict[str, Any]:
    """OpenID Connect claims of an account, as Mastodon's /oauth/userinfo gives them."""
    profile = account_json(account, settings)
    return {
        "iss": settings.base_url + "/",
        "sub": profile["uri"],
        "name": account.display_name or account.username,
        "preferred_username": account.username,
        "profile": profile["url"],
        "picture": profile["avatar"],
    }


class PasswordChangeParams(RequestParams):
    current_password: str = Field(max_length=4096)
    password: str


class PasswordResetParams(RequestParams):
    email: str = Field(max_length=320)


class PasswordResetConfirmParams(RequestParams):
    token: str = Field(max_length=200)
    password: str
    password_confirmation: str | None = None


class ResetPageParams(QueryParams):
    token: str = ""


class ConfirmationParams(QueryParams):
    confirmation_token: str = ""


class ConfirmationResendParams(RequestParams):
    email: str | None = Field(None, max_length=320)


class EmailChangeParams(RequestParams):
    email: str = Field(max_length=320)
    current_password: str = Field(max_length=4096)


class InviteParams(RequestParams):
    """`POST /api/v1/shutter/invites`: no limit given means unlimited uses, no expiry."""

    max_uses: int | None = None
    expires_in: int | None = None
