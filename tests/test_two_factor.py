"""Two-factor authentication (auth/service/second_factor.py, two_factor.py,
two_factor_login.py), through HTTP: set up with a code pyotp computes here, confirmed,
asked for on the authorize page after the password, refused when wrong or used before,
recovery codes good once, the password grant refused, guesses throttled per account and
per address, new recovery codes, disabled; the owner mailed; bad input changes nothing.

Codes are checked at a time the tests set (`second_factor.clock`), so that a test never
straddles a 30-second step by chance.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from shutter.auth.models import RecoveryCode, TwoFactor
from shutter.auth.service import second_factor
from shutter.auth.two_factor_login import PENDING_LIFETIME_SECONDS
from shutter.infra.context import AppContext
from shutter.infra.ratelimit import Limit
from tests.conftest import BASE_URL
from tests.support.api import register_app, sign_up
from tests.support.credentials import PASSWORD, bearer, form_of, password_grant
from tests.support.mail import MailServer, mail_server, mailing
from tests.support.two_factor import (
    TWO_FACTOR,
    Clock,
    authorization_code,
    enable,
    log_in_page,
    open_authorize,
    send_code,
    set_up,
    token_from,
    two_factor_status,
)

__all__ = ["mail_server"]  # a fixture used by these tests


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(second_factor, "clock", frozen)
    return frozen


@pytest.fixture
def patient(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """Room for more than five codes per account (tests of other things than the limit)."""
    monkeypatch.setattr(ctx.ratelimiter, "two_factor", Limit("two_factor", 100, 300))


@pytest.fixture
async def browser(
    app_and_ctx: tuple[object, AppContext], ctx: AppContext
) -> AsyncIterator[httpx.AsyncClient]:
    """A client from an address of its own: the per-address budget is this test's."""
    address = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    transport = httpx.ASGITransport(app=app_and_ctx[0], client=(address, 4321))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


async def _rows(ctx: AppContext, account: str) -> tuple[int, int, int | None]:
    """Two-factor rows of the account: setups, recovery codes, last step used."""
    account_id = int(account)
    async with ctx.db.read() as session:
        setups = await session.scalar(
            select(func.count()).select_from(TwoFactor).where(TwoFactor.account_id == account_id)
        )
        codes = await session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.account_id == account_id)
        )
        step = await session.scalar(
            select(TwoFactor.last_step).where(TwoFactor.account_id == account_id)
        )
    return int(setups or 0), int(codes or 0), step


