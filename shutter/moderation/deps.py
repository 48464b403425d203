"""Who may use a moderation route: a user token with the route's admin scope AND a role
with the permission (Mastodon answers 403 to either missing)."""

# No `from __future__ import annotations`: the dependency's annotation names `scope`, a
# local that FastAPI could not resolve from a string.
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends

from shutter.accounts.models import Account
from shutter.accounts.permissions import Permission, require
from shutter.auth.deps import user


def staff(scope: str, permission: Permission) -> Callable[..., Coroutine[Any, Any, Account]]:
    """The caller's account, if its token holds `scope` and its role grants `permission`."""

    checked = Depends(user(scope))

    async def dependency(me: Annotated[Account, checked]) -> Account:
        return require(me, permission)

    return dependency


def _staff(scope: str, permission: Permission) -> Any:
    return Annotated[Account, Depends(staff(scope, permission))]


UserReader = _staff("admin:read:accounts", Permission.MANAGE_USERS)
UserManager = _staff("admin:write:accounts", Permission.MANAGE_USERS)
DataDeleter = _staff("admin:write:accounts", Permission.DELETE_USER_DATA)
RoleManager = _staff("admin:write:accounts", Permission.MANAGE_ROLES)
ReportReader = _staff("admin:read:reports", Permission.MANAGE_REPORTS)
ReportManager = _staff("admin:write:reports", Permission.MANAGE_REPORTS)
PostRemover = _staff("admin:write", Permission.MANAGE_REPORTS)
DashboardReader = _staff("admin:read", Permission.VIEW_DASHBOARD)
AuditReader = _staff("admin:read", Permission.VIEW_AUDIT_LOG)
