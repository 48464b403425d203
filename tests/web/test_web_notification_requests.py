"""Filtered notifications in a real browser: the policy chosen on Settings › Notifications,
a mention from someone not followed waiting behind "Filtered notifications" on the
notifications page, opened, then accepted (it joins the other notifications) — and
another dismissed without scripts."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, PHONE
from tests.web.support import (
    Person,
    api,
    api_person,
    api_until,
    check_axe,
    photo,
    post_photos,
    shoot,
    sign_up_in_browser,
)


def _wait_for_requests(server: LiveServer, person: Person, count: int) -> None:
    api_until(
        server,
        person,
        "/api/v1/notifications/requests",
        lambda requests: len(requests) >= count,
        what=f"{person.username} had {count} requests",
    )


def test_filter_open_accept_and_dismiss(browser: Browser, web_server: LiveServer) -> None:
    context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_up_in_browser(page, "ana")
        for name in ("ben", "cy"):
            sign_up_in_browser(browser.new_context(base_url=web_server.url).new_page(), name)
        ana, ben, cy = (api_person(web_server, n) for n in ("ana", "ben", "cy"))

        # Settings › Notifications: filter people ana does not follow.
        page.goto("/settings")
        page.get_by_role("navigation", name="Settings sections").get_by_role(
            "link", name="Notifications"
        ).click()
        expect(page).to_have_url(re.compile(r"/settings/notifications$"))
        group = page.get_by_role("group", name="People you don't follow")
        expect(group.get_by_label("Accept")).to_be_checked()
        group.get_by_label("Filter").check()
        page.get_by_role("button", name="Save notification settings").click()
        expect(page.get_by_role("status")).to_have_text("Your notification settings are saved.")
        expect(
            page.get_by_role("group", name="People you don't follow").get_by_label("Filter")
        ).to_be_checked()
        check_axe(page, "/settings/notifications at phone")

        post = post_photos(web_server, ana, [(photo(2), "Hills at dusk")], "Dusk")
        for person, text in ((ben, "@ana lovely <b>light</b>"), (cy, "@ana hello from cy")):
            api(
                web_server,
                person,
                "POST",
                "/api/v1/statuses",
                json={"status": text, "in_reply_to_id": post["id"]},
            )
        _wait_for_requests(web_server, ana, 2)

        page.goto("/notifications")
        filtered = page.get_by_role("link", name="Filtered notifications, from 2 people")
        expect(filtered).to_be_visible()
        shoot(page, "notifications-filtered-phone")
        filtered.click()
        expect(page).to_have_url(re.compile(r"/notifications/requests$"))
        expect(page.get_by_text("lovely <b>light</b>")).to_be_visible()  # text, not markup
        shoot(page, "notification-requests-phone")
        check_axe(page, "/notifications/requests at phone")
        page.get_by_role("link", name=re.compile(r"^ben @ben")).click()
        expect(page.get_by_role("heading", name="Filtered notifications from @ben")).to_be_visible()
        expect(page.locator(".note")).to_contain_text("ben commented")
        page.get_by_role("button", name="Accept").click()
        expect(page).to_have_url(re.compile(r"/notifications/requests$"))
        expect(page.get_by_role("button", name="Accept notifications from ben")).to_have_count(0)
        expect(page.get_by_role("button", name="Dismiss notifications from cy")).to_be_visible()

        page.goto("/notifications")
        expect(page.locator(".note").first).to_contain_text("ben commented")
        expect(
            page.get_by_role("link", name="Filtered notifications, from 1 person")
        ).to_be_visible()
    finally:
        context.close()

    # Without scripts: dismiss cy's, on a desktop.
    plain = browser.new_context(
        base_url=web_server.url,
        viewport=DESKTOP,  # type: ignore[arg-type]
        java_script_enabled=False,
    )
    try:
        page = plain.new_page()
        page.goto("/login")
        page.get_by_label("Username or email").fill("ana")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()
        page.goto("/notifications/requests")
        page.get_by_role("button", name="Dismiss notifications from cy").click()
        expect(page).to_have_url(re.compile(r"/notifications/requests$"))
        expect(page.get_by_text("No filtered notifications.")).to_be_visible()
        page.goto("/notifications")
        expect(page.get_by_role("link", name=re.compile("^Filtered notifications"))).to_have_count(
            0
        )
        expect(page.get_by_text("hello from cy")).to_have_count(0)
    finally:
        plain.close()
