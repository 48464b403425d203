"""Graph work caused by other services: what accounts publish (shutter/infra/domain.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.events import AccountOpened
from shutter.graph import service
from shutter.infra.domain import subscribe


@subscribe(AccountOpened)
async def on_account_opened(session: AsyncSession, event: AccountOpened) -> None:
    """Mastodon's rule: opening a locked account lets everyone who asked in."""
    await service.do_approve_all_requests(session, target_id=event.account_id)
