"""Keyboard shortcuts in a real browser (static/js/keys.js): j / k move between posts,
l likes and s saves the post one is on, ? lists the shortcuts, / searches, c composes;
none fires while typing in a field."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, OpenPage
from tests.web.support import api_person, photo, post_photos, sign_up_in_browser


def test_the_feed_by_keyboard_alone(open_page: OpenPage, web_server: LiveServer) -> None:
    page = open_page(size=DESKTOP)
    sign_up_in_browser(page, "kim")
    kim = api_person(web_server, "kim")
    for i, caption in enumerate(("older post", "newer post")):
        post_photos(web_server, kim, [(photo(i), f"photo {i}")], caption)
    page.goto("/home")
    articles = page.get_by_role("article")
    expect(articles).to_have_count(2)

    page.keyboard.press("j")
    expect(articles.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(articles.nth(1)).to_be_focused()
    page.keyboard.press("l")
    expect(articles.nth(1).get_by_role("button", name="Like")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.keyboard.press("s")
    expect(articles.nth(1).get_by_role("button", name="Save")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.keyboard.press("k")
    expect(articles.nth(0)).to_be_focused()
    expect(articles.nth(0).get_by_role("button", name="Like")).to_have_attribute(
        "aria-pressed", "false"
    )
    # The like and the save reached the server (once answered: the buttons change at once).
    for name in ("Like", "Save"):
        button = articles.nth(1).get_by_role("button", name=name)
        expect(button).not_to_have_attribute("aria-busy", "true")
    page.reload()
    expect(page.get_by_role("article").nth(1).get_by_role("button", name="Like")).to_have_attribute(
        "aria-pressed", "true"
    )

    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Next post")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("/")
    expect(page).to_have_url(re.compile(r"/search$"))
    expect(page.locator("html")).to_have_attribute("data-shortcuts", "on")
    box = page.get_by_role("searchbox", name="Search")
    page.keyboard.press("/")
    expect(box).to_be_focused()
    box.type("cl")  # letters typed in a field stay there
    expect(box).to_have_value("cl")
    expect(page).to_have_url(re.compile(r"/search"))

    page.get_by_role("link", name="Home").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("html")).to_have_attribute("data-shortcuts", "on")  # script ran
    page.keyboard.press("c")
    expect(page).to_have_url(re.compile(r"/compose$"))
