"""Direct messages in a real browser, two people in two browsers: ana writes to ben from
his profile ("Message", then "Send"); ben's navigation says "Messages, 1 new" without a
reload, his inbox marks the conversation unread, he opens it (read) and answers; ana's
open conversation shows the answer without a reload. Hostile text shows literally.
On a phone the Messages link is in the top bar and the five links stay in the bottom
bar; on a desktop it is in the side rail."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, PHONE, OpenPage
from tests.web.support import api, api_person, check_axe, photo, shoot, sign_up_in_browser

HOSTILE = "<b>hi</b> <script>window.pwned=1</script> & <img src=x onerror=alert(1)>"


def _main_links_visible(page: Page) -> None:
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Home", "Search", "New post", "Profile"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile(r"^Notifications"))).to_be_visible()


def test_message_from_a_profile_unread_mark_open_and_reply(
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
        ben = api_person(web_server, "ben")
        api(
            web_server,
            ben,
            "PATCH",
            "/api/v1/accounts/update_credentials",
            data={"display_name": "<i>Ben</i>"},
        )

        # On a phone, Messages is in the top bar; the five links stay in the bottom bar.
        top = ana_page.locator("header.topbar")
        expect(top.get_by_role("link", name="Messages", exact=True)).to_be_visible()
        _main_links_visible(ana_page)
        ana_page.goto("/messages")
        expect(ana_page.get_by_role("heading", name="No messages yet")).to_be_visible()

        # From ben's profile: "Message", a compose form, "Send".
        ana_page.goto("/@ben")
        # Follow, Message and the more-options button on one line, even on a phone.
        boxes = [
            ana_page.get_by_role("button", name="Follow", exact=True).bounding_box(),
            ana_page.get_by_role("link", name="Message", exact=True).bounding_box(),
            ana_page.locator(".profile-buttons summary").bounding_box(),
        ]
        middles = [box["y"] + box["height"] / 2 for box in boxes if box]
        assert len(middles) == 3 and max(middles) - min(middles) < 8, boxes
        ana_page.get_by_role("link", name="Message", exact=True).click()
        expect(ana_page).to_have_url(re.compile(r"/messages/new\?to=ben$"))
        ana_page.get_by_label("Message", exact=True).fill(HOSTILE)
        ana_page.get_by_role("button", name="Send").click()
        expect(ana_page).to_have_url(re.compile(r"/messages/\d+#message-\d+$"))
        bubble = ana_page.locator(".msg-own .msg-bubble").last
        expect(bubble).to_have_text(HOSTILE)
        expect(
            ana_page.locator(".msg-bubble b, .msg-bubble img, .msg-bubble script")
        ).to_have_count(0)
        expect(ana_page.get_by_role("heading", name="<i>Ben</i>")).to_be_visible()
        shoot(ana_page, "messages-chat-sent-phone")

        # Ben's page, not reloaded: the rail's link says so within seconds.
        ben_page.goto("/home")
        rail = ben_page.get_by_role("navigation", name="Main")
        expect(rail.get_by_role("link", name="Messages, 1 new")).to_be_visible(timeout=15_000)
        # The page's stream opens a moment after it loads, then asks for the counts.
        with ben_page.expect_request(re.compile(r"/web/unread$"), timeout=15_000):
            rail.get_by_role("link", name="Messages, 1 new").click()
        expect(ben_page).to_have_url(re.compile(r"/messages$"))
        item = ben_page.get_by_role("link", name=re.compile(r"^ana ?, unread"))
        expect(item).to_be_visible()
        expect(item).to_contain_text("<b>hi</b>")
        expect(ben_page.locator(".inbox-unread .inbox-dot")).to_have_count(1)
        check_axe(ben_page, "/messages (desktop, unread)")
        shoot(ben_page, "messages-unread-desktop")
        # Another message while the inbox is open: its line changes without a reload.
        ana = api_person(web_server, "ana")
        api(
            web_server,
            ana,
            "POST",
            "/api/v1/statuses",
            json={"status": "@ben and one more thing", "visibility": "direct"},
        )
        expect(ben_page.locator(".inbox-excerpt")).to_have_text(
            "and one more thing", timeout=15_000
        )

        item.click()
        theirs = ben_page.locator(".msg:not(.msg-own) .msg-bubble")
        expect(theirs.first).to_have_text(HOSTILE)
        expect(theirs.last).to_have_text("and one more thing")
        expect(ben_page.locator(".msg-author").first).to_have_text("ana")
        # Opened: read, the link is plain "Messages" again.
        expect(rail.get_by_role("link", name="Messages", exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        ben_page.get_by_label("Message", exact=True).fill("See you at 6 & bring <snacks>")
        ben_page.get_by_role("button", name="Send").click()
        expect(ben_page.locator(".msg-own .msg-bubble").last).to_have_text(
            "See you at 6 & bring <snacks>"
        )
        check_axe(ben_page, "/messages/<id> (desktop)")
        shoot(ben_page, "messages-chat-desktop")

        # Ana's conversation, still open, shows the answer without a reload (and reads it).
        expect(ana_page.locator(".msg:not(.msg-own) .msg-bubble").last).to_have_text(
            "See you at 6 & bring <snacks>", timeout=15_000
        )
        expect(top.get_by_role("link", name="Messages", exact=True)).to_be_visible()
        assert ana_page.evaluate("window.pwned") is None
        assert ben_page.evaluate("window.pwned") is None
        check_axe(ana_page, "/messages/<id> (phone)")
        shoot(ana_page, "messages-chat-phone")
        [conversation] = api(web_server, ana, "GET", "/api/v1/conversations")
        assert conversation["unread"] is False
        assert conversation["last_status"]["in_reply_to_id"] is not None
    finally:
        ana_context.close()
        ben_context.close()


def test_a_blocked_person_cannot_be_messaged(browser: Browser, web_server: LiveServer) -> None:
    context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_up_in_browser(page, "cy")
        cy = api_person(web_server, "cy")
        dee_page = browser.new_context(base_url=web_server.url).new_page()
        sign_up_in_browser(dee_page, "dee")
        dee = api_person(web_server, "dee")
        api(web_server, cy, "POST", f"/api/v1/accounts/{dee.id}/block")
        page.goto("/messages/new?to=dee")
        expect(page.get_by_role("alert")).to_have_text(
            "You blocked @dee. Unblock them to send a message."
        )
        expect(page.get_by_role("button", name="Send")).to_have_count(0)
    finally:
        context.close()


def test_photos_with_alt_texts_in_a_new_message(open_page: OpenPage) -> None:
    """ "Add photos": one alt-text field per chosen file, named after it; sent with the
    text, the photos show in the chat with their alt texts."""
    sign_up_in_browser(open_page(), "kit")
    page = open_page(size=PHONE)
    page.set_default_timeout(10_000)
    sign_up_in_browser(page, "lou")
    page.goto("/messages/new?to=kit")
    page.get_by_label("Message", exact=True).fill("the lake")
    files = [
        {"name": name, "mimeType": "image/jpeg", "buffer": photo(i, 640, 480)}
        for i, name in enumerate(("dawn.jpg", "dusk.jpg"))
    ]
    page.get_by_label("Add photos").set_input_files(files)  # type: ignore[arg-type]
    expect(page.get_by_label(re.compile(r"^Alt text"))).to_have_count(2)
    page.get_by_label("Alt text for dawn.jpg").fill("The lake at dawn")
    expect(page.get_by_role("status").filter(has_text="2 chosen")).to_be_visible()
    check_axe(page, "/messages/new (photos chosen)")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/messages/\d+#message-\d+$"))
    photos = page.locator(".msg-own .msg-photo img")
    expect(photos).to_have_count(2)
    expect(photos.first).to_have_attribute("alt", "The lake at dawn")
    expect(page.locator(".msg-own .msg-bubble").last).to_have_text("the lake")
    expect(page.get_by_text("Add photos")).to_be_visible()
    check_axe(page, "/messages/<id> (photos)")
