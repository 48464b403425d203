"""Helpers of the moderation tests: counting what a refused request must not write,
and reading an account's notifications of a type."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from shutter.infra.context import AppContext
from shutter.moderation.models import AccountWarning, ModerationAction, Report
from tests.support.api import User


async def moderation_rows(ctx: AppContext) -> tuple[int, int, int]:
    """(reports, warnings, audit log entries): a refusal changes none of them."""
    async with ctx.db.read() as session:
        counts = []
        for model in (Report, AccountWarning, ModerationAction):
            counts.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
        return counts[0], counts[1], counts[2]


async def notifications_of(
    client: httpx.AsyncClient, user: User, type: str
) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/notifications", params={"types[]": type}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def grouped_of(client: httpx.AsyncClient, user: User, type: str) -> dict[str, Any]:
    response = await client.get(
        "/api/v2/notifications", params={"types[]": type}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found
