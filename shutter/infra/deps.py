"""FastAPI dependencies shared by every service's routes, aliased as types."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.context import AppContext
from shutter.infra.replicas import client_key


def context_of(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


async def get_ctx(request: Request) -> AppContext:
    # async: FastAPI runs a plain `def` dependency on a worker thread, a thread hop that
    # cost more than the rest of a cheap route.
    return context_of(request)


Ctx = Annotated[AppContext, Depends(get_ctx)]

# The dependencies below take the context from the request rather than through `Ctx`:
# FastAPI solves a dependency's own dependencies again wherever it is used, cached or
# not, and these sit under every authenticated route.


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    ctx = context_of(request)
    replica = ctx.db.has_replicas and not await ctx.db.sticky.is_sticky(client_key(request))
    async with ctx.db.read(replica=replica) as session:
        yield session


def refuse_writes(request: Request) -> None:
    """The request ends in a refusal answered without the exception passing through its
    write session (a route class turned it into a page: shutter/web/routing.py): the
    session rolls back instead of committing, so a refusal writes nothing."""
    request.state.refused = True


class _RollBack(Exception):
    """Leaves the write session's transaction by rollback (see `refuse_writes`)."""


async def _write_session(request: Request) -> AsyncIterator[AsyncSession]:
    ctx = context_of(request)
    try:
        async with ctx.db.write() as session:
            yield session
            # FastAPI closes this dependency after the route class has answered, so an
            # error that class caught never reaches the `yield`.
            if getattr(request.state, "refused", False):
                raise _RollBack
    except _RollBack:
        return
    if ctx.db.has_replicas:
        # Committed: this client's next reads must see it, which a replica may not yet.
        await ctx.db.sticky.mark(client_key(request))


# scope="function": the transaction commits before the response is sent, so a client
# that gets a 200 can read what it wrote, and a failed commit is the client's error.
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
WriteSession = Annotated[AsyncSession, Depends(_write_session, scope="function")]
