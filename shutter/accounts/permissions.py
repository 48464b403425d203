"""Roles and what they may do: Mastodon's permission bits (UserRole::FLAGS), one answer
to "may this account do X".

Three fixed roles, as Mastodon seeds them: everyone may invite; a moderator handles
reports, users and the dashboard; an admin is `administrator`, which implies every
other bit. The bitmask is what clients read in the Role entity's `permissions`.
"""

from __future__ import annotations

from enum import IntFlag

from shutter.accounts.models import Account
from shutter.infra.errors import forbidden


class Permission(IntFlag):
    ADMINISTRATOR = 1 << 0
    DEVOPS = 1 << 1
    VIEW_AUDIT_LOG = 1 << 2
    VIEW_DASHBOARD = 1 << 3
    MANAGE_REPORTS = 1 << 4
    MANAGE_FEDERATION = 1 << 5
    MANAGE_SETTINGS = 1 << 6
    MANAGE_BLOCKS = 1 << 7
    MANAGE_TAXONOMIES = 1 << 8
    MANAGE_APPEALS = 1 << 9
    MANAGE_USERS = 1 << 10
    MANAGE_INVITES = 1 << 11
    MANAGE_RULES = 1 << 12
    MANAGE_ANNOUNCEMENTS = 1 << 13
    MANAGE_CUSTOM_EMOJIS = 1 << 14
    MANAGE_WEBHOOKS = 1 << 15
    INVITE_USERS = 1 << 16
    MANAGE_ROLES = 1 << 17
    MANAGE_USER_ACCESS = 1 << 18
    DELETE_USER_DATA = 1 << 19
    VIEW_FEEDS = 1 << 20


USER, MODERATOR, ADMIN = "user", "moderator", "admin"
ROLES = (USER, MODERATOR, ADMIN)
STAFF = (MODERATOR, ADMIN)

_EVERYONE = Permission.INVITE_USERS
ROLE_PERMISSIONS: dict[str, Permission] = {
    USER: _EVERYONE,
    MODERATOR: _EVERYONE
    | Permission.VIEW_DASHBOARD
    | Permission.VIEW_AUDIT_LOG
    | Permission.MANAGE_USERS
    | Permission.MANAGE_REPORTS
    | Permission.MANAGE_TAXONOMIES,
    ADMIN: _EVERYONE | Permission.ADMINISTRATOR,
}
# The ids clients see (Mastodon's: -99 is the everyone role).
ROLE_IDS = {USER: "-99", MODERATOR: "2", ADMIN: "3"}
ROLE_BY_ID = {value: key for key, value in ROLE_IDS.items()}


def permissions_of(role: str) -> Permission:
    return ROLE_PERMISSIONS.get(role, ROLE_PERMISSIONS[USER])


def may(account: Account, permission: Permission) -> bool:
    """Whether `account`'s role grants `permission` (administrator grants all)."""
    granted = permissions_of(account.role)
    return bool(granted & Permission.ADMINISTRATOR) or permission in granted


def require(account: Account, permission: Permission) -> Account:
    """`account` if its role grants `permission`, else Mastodon's 403."""
    if not may(account, permission):
        raise forbidden()
    return account


def outranks(actor: Account, target: Account) -> bool:
    """Whether `actor` may act on `target`: never on oneself, and only an admin on an
    admin (Mastodon: a role acts only on lower positions)."""
    if actor.id == target.id:
        return False
    return target.role != ADMIN or actor.role == ADMIN
