"""Settings in a real browser: change the password (the other session ends), turn on
two-factor with a code pyotp computes from the shown secret and log in with a code,
revoke a session, request an export and see it finish (the live server's embedded
worker runs the job), deactivate — and axe and screenshots of the pages."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.credentials import PASSWORD
from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, PHONE
from tests.web.support import check_axe, log_in_in_browser, shoot, sign_up_in_browser

NEW_PASSWORD = "a much newer horse battery"


def _context(browser: Browser, server: LiveServer, size: dict[str, int] = PHONE) -> BrowserContext:
    return browser.new_context(base_url=server.url, viewport=size)  # type: ignore[arg-type]


def _page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_password_sessions_two_factor_export_and_deactivate(
    browser: Browser, web_server: LiveServer
) -> None:
    first, second = _context(browser, web_server), _context(browser, web_server, DESKTOP)
    try:
        page = _page(first)
        sign_up_in_browser(page, "eve")
        other = _page(second)
        log_in_in_browser(other, "eve")
        expect(other).to_have_url(re.compile(r"/home$"))

        # The own profile links Settings, which has Log out.
        page.goto("/@eve")
        page.get_by_role("link", name="Settings").first.click()
        expect(page).to_have_url(re.compile(r"/settings$"))
        expect(page.get_by_role("button", name="Log out")).to_be_visible()

        # Revoke the other session: its next page goes to the log-in.
        revoke = page.get_by_role("button", name=re.compile("^Revoke Shutter website"))
        expect(revoke).to_have_count(1)
        revoke.click()
        expect(page.get_by_role("status")).to_contain_text("That session has ended")
        other.goto("/home")
        expect(other).to_have_url(re.compile(r"/login"))

        # Change the password (a wrong current one first: 422, the form again).
        log_in_in_browser(other, "eve")
        expect(other).to_have_url(re.compile(r"/home$"))
        page.goto("/settings")
        section = page.get_by_role("region", name="Password")
        section.get_by_label("Current password").fill("not my password")
        section.get_by_label("New password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.locator("#password [role=alert]")).to_be_visible()
        section.get_by_label("Current password").fill(PASSWORD)
        section.get_by_label("New password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_contain_text("Your password is changed")
        other.goto("/home")
        expect(other).to_have_url(re.compile(r"/login"))

        # Two-factor: the secret shown, a code from it, recovery codes once.
        page.locator("#two-factor").get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set up two-factor").click()
        expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
        secret = page.locator("[data-secret]").get_attribute("data-secret")
        assert secret
        shoot(page, "settings-two-factor-phone")
        totp = pyotp.TOTP(secret)
        page.get_by_label("Authentication code").fill(totp.now())
        page.get_by_role("button", name="Turn on two-factor").click()
        expect(page.get_by_role("heading", name="Two-factor authentication is on")).to_be_visible()
        expect(page.locator(".recovery-codes li")).to_have_count(10)

        # Log in elsewhere with a code (the next one: a code counts once).
        time.sleep(30.5 - time.time() % 30)
        log_in_in_browser(other, "eve", NEW_PASSWORD)
        other.get_by_label("Authentication code").fill(totp.now())
        other.get_by_role("button", name="Log in").click()
        expect(other).to_have_url(re.compile(r"/home$"))

        # Export: requested, then ready to download without a reload.
        page.goto("/settings")
        page.get_by_role("button", name="Request an archive").click()
        expect(page.get_by_role("link", name="Download archive")).to_be_visible(timeout=60_000)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download archive").click()
        assert download.value.suggested_filename.startswith("shutter-archive-eve-")
        shoot(page, "settings-phone")

        # Deactivate: the password asked, then logged out everywhere.
        page.locator("form[action='/web/settings/deactivate']").get_by_label("Password").fill(
            NEW_PASSWORD
        )
        page.get_by_role("button", name="Deactivate account").click()
        expect(page).to_have_url(re.compile(r"/(\?left=deactivated)?$"))
        other.goto("/home")
        expect(other).to_have_url(re.compile(r"/login"))
    finally:
        first.close()
        second.close()


def test_settings_axe_and_screenshots(browser: Browser, web_server: LiveServer) -> None:
    context = _context(browser, web_server)
    sign_up_in_browser(_page(context), "fay")
    state = context.storage_state()
    context.close()
    for size, device in ((PHONE, "phone"), (DESKTOP, "desktop")):
        for scheme in ("light", "dark"):
            view = browser.new_context(
                base_url=web_server.url,
                viewport=size,  # type: ignore[arg-type]
                color_scheme=scheme,
                storage_state=state,
                reduced_motion="reduce",
            )
            try:
                page = _page(view)
                page.goto("/settings")
                check_axe(page, f"settings ({device}, {scheme})")
                shoot(page, f"settings-{device}" + ("-dark" if scheme == "dark" else ""))
            finally:
                view.close()