async def test_set_up_and_confirm(
    browser: httpx.AsyncClient, ctx: AppContext, clock: Clock
) -> None:
    ana = await sign_up(browser, "ana")
    assert await two_factor_status(browser, ana) == {
        "enabled": False,
        "enabled_at": None,
        "recovery_codes_left": 0,
    }
    wrong = await browser.post(
        f"{TWO_FACTOR}/setup", headers=ana.headers, data={"current_password": "not it"}
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]
    assert await _rows(ctx, ana.id) == (0, 0, None)

    made = await set_up(browser, ana)
    secret = made["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert made["uri"].startswith("otpauth://totp/testserver:ana%40testserver?")
    assert f"secret={secret}" in made["uri"] and "issuer=testserver" in made["uri"]
    assert made["qr_code_svg"].startswith("<svg") and made["enabled"] is False
    assert (await two_factor_status(browser, ana))["enabled"] is False  # not before a first code
    async with ctx.db.read() as session:
        sealed = await session.scalar(select(TwoFactor.sealed_secret))
    assert sealed is not None and secret not in sealed  # not in plain sight of a dump

    # A second setup before confirming replaces the first secret.
    first = secret
    secret = (await set_up(browser, ana))["secret"]
    assert secret != first
    stale = await browser.post(
        f"{TWO_FACTOR}/confirm", headers=ana.headers, data={"code": clock.code(first)}
    )
    assert stale.status_code == 422 and "code" in stale.json()["error"]

    confirmed = await browser.post(
        f"{TWO_FACTOR}/confirm", headers=ana.headers, data={"code": clock.code(secret)}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["cache-control"] == "no-store"
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", code) for code in codes)
    status = await two_factor_status(browser, ana)
    assert status["enabled"] is True and status["recovery_codes_left"] == 10
    assert status["enabled_at"] is not None

    again = await browser.post(
        f"{TWO_FACTOR}/confirm", headers=ana.headers, data={"code": clock.code(secret)}
    )
    assert again.status_code == 422
    over = await browser.post(
        f"{TWO_FACTOR}/setup", headers=ana.headers, data={"current_password": PASSWORD}
    )
    assert over.status_code == 422 and "already enabled" in over.json()["error"]
    assert (await two_factor_status(browser, ana))["recovery_codes_left"] == 10


async def test_the_authorize_page_asks_for_the_code_after_the_password(
    browser: httpx.AsyncClient, ctx: AppContext, clock: Clock, patient: None
) -> None:
    ana = await sign_up(browser, "ana")
    secret, _codes = await enable(browser, ana, clock)
    app = await register_app(browser)

    asked = await log_in_page(browser, app, "ana")
    assert asked.status_code == 200, asked.text
    assert "name=otp_attempt" in asked.text and authorization_code(asked) is None

    wrong = await send_code(browser, asked, "000000")
    assert wrong.status_code == 401 and "Wrong password or code." in wrong.text
    used = await send_code(browser, asked, clock.code(secret, offset_steps=-1))
    assert used.status_code == 401, "the code that confirmed the setup is used up"
    far = await send_code(browser, asked, clock.code(secret, offset_steps=2))
    assert far.status_code == 401, "two steps off is too far"

    code = clock.code(secret)
    allowed = await send_code(browser, wrong, code)  # the page shown again carries on
    authorization = authorization_code(allowed)
    assert authorization is not None, allowed.text
    token = await token_from(browser, app, authorization)
    me = await browser.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert me.status_code == 200 and me.json()["username"] == "ana"

    # The same code again (another log-in within its step) is a replay.
    replayed = await send_code(browser, await log_in_page(browser, app, "ana"), code)
    assert replayed.status_code == 401 and authorization_code(replayed) is None
    # The next step's code is good (a step of drift is allowed).
    later = await send_code(
        browser, await log_in_page(browser, app, "ANA "), clock.code(secret, offset_steps=1)
    )
    assert authorization_code(later) is not None, later.text

    # A long `state` (some apps carry theirs in it) does not make the page's state long.
    long_state = await log_in_page(browser, app, "ana", state="s" * 3000)
    assert len(form_of(long_state.text)[1]["pending"]) < 300
    clock.step()
    allowed = await send_code(browser, long_state, clock.code(secret, offset_steps=1))
    assert authorization_code(allowed) is not None, allowed.text

    # Deny still works from the code page.
    page = await log_in_page(browser, app, "ana")
    _action, hidden = form_of(page.text)
    denied = await browser.post("/oauth/authorize", data=hidden | {"decision": "deny"})
    assert denied.status_code == 403 and authorization_code(denied) is None


async def test_a_wrong_password_is_not_told_before_a_good_code(
    browser: httpx.AsyncClient, ctx: AppContext, clock: Clock
) -> None:
    ana = await sign_up(browser, "ana")
    secret, codes = await enable(browser, ana, clock)
    app = await register_app(browser)

    right = await log_in_page(browser, app, "ana")
    wrong = await log_in_page(browser, app, "ana", "not the password")
    assert (wrong.status_code, len(wrong.text)) == (right.status_code, len(right.text))
    assert form_of(wrong.text)[1].keys() == form_of(right.text)[1].keys()

    refused = await send_code(browser, wrong, clock.code(secret))
    assert refused.status_code == 401 and "Wrong password or code." in refused.text
    spent = await send_code(browser, wrong, codes[0])
    assert spent.status_code == 401
    assert (await two_factor_status(browser, ana))["recovery_codes_left"] == 10  # none spent on it
    # Neither used the code: the right password takes it still.
    allowed = await send_code(browser, right, clock.code(secret))
    assert authorization_code(allowed) is not None, allowed.text

    # An account without two-factor authentication and an unknown login answer at once.
    await sign_up(browser, "bob")
    for login in ("bob", "nobody"):
        plain = await log_in_page(browser, app, login, "not the password")
        assert plain.status_code == 401 and "Wrong login or password." in plain.text
        assert "otp_attempt" not in plain.text


async def test_a_recovery_code_works_once(
    browser: httpx.AsyncClient, ctx: AppContext, clock: Clock
) -> None:
    ana = await sign_up(browser, "ana")
    _secret, codes = await enable(browser, ana, clock)
    app = await register_app(browser)

    typed = " " + codes[3].upper().replace("-", " ") + " "  # as read off paper
    first = await send_code(browser, await log_in_page(browser, app, "ana"), typed)
    assert authorization_code(first) is not None, first.text
    assert (await two_factor_status(browser, ana))["recovery_codes_left"] == 9
    second = await send_code(browser, await log_in_page(browser, app, "ana"), codes[3])
    assert second.status_code == 401
    other = await send_code(browser, await log_in_page(browser, app, "ana"), codes[4])
    assert authorization_code(other) is not None
    assert (await two_factor_status(browser, ana))["recovery_codes_left"] == 8


async def test_the_password_grant_is_refused(
    browser: httpx.AsyncClient, ctx: AppContext, clock: Clock
) -> None:
    ana = await sign_up(browser, "ana")
    before = await password_grant(browser, "ana")
    assert before.status_code == 200, before.text
    secret, _codes = await enable(browser, ana, clock)

    right = await password_grant(browser, "ana")
    wrong = await password_grant(browser, "ana", "not the password")
    assert right.status_code == wrong.status_code == 400
    assert right.json() == wrong.json()  # the password's verdict is not told
    assert right.json()["error"] == "invalid_grant"
    assert "two-factor" in right.json()["error_description"]
    # A code where the password goes is no way around it.
    with_code = await password_grant(browser, "ana", PASSWORD + clock.code(secret))
    assert with_code.status_code == 400


async def test_guesses_are_throttled_per_account(
    browser: httpx.AsyncClient, ctx: AppContext, clock: Clock
) -> None:
    ana = await sign_up(browser, "ana")
    secret, codes = await enable(browser, ana, clock)
    app = await register_app(browser)
    page = await log_in_page(browser, app, "ana")
    for guess in ("111111", "222222", "333333", "444444"):  # the confirmation was one
        answer = await send_code(browser, page, guess)
        assert answer.status_code == 401, answer.text
    spent = await send_code(browser, page, clock.code(secret))
    assert spent.status_code == 429 and spent.json() == {"error": "Too many requests"}
    assert int(spent.headers["retry-after"]) > 0
    # Everywhere a code is taken, and even from a new page or with a wrong password.
    fresh = await send_code(browser, await log_in_page(browser, app, "ana"), codes[0])
    assert fresh.status_code == 429
    wrong = await send_code(
        browser, await log_in_page(browser, app, "ana", "not it"), clock.code(secret)
    )
    assert wrong.status_code == 429
    disable = await browser.post(
        f"{TWO_FACTOR}/disable",
        headers=ana.headers,
        data={"current_password": PASSWORD, "code": clock.code(secret)},
    )
    assert disable.status_code == 429
    assert (await two_factor_status(browser, ana))["recovery_codes_left"] == 10


async def test_guesses_are_throttled_per_address(
    browser: httpx.AsyncClient, ctx: AppContext, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ctx.ratelimiter, "two_factor_ip", Limit("two_factor_ip", 4, 300))
    app = await register_app(browser)
    ana, bob = await sign_up(browser, "ana"), await sign_up(browser, "bob")
    _ana_secret, _ = await enable(browser, ana, clock)  # one code tried from here
    bob_secret, _ = await enable(browser, bob, clock)  # two
    for guess in ("111111", "222222"):
        answer = await send_code(browser, await log_in_page(browser, app, "ana"), guess)
        assert answer.status_code == 401
    spread = await send_code(
        browser, await log_in_page(browser, app, "bob"), clock.code(bob_secret)
    )
    assert spread.status_code == 429, "another account from the same address"


async def test_new_recovery_codes_replace_the_old(
    browser: httpx.AsyncClient, ctx: AppContext, clock: Clock, patient: None
) -> None:
    ana = await sign_up(browser, "ana")
    secret, old = await enable(browser, ana, clock)
    url = f"{TWO_FACTOR}/recovery_codes"
    wrong = await browser.post(
        url, headers=ana.headers, data={"current_password": "not it", "code": clock.code(secret)}
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]
    bad_code = await browser.post(
        url, headers=ana.headers, data={"current_password": PASSWORD, "code": "123456"}
    )
    assert bad_code.status_code == 422 and "code is incorrect" in bad_code.json()["error"]
    made = await browser.post(
        url, headers=ana.headers, data={"current_password": PASSWORD, "code": clock.code(secret)}
    )
    assert made.status_code == 200, made.text
    new = made.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)

    app = await register_app(browser)
    stale = await send_code(browser, await log_in_page(browser, app, "ana"), old[0])
    assert stale.status_code == 401
    good = await send_code(browser, await log_in_page(browser, app, "ana"), new[0])
    assert authorization_code(good) is not None


async def test_disable(browser: httpx.AsyncClient, ctx: AppContext, clock: Clock) -> None:
    ana = await sign_up(browser, "ana")
    secret, codes = await enable(browser, ana, clock)
    url = f"{TWO_FACTOR}/disable"
    for data in (
        {"current_password": "not it", "code": clock.code(secret)},
        {"current_password": PASSWORD, "code": "000000"},
        {"current_password": PASSWORD},
        {"code": clock.code(secret)},
    ):
        refused = await browser.post(url, headers=ana.headers, data=data)
        assert refused.status_code == 422, (data, refused.text)
    assert await _rows(ctx, ana.id) == (1, 10, int(clock.now - 30) // 30)

    off = await browser.post(
        url, headers=ana.headers, data={"current_password": PASSWORD, "code": codes[9]}
    )
    assert off.status_code == 200, off.text
    assert await two_factor_status(browser, ana) == {
        "enabled": False,
        "enabled_at": None,
        "recovery_codes_left": 0,
    }
    assert await _rows(ctx, ana.id) == (0, 0, None)
    again = await browser.post(
        url, headers=ana.headers, data={"current_password": PASSWORD, "code": codes[8]}
    )
    assert again.status_code == 422 and "not enabled" in again.json()["error"]

    app = await register_app(browser)
    direct = await log_in_page(browser, app, "ana")
    assert authorization_code(direct) is not None, "no code asked any more"
    assert (await password_grant(browser, "ana")).status_code == 200


async def test_bad_input_changes_nothing(
    browser: httpx.AsyncClient, ctx: AppContext, clock: Clock
) -> None:
    ana = await sign_up(browser, "ana")
    assert (await browser.get(TWO_FACTOR)).status_code == 401
    setup = f"{TWO_FACTOR}/setup"
    assert (await browser.post(setup, data={"current_password": PASSWORD})).status_code == 401
    read_only = await password_grant(browser, "ana", scope="read")
    assert read_only.status_code == 200
    narrow = bearer(read_only.json()["access_token"])
    assert (await browser.get(TWO_FACTOR, headers=narrow)).status_code == 200
    refused = await browser.post(setup, headers=narrow, data={"current_password": PASSWORD})
    assert refused.status_code == 403
    for url, body in (
        (setup, {}),
        (setup, {"current_password": ["a", "b"]}),
        (setup, {"current_password": "x" * 5000}),
        (f"{TWO_FACTOR}/confirm", {"code": "123456"}),  # nothing set up
        (f"{TWO_FACTOR}/confirm", {}),
        (f"{TWO_FACTOR}/disable", {"current_password": PASSWORD, "code": "123456"}),
        (f"{TWO_FACTOR}/recovery_codes", {"current_password": PASSWORD, "code": "123456"}),
    ):
        answer = await browser.post(url, headers=ana.headers, json=body)
        assert answer.status_code == 422, (url, body, answer.text)
        assert "error" in answer.json()
    assert await _rows(ctx, ana.id) == (0, 0, None)

    secret = (await set_up(browser, ana))["secret"]
    for code in ("", "1" * 65, "12345\x00", {"a": 1}, "abcdef", clock.code(secret) + "0"):
        answer = await browser.post(
            f"{TWO_FACTOR}/confirm", headers=ana.headers, json={"code": code}
        )
        assert answer.status_code == 422, (code, answer.text)
    assert await _rows(ctx, ana.id) == (1, 0, None)
    assert (await two_factor_status(browser, ana))["enabled"] is False


async def test_a_pending_log_in_serves_only_its_request(
    browser: httpx.AsyncClient, ctx: AppContext, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = await sign_up(browser, "ana")
    secret, _codes = await enable(browser, ana, clock)
    app, other = await register_app(browser), await register_app(browser)
    page = await log_in_page(browser, app, "ana")
    _action, hidden = form_of(page.text)

    # Carried over to another app's request: refused, back to the log-in form.
    other_form = await open_authorize(browser, other)
    moved = await browser.post(
        "/oauth/authorize",
        data=other_form
        | {"pending": hidden["pending"], "otp_attempt": clock.code(secret), "decision": "allow"},
    )
    assert moved.status_code == 401 and "log in again" in moved.text
    for forged in ("", "x" * 2000, hidden["pending"][:-4] + "AAAA", "é"):
        answer = await browser.post(
            "/oauth/authorize",
            data=hidden
            | {"pending": forged, "otp_attempt": clock.code(secret), "decision": "allow"},
        )
        assert answer.status_code == 401 and "log in again" in answer.text, forged

    # Past its lifetime.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + PENDING_LIFETIME_SECONDS + 61)
    late = await send_code(browser, page, clock.code(secret))
    monkeypatch.setattr(time, "time", real_time)
    assert late.status_code in (400, 401) and authorization_code(late) is None
    allowed = await send_code(browser, page, clock.code(secret))
    assert authorization_code(allowed) is not None, allowed.text


async def test_the_owner_is_mailed(
    database_url: str,
    ctx: AppContext,
    tmp_path: Path,
    mail_server: MailServer,
    clock: Clock,
) -> None:
    async with mailing(database_url, tmp_path, mail_server) as api:
        ana = await sign_up(api.http, "ana")
        secret, codes = await enable(api.http, ana, clock)
        await api.run_jobs()
        on = mail_server.last_to("ana@example.com")
        assert "two-factor authentication is on" in on.subject
        assert secret not in on.text and not any(code in on.text for code in codes)
        off = await api.http.post(
            f"{TWO_FACTOR}/disable",
            headers=ana.headers,
            data={"current_password": PASSWORD, "code": clock.code(secret)},
        )
        assert off.status_code == 200, off.text
        await api.run_jobs()
        assert "two-factor authentication is off" in mail_server.last_to("ana@example.com").subject
