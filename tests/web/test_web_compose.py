"""Compose in a real browser: three photos and a video with alt text, reordered; the
same by keyboard only; a draft that survives a reload; a refused file with the server's
reason; a share pressed while a video processes, finished after a reload; the alt text
read from a photo's own XMP description.

One server for the module; each test signs up its own person (a fresh browser context).
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from playwright.sync_api import FilePayload, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.fixtures_media import made
from tests.support.fixtures_media.encode import jpeg, scene, xmp_segment
from tests.support.fixtures_media.encode import xmp as xmp_packet
from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, OpenPage
from tests.web.support import Person, api, api_person, photo, shoot, sign_up_in_browser

POST_URL = re.compile(r"/@\w+/\d+$")


def _file(name: str, data: bytes, mime: str) -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


def _photo(i: int) -> FilePayload:
    return _file(f"photo{i}.jpg", photo(i, 640, 800), "image/jpeg")


def _video() -> FilePayload:
    return _file("clip.mp4", made("clip.mp4").read_bytes(), "video/mp4")


def _newest_post(server: LiveServer, person: Person) -> dict[str, Any]:
    posts = api(server, person, "GET", f"/api/v1/accounts/{person.id}/statuses")
    assert posts, "no post was made"
    newest: dict[str, Any] = posts[0]
    return newest


def _signed_up(open_page: OpenPage, username: str, **kwargs: Any) -> Page:
    page = open_page(**kwargs)
    sign_up_in_browser(page, username)
    page.get_by_role("link", name="New post").first.click()
    expect(page).to_have_url(re.compile(r"/compose$"))
    return page


def _items(page: Page) -> Any:
    return page.locator(".compose-item")


def test_three_photos_and_a_video_reordered_with_alt_text(
    open_page: OpenPage, web_server: LiveServer
) -> None:
    page = _signed_up(open_page, "cara", size=DESKTOP)
    page.get_by_label("Photos and videos").set_input_files(
        [_photo(0), _photo(1), _photo(2), _video()]
    )
    expect(_items(page)).to_have_count(4)
    alts = ["Orange dusk", "Blue noon", "Purple night", "A short clip"]
    kinds = ["photo", "photo", "photo", "video"]
    for index, (alt, kind) in enumerate(zip(alts, kinds, strict=True)):
        page.get_by_label(f"Alt text, {kind} {index + 1} of 4").fill(alt)
    expect(page.get_by_text("Some items have no alt text yet")).to_be_hidden()
    # The video first, the first photo last: left three times, then right once.
    for position in (3, 2, 1):
        _items(page).nth(position).get_by_role("button", name="Move left").click()
    _items(page).nth(1).get_by_role("button", name="Move right").click()
    expect(page.get_by_label("Alt text, video 1 of 4")).to_have_value("A short clip")
    expect(page.get_by_label("Alt text, photo 2 of 4")).to_have_value("Blue noon")
    expect(page.get_by_label("Alt text, photo 3 of 4")).to_have_value("Orange dusk")
    # A focal point on the last photo: a click at its top-left quarter.
    preview = _items(page).nth(3).locator(".compose-preview")
    preview.scroll_into_view_if_needed()
    box = preview.bounding_box()
    assert box is not None
    # (Playwright's click waits for the spot to be free of the toast the move showed.)
    preview.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.25})
    expect(page.get_by_text("Focal point set.")).to_be_visible()
    page.get_by_label("Caption").fill("Four at once #dusk")
    expect(page.get_by_text("18 / 255")).to_be_visible()
    shoot(page, "compose-filled-desktop")
    page.get_by_role("button", name="Share").click()
    expect(page).to_have_url(POST_URL, timeout=90_000)
    cara = api_person(web_server, "cara")
    status = _newest_post(web_server, cara)
    media = status["media_attachments"]
    assert [m["description"] for m in media] == [
        "A short clip",
        "Blue noon",
        "Orange dusk",
        "Purple night",
    ]
    assert [m["type"] for m in media] == ["video", "image", "image", "image"]
    focus = media[3]["meta"]["focus"]
    assert abs(focus["x"] + 0.5) < 0.05 and abs(focus["y"] - 0.5) < 0.05, focus
    assert "Four at once" in status["content"]
    # The post page shows it, its photos with their alt text.
    expect(page.locator('img[alt="Blue noon"]')).to_have_count(1)


def _tab_to(page: Page, name: str, *, limit: int = 60) -> None:
    """Press Tab until the focused element's accessible name starts with `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
              const e = document.activeElement;
              if (!e) return "";
              const label = e.labels && e.labels[0] ? e.labels[0].textContent : "";
              return (e.getAttribute("aria-label") || label || e.textContent || "").trim();
            }"""
        )
        if focused.lower().startswith(name.lower()):
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_compose_by_keyboard_only(open_page: OpenPage, web_server: LiveServer) -> None:
    page = _signed_up(open_page, "dina")
    page.locator("body").focus()
    _tab_to(page, "Photos and videos")
    for key in ("Enter", " ", "Enter"):  # (a key pressed while the page settles may be lost)
        try:
            with page.expect_file_chooser(timeout=4000) as chooser:
                page.keyboard.press(key)
            break
        except PlaywrightTimeout:
            continue
    chooser.value.set_files([_photo(3), _photo(4)])
    expect(_items(page)).to_have_count(2)
    _tab_to(page, "Alt text, photo 1 of 2")
    page.keyboard.type("Pale sky")
    _tab_to(page, "Move right")
    page.keyboard.press("Enter")  # the first photo becomes the second, focus stays on it
    expect(page.get_by_label("Alt text, photo 2 of 2")).to_have_value("Pale sky")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    _tab_to(page, "Alt text, photo 1 of 2")
    page.keyboard.type("Pink sunset")
    # The second photo's focal point, by arrow keys on its preview: half left, half up.
    _tab_to(page, "Focal point, photo 2 of 2")
    for key in ("Shift+ArrowLeft", "ArrowUp", "ArrowUp", "ArrowUp", "ArrowUp", "ArrowUp"):
        page.keyboard.press(key)
    expect(page.get_by_text("Focal point 25% left of centre, 25% above centre.")).to_be_visible()
    _tab_to(page, "Caption")
    page.keyboard.type("Typed, not clicked")
    _tab_to(page, "Share")
    page.keyboard.press("Enter")
    expect(page).to_have_url(POST_URL, timeout=60_000)
    dina = api_person(web_server, "dina")
    media = _newest_post(web_server, dina)["media_attachments"]
    assert [m["description"] for m in media] == ["Pink sunset", "Pale sky"]
    assert media[1]["meta"]["focus"] == {"x": -0.5, "y": 0.5}


def test_a_draft_survives_a_reload(open_page: OpenPage, web_server: LiveServer) -> None:
    page = _signed_up(open_page, "emil")
    page.get_by_label("Photos and videos").set_input_files([_photo(1)])
    expect(_items(page).first.get_by_text("Ready")).to_be_visible(timeout=30_000)
    page.get_by_label("Alt text, photo 1 of 1").fill("Hills at noon")
    page.get_by_label("Caption").fill("Not finished yet")
    page.get_by_label("Audience").select_option("private")
    page.reload()
    expect(page.get_by_text("Your draft is back.")).to_be_visible()
    expect(page.get_by_label("Caption")).to_have_value("Not finished yet")
    expect(page.get_by_label("Audience")).to_have_value("private")
    expect(page.get_by_label("Alt text, photo 1 of 1")).to_have_value("Hills at noon")
    expect(_items(page).first.get_by_text("Ready")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Share").click()
    expect(page).to_have_url(POST_URL, timeout=30_000)
    emil = api_person(web_server, "emil")
    status = _newest_post(web_server, emil)
    assert status["visibility"] == "private"
    assert status["media_attachments"][0]["description"] == "Hills at noon"
    # Shared: the draft is gone.
    page.goto("/compose")
    expect(page.get_by_label("Caption")).to_have_value("")
    expect(_items(page)).to_have_count(0)


def test_a_refused_file_shows_the_servers_reason(
    open_page: OpenPage, web_server: LiveServer
) -> None:
    page = _signed_up(open_page, "fred")
    page.get_by_label("Photos and videos").set_input_files(
        [_file("page.jpg", made("html.jpg").read_bytes(), "image/jpeg")]
    )
    fred = api_person(web_server, "fred")
    with httpx.Client(base_url=web_server.url) as http:
        answer = http.post(
            "/api/v2/media",
            headers=fred.headers,
            files={"file": ("page.jpg", made("html.jpg").read_bytes(), "image/jpeg")},
        )
    assert answer.status_code == 422
    reason = answer.json()["error"]
    alert = _items(page).first.get_by_role("alert")
    expect(alert).to_contain_text(reason)
    expect(alert).to_contain_text("page.jpg")
    shoot(page, "compose-refused-phone")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_text("Remove the refused files first.")).to_be_visible()
    page.get_by_role("button", name="Remove").click()
    expect(_items(page)).to_have_count(0)


def test_share_while_processing_finishes_after_a_reload(
    open_page: OpenPage, web_server: LiveServer
) -> None:
    page = _signed_up(open_page, "gina")
    page.get_by_label("Photos and videos").set_input_files([_video()])
    expect(_items(page)).to_have_count(1)
    page.get_by_label("Alt text, video 1 of 1").fill("A test card")
    page.get_by_label("Caption").fill("Shared before it was ready")
    expect(_items(page).first.get_by_text(re.compile("Processing|Ready"))).to_be_visible()
    page.get_by_role("button", name="Share").click()
    pending = page.evaluate("localStorage.getItem('shutter.pendingShare')")
    if pending is not None and not POST_URL.search(page.url):
        page.reload()
    expect(page).to_have_url(POST_URL, timeout=90_000)
    gina = api_person(web_server, "gina")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # one post only, even if the share ran twice
        time.sleep(0.5)
    posts = api(web_server, gina, "GET", f"/api/v1/accounts/{gina.id}/statuses")
    assert len(posts) == 1
    assert posts[0]["media_attachments"][0]["description"] == "A test card"


def test_alt_text_comes_from_the_photos_own_description(open_page: OpenPage) -> None:
    data = jpeg(scene(320, 240), xmp_segment(xmp_packet("A red kite over the dunes")))
    page = _signed_up(open_page, "hugo")
    page.get_by_label("Photos and videos").set_input_files([_file("kite.jpg", data, "image/jpeg")])
    expect(page.get_by_label("Alt text, photo 1 of 1")).to_have_value("A red kite over the dunes")


def test_without_scripts_the_form_posts_the_files(browser: Any, web_server: LiveServer) -> None:
    context = browser.new_context(base_url=web_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/signup")
        page.get_by_label("Username", exact=True).fill("ivan")
        page.get_by_label("Email").fill("ivan@example.com")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign up").click()
        page.goto("/compose")
        page.get_by_label("Photos and videos").set_input_files([_photo(2), _photo(3)])
        page.get_by_label("Alt text, item 1").fill("First by form")
        page.get_by_label("Alt text, item 2").fill("Second by form")
        page.get_by_label("Caption").fill("No scripts <b>here</b>")
        page.get_by_role("button", name="Share").click()
        expect(page).to_have_url(POST_URL, timeout=60_000)
        expect(page.locator(".caption").get_by_text("No scripts <b>here</b>")).to_be_visible()
        ivan = api_person(web_server, "ivan")
        media = _newest_post(web_server, ivan)["media_attachments"]
        assert [m["description"] for m in media] == ["First by form", "Second by form"]
    finally:
        context.close()
