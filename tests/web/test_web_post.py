"""The post page in a real browser: comments (add, delete one's own after confirming),
likers, the caption edited with its history, the post deleted after confirming, and a
hostile caption and comment shown literally.

One server for the module; ana posts through the API, ben follows her.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, PHONE, OpenPage
from tests.web.support import (
    Person,
    api,
    api_person,
    photo,
    post_photos,
    shoot,
    sign_up_in_browser,
)

HOSTILE = "<b>bold?</b> <img src=x onerror=window.pwned=1> & #lake"


@dataclass
class World:
    ana: Person
    ben: Person
    ana_state: Any
    ben_state: Any


@pytest.fixture(scope="module")
def world(browser: Browser, web_server: LiveServer) -> World:
    states = {}
    for username in ("ana", "ben"):
        context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
        page = context.new_page()
        sign_up_in_browser(page, username)
        states[username] = context.storage_state()
        context.close()
    ana, ben = api_person(web_server, "ana"), api_person(web_server, "ben")
    api(web_server, ben, "POST", f"/api/v1/accounts/{ana.id}/follow")
    return World(ana, ben, states["ana"], states["ben"])


def _post(server: LiveServer, world: World, caption: str) -> dict[str, Any]:
    return post_photos(server, world.ana, [(photo(1, 1080, 1080), "Calm lake")], caption)


def _open(open_page: OpenPage, state: Any, status: dict[str, Any], **kwargs: Any) -> Page:
    page = open_page(storage=state, **kwargs)
    page.goto(f"/@ana/{status['id']}")
    return page


def test_comment_add_and_delete(world: World, open_page: OpenPage, web_server: LiveServer) -> None:
    status = _post(web_server, world, "Comment on me")
    page = open_page(storage=world.ben_state)
    page.goto("/home")
    page.locator(f"#post-{status['id']}").get_by_role("link", name="Comment").click()
    expect(page).to_have_url(re.compile(rf"/@ana/{status['id']}#comments$"))
    page.get_by_label("Add a comment").fill("Lovely <i>light</i>")
    page.get_by_role("button", name="Post").click()
    comment = page.locator(".comment").filter(has_text="Lovely <i>light</i>")
    expect(comment).to_be_visible()
    assert (
        api(web_server, world.ana, "GET", f"/api/v1/statuses/{status['id']}")["replies_count"] == 1
    )
    shoot(page, "post-comments-phone")
    comment.get_by_role("button", name="Delete comment").click()
    comment.get_by_role("button", name="Yes, delete comment").click()
    expect(page.get_by_text("No comments yet.")).to_be_visible()
    context = api(web_server, world.ana, "GET", f"/api/v1/statuses/{status['id']}/context")
    assert context["descendants"] == []


def test_others_comments_have_no_delete_but_the_owner_can(
    world: World, open_page: OpenPage, web_server: LiveServer
) -> None:
    status = _post(web_server, world, "Owner moderates")
    api(
        web_server,
        world.ben,
        "POST",
        "/api/v1/statuses",
        json={"status": "First!", "in_reply_to_id": status["id"]},
    )
    page = _open(open_page, world.ben_state, status)
    expect(page.locator(".comment")).to_have_count(1)
    ana_page = _open(open_page, world.ana_state, status)
    comment = ana_page.locator(".comment").filter(has_text="First!")
    comment.get_by_role("button", name="Delete comment").click()
    comment.get_by_role("button", name="Yes, delete comment").click()
    expect(ana_page.get_by_text("No comments yet.")).to_be_visible()


def test_likers_list(world: World, open_page: OpenPage, web_server: LiveServer) -> None:
    status = _post(web_server, world, "Like me")
    api(web_server, world.ben, "POST", f"/api/v1/statuses/{status['id']}/favourite")
    page = _open(open_page, world.ana_state, status)
    page.get_by_role("link", name="See who liked this").click()
    expect(page).to_have_url(re.compile(r"/likes$"))
    expect(page.get_by_role("link", name=re.compile("@ben"))).to_be_visible()


def test_edit_caption_shows_the_history(
    world: World, open_page: OpenPage, web_server: LiveServer
) -> None:
    status = _post(web_server, world, "First words")
    page = _open(open_page, world.ana_state, status, size=DESKTOP)
    page.get_by_text("Edit caption").click()
    page.get_by_label("Caption").fill("Better words #lake")
    page.get_by_role("button", name="Save caption").click()
    expect(page.locator(".post .caption")).to_contain_text("Better words")
    history = page.locator("details.history")
    history.locator("summary").click()
    expect(history).to_contain_text("First words")
    expect(history).to_contain_text("(original)")
    shoot(page, "post-history-desktop")
    edits = api(web_server, world.ana, "GET", f"/api/v1/statuses/{status['id']}/history")
    assert len(edits) == 2
    # Another person sees the history too, and no owner tools.
    ben_page = _open(open_page, world.ben_state, status)
    expect(ben_page.locator("details.history")).to_be_attached()
    expect(ben_page.get_by_text("Edit caption")).to_have_count(0)
    expect(ben_page.get_by_text("Delete post")).to_have_count(0)


def test_delete_after_confirming(world: World, open_page: OpenPage, web_server: LiveServer) -> None:
    status = _post(web_server, world, "Short-lived")
    page = _open(open_page, world.ana_state, status)
    confirm = page.get_by_role("button", name="Yes, delete post")
    expect(confirm).to_be_hidden()  # nothing is deleted by one press
    delete = page.get_by_role("button", name="Delete post", exact=True)
    delete.click()
    expect(delete).to_have_attribute("aria-expanded", "true")
    expect(confirm).to_be_focused()
    page.keyboard.press("Escape")  # changed one's mind: closed, nothing deleted
    expect(confirm).to_be_hidden()
    expect(delete).to_be_focused()
    delete.click()
    confirm.click()
    expect(page).to_have_url(re.compile(r"/@ana$"))
    with httpx.Client(base_url=web_server.url) as http:
        gone = http.get(f"/api/v1/statuses/{status['id']}", headers=world.ana.headers)
    assert gone.status_code == 404
    page.goto(f"/@ana/{status['id']}")
    expect(page.get_by_role("heading", name=re.compile("not found", re.I))).to_be_visible()


def test_hostile_caption_and_comment_render_inert(
    world: World, open_page: OpenPage, web_server: LiveServer
) -> None:
    status = _post(web_server, world, HOSTILE)
    api(
        web_server,
        world.ben,
        "POST",
        "/api/v1/statuses",
        json={"status": HOSTILE, "in_reply_to_id": status["id"]},
    )
    page = _open(open_page, world.ben_state, status)
    expect(page.locator(".post .caption")).to_contain_text("<b>bold?</b> <img src=x")
    expect(page.locator(".comment")).to_contain_text("<b>bold?</b> <img src=x")
    assert page.locator(".caption b, .comment b, img[src=x]").count() == 0
    assert page.evaluate("window.pwned") is None
    # The owner's editor holds the caption as text, too.
    ana_page = _open(open_page, world.ana_state, status)
    ana_page.get_by_text("Edit caption").click()
    expect(ana_page.get_by_label("Caption")).to_have_value(HOSTILE)
    assert ana_page.evaluate("window.pwned") is None


def test_reply_to_a_comment_and_open_a_comments_own_link(
    world: World, open_page: OpenPage, web_server: LiveServer
) -> None:
    status = _post(web_server, world, "Talk to me")
    comment = api(
        web_server,
        world.ben,
        "POST",
        "/api/v1/statuses",
        json={"status": "Where is this?", "in_reply_to_id": status["id"]},
    )
    page = _open(open_page, world.ana_state, status)
    page.get_by_role("link", name="Reply to ben").click()
    expect(page.get_by_text("Replying to @ben")).to_be_visible()
    field = page.get_by_label("Add a comment")
    expect(field).to_be_focused()
    expect(field).to_have_value("@ben ")
    page.keyboard.type("the lake by the mill")
    page.get_by_role("button", name="Post", exact=True).click()  # ana also has "Delete post"
    answer = page.locator(".comment-answer").filter(has_text="the lake by the mill")
    expect(answer).to_contain_text("@ben the lake by the mill")  # typed after the name
    expect(page.get_by_text("Replying to @ben")).to_have_count(0)
    shoot(page, "post-reply-phone")
    # The answer's own URL, as an app or a notification links to it, opens the post there.
    page.goto(f"/@ben/{comment['id']}")
    expect(page).to_have_url(re.compile(rf"/@ana/{status['id']}#comment-{comment['id']}$"))
    expect(page.locator(f"#comment-{comment['id']}")).to_be_in_viewport()


def test_pin_a_post_to_the_top_of_the_profile(
    world: World, open_page: OpenPage, web_server: LiveServer
) -> None:
    status = _post(web_server, world, "Best of the year")
    _post(web_server, world, "A later one")
    page = _open(open_page, world.ana_state, status)
    pin = page.get_by_role("button", name="Pin to profile")
    expect(pin).to_have_attribute("aria-pressed", "false")
    with page.expect_response(lambda answer: answer.url.endswith("/pin")):
        pin.click()
    expect(pin).to_have_attribute("aria-pressed", "true")  # the server's answer, no reload
    page.goto("/@ana")
    first = page.locator(".profile-grid .tile").first
    expect(first).to_have_attribute("href", f"/@ana/{status['id']}")
    expect(first).to_have_accessible_name(re.compile(r"^Calm lake.*pinned", re.I))
    shoot(page, "profile-pinned-phone")
    page.goto(f"/@ana/{status['id']}")
    page.get_by_role("button", name="Pin to profile").click()
    expect(page.get_by_role("button", name="Pin to profile")).to_have_attribute(
        "aria-pressed", "false"
    )


def test_a_comment_under_another_name_is_not_found(
    world: World, open_page: OpenPage, web_server: LiveServer
) -> None:
    status = _post(web_server, world, "Where am I")
    page = open_page(storage=world.ben_state)
    answer = page.goto(f"/@ben/{status['id']}")
    assert answer is not None and answer.status == 404
