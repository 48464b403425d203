"""Reading Shutter's streams from a test: an open SSE stream's lines, its events, and
whether the server ends an SSE stream or closes a WebSocket within a time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import websockets
from websockets.asyncio.client import ClientConnection


@contextlib.asynccontextmanager
async def open_sse(
    http: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> AsyncIterator[AsyncIterator[str]]:
    """The lines of an open SSE stream, past its opening `:)`."""
    async with http.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        lines = response.aiter_lines()
        assert await asyncio.wait_for(lines.__anext__(), 1) == ":)"
        yield lines


async def sse_ends(lines: AsyncIterator[str], within: float) -> bool:
    """Whether the stream finishes within `within` seconds (heartbeats may come first)."""
    try:
        async with asyncio.timeout(within):
            async for _line in lines:
                pass
    except TimeoutError:
        return False
    return True


async def sse_event(lines: AsyncIterator[str], wait: float = 2.0) -> dict[str, str]:
    """The next event's fields (`event`, `data`), heartbeats skipped."""
    event: dict[str, str] = {}
    while "data" not in event:
        line = await asyncio.wait_for(lines.__anext__(), wait)
        if line and not line.startswith(":"):
            key, _, value = line.partition(": ")
            event[key] = value
    return event


async def ws_closed(socket: ClientConnection, within: float) -> int | None:
    """The close code if the server closes the socket within `within` seconds."""
    try:
        async with asyncio.timeout(within):
            while True:
                await socket.recv()
    except websockets.ConnectionClosed:
        return socket.close_code
    except TimeoutError:
        return None
