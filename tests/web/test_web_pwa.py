"""The installable app and the feed's feel in Chromium: the manifest is linked, the
service worker takes the page, Home opens offline after a visit (and an unvisited page
shows the offline page), a share from the phone reaches Compose, a pushed message
becomes a notification (CDP ServiceWorker.deliverPushMessage: no real push service is
reachable here; the server side is tests/test_web_installable.py), going back keeps the
feed's pages and place, and a double-tap likes.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect

from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, PHONE, OpenPage
from tests.web.support import (
    Person,
    api_person,
    check_axe,
    photo,
    post_photos,
    shoot,
    sign_up_in_browser,
    wait_for_home,
)


@dataclass
class World:
    ana: Person
    state: Any  # ana's signed-in cookies
    posts: list[dict[str, Any]]


@pytest.fixture(scope="module")
def world(browser: Browser, web_server: LiveServer) -> World:
    context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    sign_up_in_browser(page, "ana")
    state = context.storage_state()
    context.close()
    ana = api_person(web_server, "ana")
    posts = [
        post_photos(web_server, ana, [(photo(i, 540, 675), f"Hills at dusk {i}")], f"Walk {i}")
        for i in range(5)
    ]
    wait_for_home(web_server, ana, 5)
    return World(ana=ana, state=state, posts=posts)


def _worker_ready(page: Page) -> None:
    """Wait until the service worker is active and controls this page."""
    page.wait_for_function(
        "navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)"
    )


def test_manifest_is_linked_and_the_worker_takes_the_page(
    world: World, open_page: OpenPage
) -> None:
    page = open_page(storage=world.state)
    page.goto("/home")
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    assert href == "/manifest.webmanifest"
    manifest = page.evaluate("fetch('/manifest.webmanifest').then(r => r.json())")
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/home"
    _worker_ready(page)
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == page.url.split("/home")[0] + "/"


def test_home_opens_offline_after_a_visit_and_other_pages_say_offline(
    world: World, open_page: OpenPage
) -> None:
    for size, device in ((PHONE, "phone"), (DESKTOP, "desktop")):
        for scheme in ("light", "dark"):
            page = open_page(size=size, scheme=scheme, storage=world.state)
            page.goto("/home")
            _worker_ready(page)
            page.reload()  # this visit goes through the worker, which keeps the page
            expect(page.locator("article").first).to_be_visible()
            page.locator("article .slide img").first.evaluate("img => img.decode()")
            page.wait_for_load_state("networkidle")
            page.context.set_offline(True)
            try:
                page.reload()
                expect(page.get_by_role("link", name="ana").first).to_be_visible()
                assert page.locator("article").count() >= 5
                for picture in ("article .slide img", "article .avatar"):
                    first = page.locator(picture).first
                    first.scroll_into_view_if_needed()
                    page.wait_for_function(
                        "img => img.complete && img.naturalWidth > 0", arg=first.element_handle()
                    )
                page.goto("/tags/never-visited")
                expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
                check_axe(page, f"offline page at {device} ({scheme})")
                shoot(page, f"offline-{device}" + ("-dark" if scheme == "dark" else ""))
                page.get_by_role("link", name="Open Home").click()
                expect(page.locator("article").first).to_be_visible()
            finally:
                page.context.set_offline(False)


def test_a_pushed_message_becomes_a_notification(
    world: World, open_page: OpenPage, web_server: LiveServer
) -> None:
    page = open_page(storage=world.state)
    context: BrowserContext = page.context
    context.grant_permissions(["notifications"], origin=web_server.url)
    page.goto("/home")
    _worker_ready(page)
    cdp = context.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(r["registrationId"] for r in event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert registrations, "no service worker registration reported"
    payload = {
        "notification_id": "42",
        "notification_type": "favourite",
        "title": "ben liked your post",
        "body": "Walk 4",
        "icon": "",
        "access_token": "x",
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": web_server.url + "/",
            "registrationId": registrations[0],
            "data": json.dumps(payload),
        },
    )
    shown: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while not shown and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        shown = page.evaluate(
            """navigator.serviceWorker.ready
                .then(r => r.getNotifications())
                .then(all => all.map(n => ({title: n.title, body: n.body, icon: n.icon,
                    data: n.data})))"""
        )
    assert shown, "the worker showed no notification"
    assert shown[0]["title"] == "ben liked your post" and shown[0]["body"] == "Walk 4"
    assert shown[0]["icon"].endswith("/icons/icon-192.png")
    assert shown[0]["data"] == {"url": "/notifications", "id": "42"}

    # The button that subscribes this browser sits on the notifications page.
    page.goto("/notifications")
    expect(page.get_by_role("button", name="Turn on notifications")).to_be_visible()


def test_a_shared_photo_reaches_compose(world: World, open_page: OpenPage) -> None:
    page = open_page(storage=world.state)
    page.goto("/home")
    _worker_ready(page)
    # What the phone's share sheet sends to the manifest's share_target.
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/share-target";
            form.enctype = "multipart/form-data";
            form.innerHTML = '<input type="file" name="media" multiple>' +
                '<input name="text" value="From the gallery">';
            form.id = "share-test";
            document.body.append(form);
        }"""
    )
    page.set_input_files(
        "#share-test input[type=file]",
        files=[FilePayload(name="lake.jpg", mimeType="image/jpeg", buffer=photo(2, 540, 675))],
    )
    page.evaluate("document.getElementById('share-test').submit()")
    expect(page).to_have_url(re.compile(r"/compose"))
    if page.locator("form[data-compose]").count() == 0:
        pytest.skip("Compose is not built yet")
    expect(page.get_by_label(re.compile(r"^Alt text"))).to_have_count(1, timeout=20_000)
    expect(page.get_by_label("Caption")).to_have_value("From the gallery")
    assert "shared=" not in page.url
    kept = page.evaluate("caches.open('share-target').then(c => c.keys()).then(k => k.length)")
    assert kept == 0


