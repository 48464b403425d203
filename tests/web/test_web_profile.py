"""Profiles in a real browser: follow (Follow → Following), a private account's request
("Requested") approved on the follow-requests page and then its posts show, the grid's
links named by alt text, block / mute / report, edit profile with hostile text (inert),
and a square avatar upload.

One server per module; `people` signs its people up through the form once and posts
through the API (as the compose page will).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pyvips
from playwright.sync_api import Browser, Dialog, Page, expect

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

HOSTILE_NAME = "<b>Ana</b><img src=x onerror=y"  # 30 characters: the limit
HOSTILE_BIO = "<script>window.pwned=1</script>\n<i>second line</i> & more"
ALTS = ("A sun setting over purple hills", "Blue sky above green hills")


@dataclass
class People:
    ana: Person
    ben: Person
    cy: Person  # made private by the test that needs it
    dee: Person  # blocked, muted and reported
    states: dict[str, Any]
    carousel: dict[str, Any]
    single: dict[str, Any]


@pytest.fixture(scope="module")
def people(browser: Browser, web_server: LiveServer) -> People:
    states = {}
    for username in ("ana", "ben", "cy", "dee"):
        context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
        sign_up_in_browser(context.new_page(), username)
        states[username] = context.storage_state()
        context.close()
    ana, ben, cy, dee = (api_person(web_server, u) for u in ("ana", "ben", "cy", "dee"))
    carousel = post_photos(
        web_server, ana, [(photo(i), alt) for i, alt in enumerate(ALTS)], "Two views #hills"
    )
    single = post_photos(web_server, ana, [(photo(3, 1080, 1080), "")], "No description")
    post_photos(web_server, cy, [(photo(2, 1080, 1080), "Cy's quiet garden")], "Garden")
    return People(ana, ben, cy, dee, states, carousel, single)


def _as(open_page: OpenPage, people: People, who: str, **kwargs: Any) -> Page:
    return open_page(storage=people.states[who], **kwargs)


def test_follow_becomes_following_without_reload(people: People, open_page: OpenPage) -> None:
    page = _as(open_page, people, "ben")
    page.goto("/@ana")
    page.evaluate("window.stillHere = true")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Following")).to_be_visible()
    assert page.evaluate("window.stillHere") is True
    page.reload()
    following = page.get_by_role("button", name="Following")
    expect(following).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"1 follower"))).to_be_visible()
    following.click()  # unfollow
    expect(page.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    page.get_by_role("button", name="Follow", exact=True).click()  # and again, for the lists
    expect(page.get_by_role("button", name="Following")).to_be_visible()
    page.goto("/@ana/followers")
    expect(page.get_by_role("link", name=re.compile("@ben"))).to_have_attribute("href", "/@ben")


def test_grid_links_are_named_by_alt_text(people: People, open_page: OpenPage) -> None:
    page = _as(open_page, people, "ben", size=DESKTOP)
    page.goto("/@ana")
    tile = page.get_by_role("link", name=ALTS[0])
    expect(tile).to_have_attribute("href", f"/@ana/{people.carousel['id']}")
    expect(tile).to_contain_text("2 photos and videos")  # the carousel badge's words
    # No alt text: named after its author rather than left nameless.
    expect(page.get_by_role("link", name="Photo by ana")).to_have_attribute(
        "href", f"/@ana/{people.single['id']}"
    )
    boxes = [page.locator(".tile").nth(i).bounding_box() for i in range(2)]
    assert all(b and abs(b["width"] - b["height"]) < 1 for b in boxes), boxes  # square
    assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"]  # side by side
    shoot(page, "profile-grid-desktop")


def test_private_account_request_is_approved_then_posts_show(
    people: People, open_page: OpenPage
) -> None:
    cy = _as(open_page, people, "cy")
    cy.goto("/@cy")
    cy.get_by_role("link", name="Edit profile").click()
    cy.get_by_label("Private account").check()
    cy.get_by_role("button", name="Save").click()
    expect(cy).to_have_url(re.compile(r"/@cy$"))
    expect(cy.get_by_text("Private account")).to_be_attached()  # the lock's name

    ben = _as(open_page, people, "ben")
    ben.goto("/@cy")
    expect(ben.get_by_role("heading", name="This account is private")).to_be_visible()
    expect(ben.get_by_role("link", name="Cy's quiet garden")).to_have_count(0)
    ben.get_by_role("button", name="Follow", exact=True).click()
    expect(ben.get_by_role("button", name="Requested")).to_be_visible()
    shoot(ben, "profile-private-phone")

    cy.goto("/@cy")
    cy.get_by_role("link", name=re.compile(r"^Follow requests")).click()
    expect(cy).to_have_url(re.compile(r"/follow_requests$"))
    expect(cy.get_by_role("link", name=re.compile("@ben"))).to_be_visible()
    cy.get_by_role("button", name="Approve").click()
    expect(cy.get_by_text("No one is asking to follow you.")).to_be_visible()

    ben.reload()
    expect(ben.get_by_role("button", name="Following")).to_be_visible()
    expect(ben.get_by_role("link", name="Cy's quiet garden")).to_be_visible()


def test_mute_block_and_report(people: People, open_page: OpenPage, web_server: LiveServer) -> None:
    page = _as(open_page, people, "ben")
    page.goto("/@dee")
    menu = page.locator("summary", has_text="More options for dee")
    menu.click()
    shoot(page, "profile-menu-phone")
    page.get_by_role("button", name="Mute").click()
    expect(page).to_have_url(re.compile(r"/@dee$"))
    menu.click()
    expect(page.get_by_role("button", name="Unmute")).to_be_visible()
    page.get_by_role("link", name="Report").click()
    page.get_by_label("It's spam").check()
    page.get_by_label("Tell the moderators more").fill("Posts the same advert every hour")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status")).to_contain_text("your report was sent")
    page.goto("/@dee")
    page.locator("summary", has_text="More options for dee").click()
    page.get_by_role("button", name="Block").click()
    expect(page.get_by_role("button", name="Unblock").first).to_be_visible()
    expect(page.get_by_role("button", name="Follow", exact=True)).to_have_count(0)
    relationship = api(
        web_server, people.ben, "GET", f"/api/v1/accounts/relationships?id[]={people.dee.id}"
    )[0]
    assert relationship["blocking"] and relationship["muting"]
    page.get_by_role("button", name="Unblock").first.click()
    expect(page.get_by_role("button", name="Follow", exact=True)).to_be_visible()


def test_edit_profile_with_hostile_text_renders_inert(people: People, open_page: OpenPage) -> None:
    page = _as(open_page, people, "ana")
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto("/profile/edit")
    page.get_by_label("Name").fill(HOSTILE_NAME)
    page.get_by_label("Bio").fill(HOSTILE_BIO)
    page.get_by_label("Website").fill("https://ana.example/photos")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/@ana$"))
    expect(page.locator(".profile-display-name")).to_have_text(HOSTILE_NAME)
    expect(page.locator(".profile-note")).to_contain_text("<script>window.pwned=1</script>")
    expect(page.locator(".profile-note")).to_contain_text("<i>second line</i> & more")
    expect(page.get_by_role("link", name="ana.example/photos")).to_have_attribute(
        "href", "https://ana.example/photos"
    )
    assert page.locator(".profile b, .profile i, .profile script, .profile-bio img").count() == 0
    assert page.evaluate("window.pwned") is None and not dialogs
    # A refusal shows the form again with what was typed and the server's reason.
    page.goto("/profile/edit")
    page.get_by_label("Website").evaluate("i => i.type = 'text'")
    page.get_by_label("Website").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("website must be an http(s) URL")
    expect(page.get_by_label("Website")).to_have_value("javascript:alert(1)")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_avatar_upload_is_cropped_square(
    people: People, open_page: OpenPage, web_server: LiveServer, size: dict[str, int]
) -> None:
    page = _as(open_page, people, "ana", size=size)
    page.goto("/profile/edit")
    page.get_by_label("Profile picture").set_input_files(
        {"name": "wide.jpg", "mimeType": "image/jpeg", "buffer": photo(1, 1200, 600)}
    )
    expect(page.locator("[data-avatar-preview]")).to_have_attribute("src", re.compile("^blob:"))
    # The module put its square crop in the input in place of the wide picture.
    chosen = page.get_by_label("Profile picture").evaluate(
        "i => [i.files.length, i.files[0].name, i.files[0].type]"
    )
    assert chosen == [1, "avatar.jpg", "image/jpeg"], chosen
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/@ana$"))
    avatar = page.locator("img.profile-avatar").get_attribute("src")
    assert avatar and "missing" not in avatar, avatar
    url = web_server.url + avatar if avatar.startswith("/") else avatar
    image = pyvips.Image.new_from_buffer(httpx.get(url).content, "")
    assert image.width == image.height, (image.width, image.height)
