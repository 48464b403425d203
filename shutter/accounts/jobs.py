"""Account jobs: mailing single-use links (shutter/accounts/service/links.py), removing a
deleted account's own data, and what authentication publishes (a deactivated owner
logging in again: shutter/accounts/service/states.py)."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.accounts.service import links, states
from shutter.auth.events import DeactivatedAccountLoggedIn
from shutter.infra.context import AppContext
from shutter.infra.domain import subscribe
from shutter.infra.jobs import enqueue, handles
from shutter.infra.mail import deliver

log = structlog.get_logger("shutter.accounts")


@handles(links.SEND_LINK)
async def send_link(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Make the link's token, commit it, then mail it.

    Committed first, so a mailed link always works; a failed send raises, and the retry
    makes a new token that replaces this one (safe to run twice: the last mail wins).
    """
    async with ctx.db.write() as session:
        mail = await links.do_issue_link(
            session,
            settings=ctx.settings,
            purpose=payload["purpose"],
            email=payload["email"],
            account_id=payload["account_id"],
        )
    if mail is None:  # no such address, or no longer wanted: nothing is sent
        log.info("link_not_sent", purpose=payload["purpose"])
        return
    await deliver(ctx.settings, mail)


@handles(states.PURGE)
async def purge(ctx: AppContext, payload: dict[str, Any]) -> None:
    """One batch of a deleted account's media and tokens; the next batch is its own job."""
    account_id = int(payload["account_id"])
    async with ctx.db.write() as session:
        if await states.do_purge(session, account_id=account_id):
            enqueue(session, states.PURGE, {"account_id": account_id})


@subscribe(DeactivatedAccountLoggedIn)
async def on_deactivated_log_in(session: AsyncSession, event: DeactivatedAccountLoggedIn) -> None:
    """Instagram's rule: logging in again undoes a deactivation (in the log-in's transaction)."""
    account = await session.get(Account, event.account_id)
    if account is not None:
        await states.reactivate(session, account)
