"""Settings › Filters in a real browser: a filter made on the page (a keyword row added in
place by "Add keyword") collapses a followed person's post on Home under the filter's
title, and "Show anyway" (or the like shortcut, which does not like it unseen) reveals
it, its Like button with it; axe and screenshots of
the list and the form at both sizes. (Over HTTP: tests/test_web_filters.py.)"""

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
    wait_for_home,
)


def test_a_filter_made_on_the_page_collapses_a_home_post(
    browser: Browser, web_server: LiveServer
) -> None:
    context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_up_in_browser(page, "gus")
        other = browser.new_context(base_url=web_server.url)
        sign_up_in_browser(other.new_page(), "fia")
        other.close()
        gus, fia = api_person(web_server, "gus"), api_person(web_server, "fia")
        api(web_server, gus, "POST", f"/api/v1/accounts/{fia.id}/follow")
        warned = post_photos(
            web_server, fia, [(photo(2), "A dark ridge")], "Who saw the finale last night?"
        )
        post_photos(web_server, fia, [(photo(1), "Blue sky")], "Morning walk")
        wait_for_home(web_server, gus, 2)

        page.goto("/settings")
        page.get_by_role("navigation", name="Settings sections").get_by_role(
            "link", name="Filters"
        ).click()
        expect(page).to_have_url(re.compile(r"/settings/filters$"))
        page.get_by_role("link", name="New filter").first.click()
        page.get_by_label("Title", exact=True).fill("TV spoilers")
        page.get_by_label("Keyword 1", exact=True).fill("episode")
        # A second row, in place (no navigation), focused for typing.
        page.evaluate("window.stillHere = true")
        page.get_by_role("button", name="Add keyword").click()
        expect(page.get_by_label("Keyword 2", exact=True)).to_be_focused()
        page.keyboard.type("finale")
        assert page.evaluate("window.stillHere") is True
        expect(page.get_by_label("Home", exact=True)).to_be_checked()
        expect(page.get_by_label("Warn", exact=True)).to_be_checked()
        page.get_by_role("button", name="Save filter").click()
        expect(page.get_by_role("status")).to_contain_text("Your filter is saved.")
        item = page.locator(".filter-item")
        expect(item).to_contain_text("TV spoilers")
        expect(item).to_contain_text("2 keywords")
        expect(item).to_contain_text("Never expires")
        [made] = api(web_server, gus, "GET", "/api/v2/filters")
        assert [k["keyword"] for k in made["keywords"]] == ["episode", "finale"]

        page.goto("/home")
        article = page.locator(f"#post-{warned['id']}")
        expect(article).to_contain_text("Hidden by your filter: TV spoilers")
        expect(article.get_by_role("link", name="fia").first).to_be_visible()
        like = article.get_by_role("button", name="Like")
        expect(like).to_be_hidden()
        expect(article.get_by_text("Who saw the finale")).to_be_hidden()
        article.evaluate("a => a.scrollIntoView({block: 'center'})")
        shoot(page, "filtered-post-phone")
        # The like shortcut on a collapsed post shows it instead of liking it unseen.
        article.evaluate("a => { a.tabIndex = -1; a.focus(); }")
        page.keyboard.press("l")
        expect(like).to_be_visible()
        expect(like).to_have_attribute("aria-pressed", "false")
        seen = api(web_server, gus, "GET", f"/api/v1/statuses/{warned['id']}")
        assert seen["favourited"] is False
        article.get_by_text("Hide again").click()
        expect(like).to_be_hidden()
        article.get_by_text("Show anyway").click()
        expect(like).to_be_visible()
        expect(like).to_have_attribute("aria-pressed", "false")
        expect(article.get_by_text("Who saw the finale")).to_be_visible()
        expect(article.get_by_text("Hide again")).to_be_visible()
        shoot(page, "filtered-post-shown-phone")
        check_axe(page, "/home with a filtered post")
        # The other post is not filtered.
        expect(page.get_by_role("article").filter(has_text="Morning walk")).not_to_contain_text(
            "Hidden by your filter"
        )

        state = context.storage_state()
        for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
            shot = browser.new_context(
                base_url=web_server.url,
                viewport=size,  # type: ignore[arg-type]
                storage_state=state,
            ).new_page()
            for path, what in (
                ("/settings/filters", "filters"),
                (f"/settings/filters/{made['id']}", "filter-edit"),
            ):
                shot.goto(path)
                check_axe(shot, f"{path} at {name}")
                shoot(shot, f"{what}-{name}")
            shot.context.close()
    finally:
        context.close()
