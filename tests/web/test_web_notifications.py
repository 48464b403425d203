"""Notifications in a real browser: the unread count in the navigation changes without a
reload when someone else likes one's post (two browser contexts, the live stream), the
page groups the likes ("ben and 1 other liked your post"), and visiting it marks them
read: the link is named "Notifications" again."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, PHONE
from tests.web.support import (
    api,
    api_person,
    check_axe,
    photo,
    post_photos,
    shoot,
    sign_up_in_browser,
)


def test_live_unread_count_grouped_likes_and_marked_read(
    browser: Browser, web_server: LiveServer
) -> None:
    ana_context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
    ben_context = browser.new_context(base_url=web_server.url, viewport=DESKTOP)  # type: ignore[arg-type]
    try:
        ana_page = ana_context.new_page()
        ana_page.set_default_timeout(10_000)
        sign_up_in_browser(ana_page, "ana")
        ben_page = ben_context.new_page()
        ben_page.set_default_timeout(10_000)
        sign_up_in_browser(ben_page, "ben")
        ana, cy = api_person(web_server, "ana"), None
        status = post_photos(web_server, ana, [(photo(0), "Hills at dusk")], "Dusk")
        main = ana_page.get_by_role("navigation", name="Main")
        expect(main.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

        # ben likes ana's post in his own browser; ana's page, not reloaded, shows it.
        ben_page.goto(f"/@ana/{status['id']}")
        ben_page.get_by_role("button", name="Like").first.click()
        expect(main.get_by_role("link", name="Notifications, 1 new")).to_be_visible(timeout=10_000)

        # A second liker (through the API): still one group on the page.
        sign_up_in_browser(browser.new_context(base_url=web_server.url).new_page(), "cy")
        cy = api_person(web_server, "cy")
        api(web_server, cy, "POST", f"/api/v1/statuses/{status['id']}/favourite")
        expect(main.get_by_role("link", name="Notifications, 2 new")).to_be_visible(timeout=10_000)

        main.get_by_role("link", name=re.compile("^Notifications")).click()
        expect(ana_page).to_have_url(re.compile(r"/notifications$"))
        note = ana_page.locator(".note").first
        expect(note).to_contain_text(re.compile(r"(cy|ben) and 1 other liked your post"))
        expect(ana_page.locator(".note")).to_have_count(1)
        expect(note.get_by_role("link", name="Hills at dusk")).to_have_attribute(
            "href", f"/@ana/{status['id']}"
        )
        shoot(ana_page, "notifications-grouped-phone")
        # Seen: the marker moved, the link is plain "Notifications" again.
        expect(main.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
        ana_page.goto("/home")
        expect(main.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
        assert api(web_server, ana, "GET", "/api/v1/notifications/unread_count")["count"] == 0
    finally:
        ana_context.close()
        ben_context.close()


def test_notifications_page_axe_and_screenshots(browser: Browser, web_server: LiveServer) -> None:
    context = browser.new_context(base_url=web_server.url)
    page = context.new_page()
    sign_up_in_browser(page, "dee")
    state = context.storage_state()
    context.close()
    for size, size_name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        for scheme in ("light", "dark"):
            ctx = browser.new_context(
                base_url=web_server.url,
                viewport=size,  # type: ignore[arg-type]
                color_scheme=scheme,
                storage_state=state,
                reduced_motion="reduce",
            )
            try:
                view = ctx.new_page()
                view.goto("/notifications")
                check_axe(view, f"notifications ({size_name}, {scheme})")
                shoot(view, f"notifications-empty-{size_name}-{scheme}")
            finally:
                ctx.close()
