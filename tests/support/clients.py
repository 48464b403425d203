"""Client-side helpers for tests against real servers: small photos, posts with retries,
bounded waits.

Every wait is bounded by time and by count, so a broken cluster fails a test instead of
hanging the suite.
"""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from PIL import Image

from tests.support.api import User

# What a client sees while an instance dies or restarts behind the load balancer.
RETRYABLE_STATUS = {409, 502, 503, 504}


def name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def small_png(seed: int = 0) -> bytes:
    """A 64×64 PNG: cheap to process, so a test can post many of them."""
    image = Image.new("RGB", (64, 64), ((seed * 37) % 256, (seed * 91) % 256, 120))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def retrying(
    send: Callable[[], Awaitable[httpx.Response]], *, attempts: int = 20, pause: float = 0.2
) -> tuple[httpx.Response, int]:
    """Send until the answer is not a transient failure; returns (answer, retries)."""
    for attempt in range(attempts):
        try:
            response = await send()
        except httpx.TransportError:
            await asyncio.sleep(pause)
            continue
        if response.status_code not in RETRYABLE_STATUS:
            return response, attempt
        await asyncio.sleep(pause)
    raise AssertionError(f"no answer after {attempts} attempts")


async def post_small_photo(
    http: httpx.AsyncClient, user: User, caption: str, *, seed: int = 0
) -> tuple[dict[str, Any], int]:
    """Upload a small photo and post it, retrying like a client on a flaky network.

    The post carries an Idempotency-Key, so a retry of a post whose first answer was
    lost returns the same post instead of making a second one. Returns (status, retries).
    """
    png = small_png(seed)
    uploaded, upload_retries = await retrying(
        lambda: http.post(
            "/api/v1/media",
            headers=user.headers,
            files={"file": ("photo.png", png, "image/png")},
        )
    )
    assert uploaded.status_code == 200, uploaded.text
    key = uuid.uuid4().hex
    posted, post_retries = await retrying(
        lambda: http.post(
            "/api/v1/statuses",
            headers={**user.headers, "Idempotency-Key": key},
            json={"status": caption, "media_ids": [uploaded.json()["id"]]},
        )
    )
    assert posted.status_code == 200, posted.text
    return posted.json(), upload_retries + post_retries


async def home_ids(http: httpx.AsyncClient, user: User, limit: int = 40) -> list[str]:
    response = await http.get(f"/api/v1/timelines/home?limit={limit}", headers=user.headers)
    assert response.status_code == 200, response.text
    return [status["id"] for status in response.json()]


async def wait_for(
    check: Callable[[], Awaitable[bool]], *, within: float, what: str, interval: float = 0.2
) -> None:
    """Poll `check` until it is true; fail after `within` seconds (or as many polls)."""
    deadline = time.monotonic() + within
    for _ in range(int(within / interval) + 1):
        if await check():
            return
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(interval)
    raise AssertionError(f"not within {within:.0f} s: {what}")
