"""Taking a profile's pictures away (Mastodon 4.2's `DELETE /api/v1/profile/avatar` and
`/header`): the profile goes back to the instance's default picture."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shutter.accounts.models import Account
from shutter.infra.db import account_changed, utcnow
from shutter.media.service.cleanup import schedule_file_deletion


async def do_remove_avatar(session: AsyncSession, *, account: Account) -> Account:
    """Back to the default avatar; removing it twice changes nothing the second time."""
    old = account.avatar_key
    if old is None:
        return account
    account.avatar_key = None
    account.updated_at = utcnow()  # a new cache key for the account's JSON
    account_changed(session, account.id)
    # Avatars are stored by content and may be shared: the file goes only if no other
    # account uses it once this commits.
    schedule_file_deletion(session, keys=[], avatars=[old], account_id=account.id)
    await session.flush()
    return account
