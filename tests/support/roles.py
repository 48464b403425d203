"""Accounts with a role (admin, moderator), until the admin API can give one."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from shutter.infra.db import account_changed
from tests.support.api import User, app_token, register_app

STAFF_SCOPES = "read write follow push admin:read admin:write"


async def sign_up_with(
    client: httpx.AsyncClient, username: str, *, scopes: str = STAFF_SCOPES, **fields: str
) -> httpx.Response:
    """POST /api/v1/accounts with an app token of `scopes` (the new token gets them)."""
    token = await app_token(client, await register_app(client, scopes))
    body = {
        "username": username,
        "email": f"{username.lower()}@example.com",
        "password": "correct horse battery",
        "agreement": "true",
    }
    return await client.post(
        "/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}, data=body | fields
    )


async def give_role(ctx: AppContext, user: User, role: str) -> None:
    async with ctx.db.write() as session:
        await session.execute(update(Account).where(Account.id == int(user.id)).values(role=role))
        account_changed(session, int(user.id))


async def staff(client: httpx.AsyncClient, ctx: AppContext, username: str, role: str) -> User:
    """A new active account with `role` and a token holding the admin scopes too."""
    response = await sign_up_with(client, username)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert me.status_code == 200, me.text
    user = User(id=me.json()["id"], username=username, token=token)
    await give_role(ctx, user, role)
    return user
