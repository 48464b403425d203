"""Search, hashtag pages and explore in a real browser: results as you type (a fragment
after a pause, the address following, no navigation), each account result a link whose
name holds the @username, the plain GET form without scripts, a hashtag's grid, and the
trending posts on the empty search page."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.support.live import LiveServer
from tests.web.conftest import PHONE, OpenPage
from tests.web.support import Person, api, api_person, photo, post_photos, sign_up_in_browser

ALT = "Orange sky over the bay"


@dataclass
class World:
    ana: Person
    ben: Person
    ben_state: Any
    post: dict[str, Any]


@pytest.fixture(scope="module")
def world(browser: Browser, web_server: LiveServer) -> World:
    states = {}
    for username in ("ana", "ben"):
        context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
        sign_up_in_browser(context.new_page(), username)
        states[username] = context.storage_state()
        context.close()
    ana, ben = api_person(web_server, "ana"), api_person(web_server, "ben")
    api(
        web_server,
        ana,
        "PATCH",
        "/api/v1/accounts/update_credentials",
        data={"display_name": "Ana Lima"},
    )
    post = post_photos(web_server, ana, [(photo(0), ALT)], "Evening at the bay #sunset")
    api(web_server, ben, "POST", f"/api/v1/statuses/{post['id']}/favourite")
    return World(ana, ben, states["ben"], post)


def test_search_as_you_type_finds_ana(world: World, open_page: OpenPage) -> None:
    page = open_page(storage=world.ben_state)
    fragments: list[str] = []
    page.on(
        "request",
        lambda r: fragments.append(r.url) if r.headers.get("x-shutter-fragment") else None,
    )
    page.goto("/home")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    page.evaluate("window.stillHere = true")
    box = page.get_by_role("searchbox", name="Search")
    box.press_sequentially("an", delay=40)
    result = page.get_by_role("link", name=re.compile("@ana"))
    expect(result).to_have_attribute("href", "/@ana")
    expect(result).to_contain_text("Ana Lima")
    assert page.evaluate("window.stillHere") is True  # no navigation
    expect(page).to_have_url(re.compile(r"/search\?q=an$"))
    assert 1 <= len(fragments) <= 2, fragments  # debounced: not one request per key
    # Hashtags too; a tag's page is a grid named by alt text.
    box.fill("suns")
    page.get_by_role("link", name="#sunset").click()
    expect(page).to_have_url(re.compile(r"/tags/sunset$"))
    expect(page.get_by_role("heading", name="#sunset")).to_be_visible()
    expect(page.get_by_role("link", name=ALT)).to_have_attribute(
        "href", f"/@ana/{world.post['id']}"
    )


def test_search_without_javascript(world: World, browser: Browser, web_server: LiveServer) -> None:
    context = browser.new_context(
        base_url=web_server.url, java_script_enabled=False, storage_state=world.ben_state
    )
    try:
        page = context.new_page()
        page.goto("/search")
        page.get_by_role("searchbox", name="Search").fill("ana")
        page.get_by_role("searchbox", name="Search").press("Enter")
        expect(page).to_have_url(re.compile(r"/search\?q=ana$"))
        expect(page.get_by_role("link", name=re.compile("@ana"))).to_be_visible()
        page.get_by_role("searchbox", name="Search").fill("nobody-here")
        page.get_by_role("searchbox", name="Search").press("Enter")
        expect(page.get_by_text("No accounts or hashtags match")).to_be_visible()
    finally:
        context.close()


def test_explore_shows_trending_posts_when_the_box_is_empty(
    world: World, open_page: OpenPage
) -> None:
    page = open_page(storage=world.ben_state)
    deadline = time.monotonic() + 15
    while True:  # the trends are counted by a job
        page.goto("/search")
        if page.get_by_role("link", name=ALT).count() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    expect(page.get_by_role("heading", name="Explore")).to_be_visible()
    expect(page.get_by_role("link", name=ALT)).to_have_attribute(
        "href", f"/@ana/{world.post['id']}"
    )
    # Typing then clearing the box comes back to explore.
    box = page.get_by_role("searchbox", name="Search")
    box.fill("ana")
    expect(page.get_by_role("link", name=re.compile("@ana"))).to_be_visible()
    box.fill("")
    expect(page.get_by_role("heading", name="Explore")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search$"))
