"""Leaving, by the owner: deactivating an account (reversible by logging in again) and
deleting it (a tombstone at once, the data removed by jobs). Both ask the password."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.accounts.service import states
from shutter.accounts.service.passwords import check_current_password
from shutter.auth.service import Caller
from shutter.infra.context import AppContext
from shutter.infra.errors import ApiError, unprocessable


async def _check_password(
    session: AsyncSession, *, ctx: AppContext, account_id: int, password: str
) -> None:
    """422 unless `password` is the account's (each try counts against its log-in limit)."""
    try:
        await check_current_password(session, ctx=ctx, account_id=account_id, password=password)
    except ApiError as refused:
        if refused.status != 422:
            raise  # 429: too many tries
        raise unprocessable("password is incorrect", field="password") from None


async def _own_account(session: AsyncSession, caller: Caller) -> Account:
    """The caller's account as this session holds it (the caller's copy may come from
    another session, or from the remembered callers: auth/callers.py)."""
    assert caller.account is not None, "a user token"
    account = await session.get(Account, caller.account.id)
    assert account is not None, "a live token's account exists"
    return account


async def do_deactivate_own(
    session: AsyncSession, *, ctx: AppContext, caller: Caller, password: str
) -> None:
    """Deactivate the caller's account: hidden everywhere, every token (this one too) and
    stream ends; logging in again with the password undoes it."""
    account = await _own_account(session, caller)
    await _check_password(session, ctx=ctx, account_id=account.id, password=password)
    await states.deactivate(session, account)


async def do_delete_own(
    session: AsyncSession, *, ctx: AppContext, caller: Caller, password: str
) -> None:
    """Delete the caller's account (states.delete_account): a tombstone now, whose data
    jobs remove; the username stays reserved, the address is free."""
    account = await _own_account(session, caller)
    await _check_password(session, ctx=ctx, account_id=account.id, password=password)
    await states.delete_account(session, account)
