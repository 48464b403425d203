"""Account jobs: mailing single-use links (shutter/accounts/service/links.py)."""

from __future__ import annotations

from typing import Any

import structlog

from shutter.accounts.service import links
from shutter.infra.context import AppContext
from shutter.infra.jobs import handles
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
