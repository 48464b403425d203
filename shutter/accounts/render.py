"""Account entities through the entity cache, keyed by id and `updated_at`.

Every change an account's JSON shows (profile fields, avatar, its counters: see
`service.adjust_counts`) moves `updated_at`, so the key changes with it and a reader
never gets a stale copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shutter.accounts.models import Account
from shutter.accounts.schemas import account_json
from shutter.emojis.catalog import current_emojis
from shutter.infra.context import AppContext


def account_key(account: Account) -> str:
    return f"account:{account.id}:{account.updated_at.timestamp()}"


async def render_accounts(ctx: AppContext, accounts: Iterable[Account]) -> list[dict[str, Any]]:
    """Accounts as JSON, in order: one multi-get, the misses rendered and stored."""
    listed = list(accounts)
    keys = [account_key(account) for account in listed]
    found = await ctx.cache.get_many(keys)
    fresh = {
        key: account_json(account, ctx.settings)
        for key, account in zip(keys, listed, strict=True)
        if key not in found
    }
    if fresh:
        await ctx.cache.set_many(fresh)
    bodies = [found.get(key) or fresh[key] for key in keys]
    # After the cache: which emojis a name or bio uses is no part of its version
    # (emojis/catalog.py).
    if emojis := await current_emojis(ctx):
        return [emojis.fill_account(body) for body in bodies]
    return bodies


async def render_account(ctx: AppContext, account: Account) -> dict[str, Any]:
    return (await render_accounts(ctx, [account]))[0]
