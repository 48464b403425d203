"""How an open stream learns that its token no longer authenticates, and ends.

A stream (shutter/notifications/streaming.py) authenticates once, when it opens, and may
stay open for hours; Mastodon closes the streams of a token when it is revoked. What
revokes access (`auth.service.access_revoked`: a revoked token, a refresh that rotates
it, and whatever later ends every token of an account) publishes, after its commit, an
event on the account's access channel (`infra.events.access_channel`): `token_id` names
the one token, or is absent when every token of the account is concerned. Each stream
listens to that channel of its account, so it ends within moments on any instance (the
event goes through Redis pub/sub when scaled).

Events are fire-and-forget: one published while Redis is unreachable, or lost while a
process reconnects to it, reaches no one. So a stream also authenticates its token again
from the database every `RECHECK_SECONDS` (one indexed query per open stream and period)
and when the token expires. If the database cannot be reached then, the stream goes on
and tries again a period later: an outage does not cut every client at once.
"""

from __future__ import annotations

import random
import time
from typing import Any

import structlog

from shutter.auth import service as auth
from shutter.auth.scopes import covers
from shutter.auth.service import Caller
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.events import access_channel
from shutter.infra.health import is_unavailable

log = structlog.get_logger("shutter.auth")

RECHECK_SECONDS = 60.0


class AccessEnded(Exception):
    """The stream's token no longer authenticates: the stream must end."""


class AccessWatch:
    """Whether a stream's token still authenticates (with one of `scopes`)."""

    def __init__(self, ctx: AppContext, raw_token: str, caller: Caller, scopes: str) -> None:
        assert caller.account is not None, "streams are opened by user tokens"
        self._ctx = ctx
        self._raw_token = raw_token
        self._token_id = caller.token_id
        self._scopes = scopes
        self._expires_at = caller.expires_at
        self.channel = access_channel(caller.account.id)
        self.due_at = self._next_due()

    def _next_due(self) -> float:
        # Spread over the last fifth of the period, so streams opened together (clients
        # reconnecting after a restart) do not all query in the same second.
        wait = RECHECK_SECONDS * random.uniform(0.8, 1.0)
        if self._expires_at is not None:
            wait = min(wait, (self._expires_at - utcnow()).total_seconds())
        return time.monotonic() + max(0.0, wait)

    def revoked_by(self, event: dict[str, Any]) -> None:
        """Raise AccessEnded if `event`, from `channel`, revokes this stream's token."""
        if event.get("event") != "revoked":
            return
        token_id = event.get("token_id")
        if token_id is None or token_id == self._token_id:
            raise AccessEnded

    async def recheck(self) -> None:
        """Authenticate the token again (due at `due_at`); AccessEnded if it fails."""
        if self._expires_at is not None and self._expires_at <= utcnow():
            raise AccessEnded
        try:
            async with self._ctx.db.read() as session:
                caller = await auth.authenticate(session, self._raw_token)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("stream_recheck_failed", error=str(exc) or repr(exc))
        else:
            if not self._still_valid(caller):
                raise AccessEnded
        self.due_at = self._next_due()

    def _still_valid(self, caller: Caller | None) -> bool:
        if caller is None or caller.account is None or caller.token_id != self._token_id:
            return False
        if caller.account.disabled_at is not None:
            return False  # a disabled account's token stays, but no stream serves it
        return any(covers(caller.scopes, scope) for scope in self._scopes.split())
