"""Lists in a real browser: found from one's profile on a phone and from the side rail on
a desktop (the bottom bar keeps its five links), made, filled from the people one
follows, read as a feed, renamed and deleted (asking first, in place); and the same
without scripts (the question on a page of its own)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, PHONE, OpenPage
from tests.web.support import api, api_person, photo, post_photos, shoot, sign_up_in_browser


@dataclass
class People:
    ana_state: Any  # the signed-in cookies of ana's browser
    post_id: str  # ben's post, which ana's list shows


@pytest.fixture(scope="module")
def people(browser: Browser, web_server: LiveServer) -> People:
    context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
    sign_up_in_browser(context.new_page(), "ana")
    state = context.storage_state()
    context.close()
    other = browser.new_context(base_url=web_server.url)
    sign_up_in_browser(other.new_page(), "ben")
    other.close()
    ana, ben = api_person(web_server, "ana"), api_person(web_server, "ben")
    api(web_server, ana, "POST", f"/api/v1/accounts/{ben.id}/follow")
    post = post_photos(web_server, ben, [(photo(1), "Ben's hills at noon")], "Noon walk")
    return People(state, post["id"])


def test_make_fill_read_rename_and_delete_a_list(people: People, open_page: OpenPage) -> None:
    page = open_page(size=PHONE, storage=people.ana_state)
    page.goto("/@ana")
    page.get_by_role("link", name="Lists", exact=True).click()
    expect(page).to_have_url(re.compile(r"/lists$"))
    expect(page.get_by_text("No lists yet")).to_be_visible()

    page.get_by_label("Title").fill("Friends")
    page.get_by_role("group", name="Show replies to").get_by_label("No one").check()
    page.get_by_label("Hide these posts from Home").check()
    page.get_by_role("button", name="Create list").click()
    # Made: on to its members, where the people one follows are offered.
    expect(page).to_have_url(re.compile(r"/lists/\d+/members$"))
    expect(page.get_by_role("heading", name="In this list (0)")).to_be_visible()
    page.get_by_label("Search people you follow").fill("be")
    page.get_by_label("Search people you follow").press("Enter")
    expect(page).to_have_url(re.compile(r"/members\?q=be$"))
    page.get_by_role("button", name="Add ben to the list").click()
    expect(page.get_by_role("heading", name="In this list (1)")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/members\?q=be$"))  # the search kept

    page.get_by_role("link", name="← Friends").click()
    expect(page.get_by_role("heading", name="Friends", level=1)).to_be_visible()
    post = page.locator(f"#post-{people.post_id}")
    expect(post.get_by_role("img", name="Ben's hills at noon")).to_be_visible()
    shoot(page, "list-feed-phone")

    page.get_by_role("link", name="Edit list").click()
    expect(page.get_by_label("Hide these posts from Home")).to_be_checked()
    expect(page.get_by_label("No one")).to_be_checked()
    page.get_by_label("Title").fill("Close friends")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Close friends", level=1)).to_be_visible()

    # Deleting asks in place; Cancel keeps the list.
    page.get_by_role("link", name="Edit list").click()
    delete = page.get_by_role("button", name="Delete list", exact=True)
    delete.click()
    expect(delete).to_have_attribute("aria-expanded", "true")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("button", name="Yes, delete list")).to_be_hidden()
    delete.click()
    page.get_by_role("button", name="Yes, delete list").click()
    expect(page).to_have_url(re.compile(r"/lists\?done=deleted$"))
    expect(page.get_by_role("status")).to_have_text("The list is deleted.")
    expect(page.get_by_text("No lists yet")).to_be_visible()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_lists_in_the_side_rail_not_the_bottom_bar(
    people: People, open_page: OpenPage, size: dict[str, int]
) -> None:
    page = open_page(size=size, storage=people.ana_state)
    page.goto("/home")
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Home", "Search", "New post", "Notifications", "Profile"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    lists = nav.get_by_role("link", name="Lists", exact=True)
    if size is PHONE:
        expect(lists).to_be_hidden()
        page.goto("/settings")
        page.get_by_role("navigation", name="Settings sections").get_by_role(
            "link", name="Lists"
        ).click()
    else:
        lists.click()
        expect(lists).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Lists", level=1)).to_be_visible()


def test_lists_without_scripts(people: People, browser: Browser, web_server: LiveServer) -> None:
    context = browser.new_context(
        base_url=web_server.url,
        java_script_enabled=False,
        storage_state=people.ana_state,
    )
    try:
        page = context.new_page()
        page.goto("/lists")
        page.get_by_label("Title").fill("Walkers")
        page.get_by_role("button", name="Create list").click()
        page.get_by_role("button", name="Add ben to the list").click()
        expect(page.get_by_role("heading", name="In this list (1)")).to_be_visible()
        page.get_by_role("button", name="Remove ben from the list").click()
        expect(page.get_by_role("heading", name="In this list (0)")).to_be_visible()
        page.get_by_role("link", name="← Walkers").click()
        expect(page.get_by_role("heading", name="This list is empty")).to_be_visible()
        page.get_by_role("link", name="Edit list").click()
        page.get_by_role("button", name="Delete list", exact=True).click()
        # No script to ask in place: the server asks on a page of its own.
        expect(page.get_by_role("heading", name="Delete list?")).to_be_visible()
        page.get_by_role("button", name="Yes, delete list").click()
        expect(page).to_have_url(re.compile(r"/lists\?done=deleted$"))
    finally:
        context.close()