def test_going_back_keeps_the_loaded_pages_and_the_place(world: World, open_page: OpenPage) -> None:
    page = open_page(storage=world.state)
    page.goto("/home?limit=2")
    articles = page.locator("article")
    # Pages of two come in as the "Load more" link nears the viewport, to the end. The
    # link is replaced by each page that comes in, so the test scrolls the window rather
    # than holding on to an element that may be gone by the time it is used.
    for _ in range(20):
        if page.locator(".caught-up").count():
            break
        page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_timeout(300)
    expect(articles).to_have_count(5)
    expect(page.locator(".caught-up")).to_be_visible()
    target = articles.nth(3)
    target.scroll_into_view_if_needed()
    place = page.evaluate("scrollY")
    assert place > 0
    target.get_by_role("link", name="Comment").click()
    expect(page).not_to_have_url(re.compile(r"/home"))
    fragments: list[str] = []
    page.on(
        "request",
        lambda request: (
            fragments.append(request.url) if request.headers.get("x-shutter-fragment") else None
        ),
    )
    page.go_back()
    expect(page).to_have_url(re.compile(r"/home\?limit=2$"))
    expect(articles).to_have_count(5)
    page.wait_for_function("y => Math.abs(scrollY - y) < 4", arg=place)
    assert fragments == []  # put back as it was, not fetched again
    # The restored posts work as before: a like still goes through.
    like = articles.nth(3).get_by_role("button", name="Like")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).not_to_have_attribute("aria-busy", "true")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")


def test_double_tap_likes_without_a_heart_under_reduced_motion(
    world: World, open_page: OpenPage
) -> None:
    page = open_page(storage=world.state)
    page.goto("/home")
    post = page.locator("article").first
    like = post.get_by_role("button", name="Like")
    expect(like).to_have_attribute("aria-pressed", "false")
    post.locator(".media").dblclick()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).not_to_have_attribute("aria-busy", "true")
    assert page.locator(".heart-burst").count() == 0  # open_page asks for reduced motion
    post.locator(".media").dblclick()  # a second double-tap never takes the like back
    page.wait_for_timeout(300)
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).not_to_have_attribute("aria-busy", "true")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")


def test_new_posts_pill_instead_of_a_jump(
    world: World, open_page: OpenPage, web_server: LiveServer
) -> None:
    page = open_page(storage=world.state)
    page.goto("/home")
    top = page.locator("article").first.get_attribute("id")
    pill = page.locator("[data-new-posts]")
    expect(pill).to_be_hidden()
    post_photos(web_server, world.ana, [(photo(4, 540, 675), "A new lake")], "Fresh")
    wait_for_home(web_server, world.ana, 6)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.get_by_role("button", name="1 new post")).to_be_visible()
    assert page.locator("article").first.get_attribute("id") == top  # nothing moved
    shoot(page, "home-new-posts-phone")
    page.get_by_role("button", name="1 new post").click()
    expect(page.locator("article").first).not_to_have_attribute("id", top or "")
    # The previous visit began at `top`: the divider is right above it.
    marker = page.get_by_text("You're all caught up").first
    expect(marker).to_be_visible()
    following = marker.evaluate("m => m.parentElement.nextElementSibling.id")
    assert following == top
    marker.scroll_into_view_if_needed()
    shoot(page, "home-caught-up-phone")
