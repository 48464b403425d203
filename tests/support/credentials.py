"""Log-ins and the password-reset form, as a client and a browser use them."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx

from tests.support.api import register_app

PASSWORD = "correct horse battery"  # what tests.support.api.sign_up gives everyone
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def password_grant(
    http: httpx.AsyncClient,
    login: str,
    password: str = PASSWORD,
    *,
    app: dict[str, Any] | None = None,
    scope: str | None = "read write",
) -> httpx.Response:
    """POST /oauth/token with the password grant, through `app` (an app of its own if
    none); `scope` None leaves the scope out (the app's default)."""
    app = app or await register_app(http)
    data = {
        "grant_type": "password",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "username": login,
        "password": password,
    }
    if scope is not None:
        data["scope"] = scope
    return await http.post("/oauth/token", data=data)


async def log_in(
    http: httpx.AsyncClient, login: str, password: str = PASSWORD, *, scope: str = "read write"
) -> str:
    """A new access token of the account, or an AssertionError showing the answer."""
    answer = await password_grant(http, login, password, scope=scope)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def form_of(page: str) -> tuple[str, dict[str, Any]]:
    """The action and hidden fields of the one form on `page`."""
    actions = re.findall(r'<form method=post action="([^"]+)">', page)
    assert len(actions) == 1, page
    hidden = {
        unescape(name): unescape(value)
        for name, value in re.findall(
            r'<input type=hidden name="?([^" ]+)"? value="([^"]*)">', page
        )
    }
    return unescape(actions[0]), hidden
