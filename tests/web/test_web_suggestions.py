"""Suggested for you in a real browser: a new person's empty Home offers people to
follow (Follow turns to Following in place, Remove takes the row away and moves focus
on); on a desktop, a Home with posts shows them in a column beside the feed, which a
phone never shows; the page of all suggestions works without scripts too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, PHONE, OpenPage
from tests.web.support import (
    api,
    api_person,
    api_sign_up,
    check_axe,
    photo,
    post_photos,
    shoot,
    sign_up_in_browser,
)


@dataclass
class People:
    ana_state: Any  # the signed-in cookies of ana, new here


@pytest.fixture(scope="module")
def people(browser: Browser, web_server: LiveServer) -> People:
    context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
    sign_up_in_browser(context.new_page(), "ana")
    state = context.storage_state()
    context.close()
    for index, name in enumerate(("ben", "cara", "dan", "eve")):
        person = api_sign_up(web_server, name)
        post_photos(web_server, person, [(photo(index), f"{name}'s hills")], f"Hello from {name}")
    return People(state)


def test_an_empty_home_offers_people_to_follow(people: People, open_page: OpenPage) -> None:
    page = open_page(size=PHONE, storage=people.ana_state)
    page.goto("/home")
    section = page.get_by_role("region", name="Suggested for you")
    expect(section.get_by_role("link", name="@ben")).to_be_visible()
    expect(section.get_by_text("Posted recently").first).to_be_visible()
    check_axe(page, "an empty Home with suggestions (phone)")
    shoot(page, "home-suggestions-phone")

    follow = (
        section.get_by_role("listitem").filter(has_text="@ben").get_by_role("button", name="Follow")
    )
    follow.click()
    expect(follow).to_have_text("Following")
    section.get_by_role("button", name="Remove suggestion @cara").click()
    expect(section.get_by_role("link", name="@cara")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Suggestion removed")
    # Both are the server's: a reload still follows ben and no longer suggests cara.
    page.goto("/suggestions")
    expect(page.get_by_role("heading", name="Suggested for you", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="@dan")).to_be_visible()
    for gone in ("@ben", "@cara", "@ana"):
        expect(page.get_by_role("link", name=gone)).to_have_count(0)


def test_a_column_beside_the_feed_on_a_desktop_only(
    people: People, open_page: OpenPage, web_server: LiveServer
) -> None:
    ana = api_person(web_server, "ana")
    ben = api(web_server, ana, "GET", "/api/v1/accounts/lookup", params={"acct": "ben"})
    api(web_server, ana, "POST", f"/api/v1/accounts/{ben['id']}/follow")
    page = open_page(size=DESKTOP, storage=people.ana_state)
    page.goto("/home")
    expect(page.get_by_role("article").first).to_be_visible()
    rail = page.get_by_role("complementary", name="Suggested for you")
    expect(rail.get_by_role("link", name="@dan")).to_be_visible()
    expect(rail.get_by_role("link", name="See all suggestions")).to_be_visible()
    box, feed = rail.bounding_box(), page.locator("[data-feed]").bounding_box()
    assert box and feed and box["x"] >= feed["x"] + feed["width"]  # beside, not over
    check_axe(page, "Home with the suggestions column (desktop)")
    shoot(page, "home-suggestions-desktop")
    rail.get_by_role("link", name="See all suggestions").click()
    expect(page).to_have_url(re.compile(r"/suggestions$"))

    phone = open_page(size=PHONE, storage=people.ana_state)
    phone.goto("/home")
    expect(phone.get_by_role("article").first).to_be_visible()
    expect(phone.get_by_role("complementary")).to_have_count(0)


def test_suggestions_without_scripts(
    people: People, browser: Browser, web_server: LiveServer
) -> None:
    context = browser.new_context(
        base_url=web_server.url, java_script_enabled=False, storage_state=people.ana_state
    )
    try:
        page = context.new_page()
        page.goto("/suggestions")
        page.get_by_role("button", name="Remove suggestion @eve").click()
        expect(page).to_have_url(re.compile(r"/suggestions$"))
        expect(page.get_by_role("link", name="@eve")).to_have_count(0)
        page.get_by_role("listitem").filter(has_text="@dan").get_by_role(
            "button", name="Follow"
        ).click()
        expect(page).to_have_url(re.compile(r"/suggestions$"))
        expect(page.get_by_role("link", name="@dan")).to_have_count(0)  # followed: not suggested
    finally:
        context.close()
