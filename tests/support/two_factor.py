"""Two-factor authentication as a person and a browser go through it: a clock the codes
are checked at, set-up with a code pyotp computes, the authorize page's two steps."""

from __future__ import annotations

import re
import time
from html import unescape
from typing import Any

import httpx
import pyotp

from tests.support.api import User
from tests.support.credentials import PASSWORD, form_of

TWO_FACTOR = "/api/v1/shutter/two_factor"
OOB = "urn:ietf:wg:oauth:2.0:oob"
_CODE = re.compile(r"<code id=code>([^<]+)</code>")


class Clock:
    """The time codes are checked at: the middle of a step, moved on by hand."""

    def __init__(self) -> None:
        self.now = (time.time() // 30) * 30 + 15

    def __call__(self) -> float:
        return self.now

    def step(self, steps: int = 1) -> None:
        self.now += 30 * steps

    def code(self, secret: str, *, offset_steps: int = 0) -> str:
        return pyotp.TOTP(secret).at(self.now + 30 * offset_steps)


async def set_up(http: httpx.AsyncClient, user: User) -> dict[str, Any]:
    answer = await http.post(
        f"{TWO_FACTOR}/setup", headers=user.headers, data={"current_password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def enable(http: httpx.AsyncClient, user: User, clock: Clock) -> tuple[str, list[str]]:
    """Two-factor authentication on for `user`: its secret and recovery codes. The clock
    moves on a step, so the next code is not the one just used."""
    secret = (await set_up(http, user))["secret"]
    answer = await http.post(
        f"{TWO_FACTOR}/confirm", headers=user.headers, data={"code": clock.code(secret)}
    )
    assert answer.status_code == 200, answer.text
    clock.step()
    return secret, answer.json()["recovery_codes"]


async def two_factor_status(http: httpx.AsyncClient, user: User) -> dict[str, Any]:
    answer = await http.get(TWO_FACTOR, headers=user.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def open_authorize(
    http: httpx.AsyncClient, app: dict[str, Any], **extra: str
) -> dict[str, Any]:
    """The authorize page's form (for `app`, and the request's `extra` parameters)."""
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": OOB,
        "scope": "read write",
    } | extra
    page = await http.get("/oauth/authorize", params=query)
    assert page.status_code == 200, page.text
    return form_of(page.text)[1]


async def log_in_page(
    http: httpx.AsyncClient,
    app: dict[str, Any],
    login: str,
    password: str = PASSWORD,
    **extra: str,
) -> httpx.Response:
    """The authorize page's log-in form filled in and sent; the answer."""
    form = await open_authorize(http, app, **extra)
    return await http.post(
        "/oauth/authorize",
        data=form | {"username": login, "password": password, "decision": "allow"},
    )


async def send_code(
    http: httpx.AsyncClient, code_page: httpx.Response, code: str
) -> httpx.Response:
    """The code page's form sent with `code`, as a browser would."""
    action, hidden = form_of(code_page.text)
    assert action == "/oauth/authorize" and "pending" in hidden, code_page.text
    return await http.post(action, data=hidden | {"otp_attempt": code, "decision": "allow"})


def authorization_code(answer: httpx.Response) -> str | None:
    found = _CODE.search(answer.text) if answer.status_code == 200 else None
    return unescape(found.group(1)) if found else None


async def token_from(http: httpx.AsyncClient, app: dict[str, Any], code: str) -> str:
    answer = await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": OOB,
            "code": code,
        },
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token
