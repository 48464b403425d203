"""When, where and from what device each token is used: what the sessions list shows.

A token records the address and User-Agent it was issued to, and the time, address and
User-Agent of its last use. Writing the last use on every request would turn every read
into a write, so it is written at most once per `token_use_interval_seconds` per token:
the route's caller says when its token was last known used (`Usage`), and only when
that is older than the interval does the request write, after its response is sent
(a background task of its own transaction, never failing the request).

A caller remembered by this process (auth/callers.py) outlives many requests, and the
last use it was loaded with would soon always look old; so `Usage` is mutable and
shared by every request of that remembered caller: the first request past the interval
claims it, and the others see it claimed. Each API process writes at most once per
interval and token, and the UPDATE itself is conditional, so processes that race write
the row once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import update
from starlette.requests import HTTPConnection

from shutter.auth.models import Token
from shutter.infra.context import AppContext

log = structlog.get_logger("shutter.auth")

# Column widths of oauth_tokens (migration 0007): an IPv6 address with a zone fits in 64,
# and a User-Agent past 255 characters tells a person nothing more.
MAX_IP_CHARS = 64
MAX_USER_AGENT_CHARS = 255


@dataclass(frozen=True)
class Device:
    """The client side of a request: its address and its User-Agent (either may be
    unknown)."""

    ip: str | None
    user_agent: str | None


def _printable(text: str, limit: int) -> str | None:
    # Header values arrive as latin-1 text; control characters have no place in a list
    # a person reads (and PostgreSQL refuses a NUL).
    kept = "".join(char for char in text if char.isprintable()).strip()
    return kept[:limit] or None


def device_of(connection: HTTPConnection) -> Device:
    """The device of a request (the client address uvicorn resolved, behind a trusted
    proxy the forwarded one)."""
    client = connection.client
    ip = _printable(client.host, MAX_IP_CHARS) if client and client.host else None
    user_agent = connection.headers.get("user-agent")
    return Device(ip, _printable(user_agent, MAX_USER_AGENT_CHARS) if user_agent else None)


class Usage:
    """When this process last knew a token used; shared by the requests of a caller."""

    __slots__ = ("last_used_at",)

    def __init__(self, last_used_at: datetime | None = None) -> None:
        self.last_used_at = last_used_at

    def claim(self, now: datetime, interval: timedelta) -> bool:
        """Whether a use at `now` is to be written (and, if so, note it as written)."""
        if self.last_used_at is not None and now - self.last_used_at < interval:
            return False
        self.last_used_at = now
        return True


async def do_record_use(
    ctx: AppContext, *, token_id: int, device: Device, used_at: datetime, interval: timedelta
) -> None:
    """Write a token's last use unless another process wrote one within `interval`.

    Runs after the response in a transaction of its own; a failure is logged, not raised
    (the use is written again at the next claim).
    """
    try:
        async with ctx.db.write() as session:
            await session.execute(
                update(Token)
                .where(
                    Token.id == token_id,
                    Token.last_used_at.is_(None) | (Token.last_used_at <= used_at - interval),
                )
                .values(last_used_at=used_at, last_ip=device.ip, last_user_agent=device.user_agent)
                .execution_options(synchronize_session=False)
            )
    except Exception as exc:
        log.warning("token_use_not_recorded", token_id=token_id, error=str(exc) or repr(exc))
