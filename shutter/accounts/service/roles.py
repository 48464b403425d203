"""Changing an account's role (user, moderator, admin): the CLI and the admin API."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.accounts.permissions import ROLE_BY_ID, ROLES
from shutter.infra.db import account_changed, utcnow
from shutter.infra.errors import not_found, unprocessable


def parse_role(raw: str) -> str:
    """A role by name (`moderator`) or by its Role id (`2`); 422 for anything else."""
    name = ROLE_BY_ID.get(raw.strip(), raw.strip().lower())
    if name not in ROLES:
        raise unprocessable(f"role must be one of {', '.join(ROLES)}", field="role")
    return name


async def do_set_role(session: AsyncSession, *, account_id: int, role: str) -> Account:
    """Give the account `role` (idempotent); 404 for no such account, 422 for no such role.
    Its remembered callers are read again, so the change applies to its next request."""
    name = parse_role(role)
    account = await session.get(Account, account_id)
    if account is None or account.deleted_at is not None:
        raise not_found("Account")
    if account.role != name:
        account.role = name
        account.updated_at = utcnow()  # the Role entity shows in its JSON
        account_changed(session, account.id)
        await session.flush()
    return account
