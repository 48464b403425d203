"""What filters do when other services act (shutter/infra/domain.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.events import AccountDeleted
from shutter.filters import service
from shutter.infra.domain import subscribe


@subscribe(AccountDeleted)
async def on_account_deleted(session: AsyncSession, event: AccountDeleted) -> None:
    # In the deletion's own transaction: an account has at most MAX_FILTERS filters.
    await service.do_remove_account(session, account_id=event.account_id)
