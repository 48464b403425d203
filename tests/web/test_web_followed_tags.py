"""Following a hashtag in a real browser: Follow on its page turns to Following without a
reload, Settings lists it under Followed hashtags, and its button there unfollows."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, PHONE, OpenPage
from tests.web.support import (
    api_sign_up,
    check_axe,
    photo,
    post_photos,
    shoot,
    sign_up_in_browser,
)


def test_follow_a_hashtag_then_unfollow_it_from_settings(
    open_page: OpenPage, web_server: LiveServer
) -> None:
    ben = api_sign_up(web_server, "ben")
    post_photos(web_server, ben, [(photo(3), "Red sky over the bay")], "Evening #sunset")
    page = open_page(size=PHONE)
    sign_up_in_browser(page, "ana")
    page.goto("/tags/sunset")
    follow = page.get_by_role("button", name="Follow", exact=True)
    follow.click()
    following = page.get_by_role("button", name="Following")
    expect(following).to_be_visible()
    expect(page).to_have_url(re.compile(r"/tags/sunset$"))  # no reload
    check_axe(page, "a hashtag's page (phone)")
    shoot(page, "tag-following-phone")

    page.goto("/settings")
    page.get_by_role("navigation", name="Settings sections").get_by_role(
        "link", name="Followed hashtags"
    ).click()
    expect(page.get_by_role("heading", name="Followed hashtags", level=1)).to_be_visible()
    row = page.get_by_role("listitem").filter(has_text="#sunset")
    expect(row.get_by_role("link", name="#sunset")).to_be_visible()
    row.get_by_role("button", name="Following").click()
    expect(row.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_text("You follow no hashtags")).to_be_visible()

    desktop = open_page(size=DESKTOP, storage=page.context.storage_state())
    desktop.goto("/tags/sunset")
    expect(desktop.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    check_axe(desktop, "a hashtag's page (desktop)")
