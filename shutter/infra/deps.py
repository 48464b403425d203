"""FastAPI dependencies shared by every service's routes, aliased as types."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.context import AppContext


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def _read_session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    async with ctx.db.read() as session:
        yield session


async def _write_session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    async with ctx.db.write() as session:
        yield session


# scope="function": the transaction commits before the response is sent, so a client
# that gets a 200 can read what it wrote, and a failed commit is the client's error.
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
WriteSession = Annotated[AsyncSession, Depends(_write_session, scope="function")]
