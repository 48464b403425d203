"""Two people meet on the website, each in a browser of their own, as issue 16 tells it:
both sign up; ana posts three photos and a video with alt text, reordered; ben finds
and follows her, sees the post on Home, swipes the carousel, likes it by double-tap and
comments; ana, without reloading, sees her unread count change. Everything through the
pages, with nothing seeded behind them."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.live import LiveServer
from tests.web.conftest import PHONE
from tests.web.support import api, api_person, shoot, sign_up_in_browser
from tests.web.test_web_compose import _photo, _video

POST_URL = re.compile(r"/@ana/(\d+)$")


def _person(browser: Browser, server: LiveServer, username: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        base_url=server.url,
        viewport=PHONE,  # type: ignore[arg-type]
        has_touch=True,
        reduced_motion="reduce",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_up_in_browser(page, username)
    return context, page


def _ana_posts(page: Page) -> str:
    """Three photos and a video with alt text, the video moved to the front."""
    page.get_by_role("link", name="New post").first.click()
    page.get_by_label("Photos and videos").set_input_files(
        [_photo(1), _photo(2), _photo(3), _video()]
    )
    items = page.locator(".compose-item")
    expect(items).to_have_count(4)
    for index, alt in enumerate(["Red dawn", "Green noon", "Blue dusk", "A walk by the lake"]):
        kind = "video" if index == 3 else "photo"
        page.get_by_label(f"Alt text, {kind} {index + 1} of 4").fill(alt)
    for position in (3, 2, 1):
        items.nth(position).get_by_role("button", name="Move left").click()
    expect(page.get_by_label("Alt text, video 1 of 4")).to_have_value("A walk by the lake")
    page.get_by_label("Caption").fill("A day at the lake #lake")
    page.get_by_role("button", name="Share").click()
    expect(page).to_have_url(POST_URL, timeout=90_000)
    found = POST_URL.search(page.url)
    assert found
    return found.group(1)


def _ben_follows_ana(page: Page) -> None:
    page.get_by_role("link", name="Search").first.click()
    page.get_by_role("searchbox", name="Search").fill("ana")
    page.get_by_role("link", name=re.compile("@ana")).first.click()
    follow = page.get_by_role("button", name="Follow", exact=True)
    follow.click()
    expect(page.get_by_role("button", name="Following")).to_be_visible()


def test_two_people_meet_on_the_website(browser: Browser, web_server: LiveServer) -> None:
    ana_context, ana = _person(browser, web_server, "ana")
    ben_context, ben = _person(browser, web_server, "ben")
    try:
        post_id = _ana_posts(ana)
        media = api(web_server, api_person(web_server, "ana"), "GET", f"/api/v1/statuses/{post_id}")
        assert [m["type"] for m in media["media_attachments"]] == [
            "video",
            "image",
            "image",
            "image",
        ]
        nav = ana.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

        _ben_follows_ana(ben)
        ben.get_by_role("link", name="Home").first.click()
        post = ben.locator(f"#post-{post_id}")
        # A follow brings the person's recent posts into Home by a job: a moment later.
        for _ in range(20):
            if post.count():
                break
            ben.wait_for_timeout(1000)
            ben.reload()
        expect(post).to_be_visible()
        expect(post.get_by_role("link", name=re.compile("ana")).first).to_be_visible()
        # A swipe scrolls the strip: the next item becomes the one shown.
        expect(post.locator("[data-carousel-position]")).to_have_text("1 of 4")
        post.locator("[data-carousel-track]").evaluate(
            "strip => strip.scrollBy({left: strip.clientWidth, behavior: 'instant'})"
        )
        expect(post.locator("[data-carousel-position]")).to_have_text("2 of 4")
        expect(post.get_by_role("img", name="Red dawn")).to_be_visible()
        # A double-tap on the photo likes it.
        like = post.get_by_role("button", name="Like")
        expect(like).to_have_attribute("aria-pressed", "false")
        post.get_by_role("img", name="Red dawn").dblclick()
        expect(like).to_have_attribute("aria-pressed", "true")
        shoot(ben, "scenario-home-liked-phone")
        post.get_by_role("link", name="Comment").click()
        ben.get_by_label("Add a comment").fill("What a <b>day</b>!")
        ben.get_by_role("button", name="Post").click()
        expect(ben.locator(".comment").filter(has_text="What a <b>day</b>!")).to_be_visible()

        # Ana has not reloaded: a follow, a like and a comment arrived meanwhile.
        expect(nav.get_by_role("link", name="Notifications, 3 new")).to_be_visible(timeout=20_000)
        nav.get_by_role("link", name=re.compile("^Notifications")).click()
        notes = ana.locator(".note")
        expect(notes.filter(has_text="ben")).not_to_have_count(0)
        comment = notes.filter(has_text="commented")
        expect(comment).to_contain_text("What a <b>day</b>!")
        shoot(ana, "scenario-notifications-phone")
        status = api(
            web_server, api_person(web_server, "ana"), "GET", f"/api/v1/statuses/{post_id}"
        )
        assert status["favourites_count"] == 1 and status["replies_count"] == 1
    finally:
        ana_context.close()
        ben_context.close()
