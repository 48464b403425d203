"""The website in a real browser: sign-up, log-in/out, the app shell, the feed's posts
(like, save, carousel, load more), escaping, CSRF, CSP, axe, and the screenshots.

One server per module; `world` makes its people through the sign-up form (ana and ben)
and their posts through the API, as the compose page will later, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.support.live import LiveServer
from tests.web.conftest import DESKTOP, PHONE, OpenPage
from tests.web.support import (
    Person,
    api,
    api_person,
    api_until,
    check_axe,
    log_in_in_browser,
    photo,
    post_photos,
    shoot,
    sign_up_in_browser,
    wait_for_home,
)

HOSTILE_NAME = "<b>Ana</b><img src=x onerror=y"  # 30 characters: the limit
HOSTILE_CAPTION = "<b>bold?</b> <script>window.pwned=1</script> & #sunset"
ALTS = ("A sun setting over purple hills", "Blue sky above green hills", "Dusk over a dark ridge")


@dataclass
class World:
    ana: Person
    ben: Person
    ana_state: Any  # storage_state: the signed-in cookies of the browser that signed up
    ben_state: Any
    carousel_post: dict[str, Any]
    hostile_post: dict[str, Any]


@pytest.fixture(scope="module")
def world(browser: Browser, web_server: LiveServer) -> World:
    states = {}
    for username in ("ana", "ben"):
        context = browser.new_context(base_url=web_server.url, viewport=PHONE)  # type: ignore[arg-type]
        page = context.new_page()
        sign_up_in_browser(page, username)
        # Signed in on the embedded default, on the page the Home link points to.
        expect(page.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
        states[username] = context.storage_state()
        context.close()
    ana, ben = api_person(web_server, "ana"), api_person(web_server, "ben")
    api(
        web_server,
        ana,
        "PATCH",
        "/api/v1/accounts/update_credentials",
        data={"display_name": HOSTILE_NAME},
    )
    api(
        web_server,
        ben,
        "PATCH",
        "/api/v1/accounts/update_credentials",
        data={"display_name": "Ben"},
    )
    api(web_server, ben, "POST", f"/api/v1/accounts/{ana.id}/follow")
    post_photos(
        web_server, ben, [(photo(3, 1080, 1080), "Morning light on the hills")], "Quiet morning."
    )
    hostile = post_photos(web_server, ana, [(photo(4, 1080, 720), "")], HOSTILE_CAPTION)
    post_photos(
        web_server,
        ana,
        [(photo(1, 1080, 1350), "Followers only hills")],
        "Just for you all",
        visibility="private",
    )
    carousel = post_photos(
        web_server,
        ana,
        [(photo(i), alt) for i, alt in enumerate(ALTS)],
        "Golden hour at the lake #sunset with @ben",
    )
    wait_for_home(web_server, ben, 4)
    return World(ana, ben, states["ana"], states["ben"], carousel, hostile)


def _article(page: Page, post: dict[str, Any]) -> Any:
    return page.locator(f"#post-{post['id']}")


def test_sign_up_lands_signed_in_on_home(world: World, open_page: OpenPage) -> None:
    page = open_page(storage=world.ana_state)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/home$"))  # the visitors' page sends members home
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_sign_up_shows_the_mode_and_refuses_a_taken_name(open_page: OpenPage) -> None:
    page = open_page()
    page.goto("/signup")
    expect(page.get_by_text("Anyone can sign up here.")).to_be_visible()
    expect(page.get_by_text("This server has no rules to accept.")).to_be_visible()
    page.get_by_label("Username", exact=True).fill("fresh")
    page.get_by_label("Email").fill("fresh@example.com")
    page.get_by_label("Password").fill("short")
    page.locator("form").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_contain_text("password")
    expect(page.get_by_label("Username", exact=True)).to_have_value("fresh")  # kept


def test_log_in_and_log_out(world: World, open_page: OpenPage) -> None:
    page = open_page()
    log_in_in_browser(page, "ana", "wrong password")
    expect(page.get_by_role("alert")).to_contain_text("incorrect")
    expect(page.get_by_role("link", name="Forgot password?")).to_have_attribute(
        "href", "/auth/password/reset"
    )
    log_in_in_browser(page, "ana@example.com")
    expect(page).to_have_url(re.compile(r"/home$"))
    page.goto("/settings")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    page.goto("/home")
    expect(page).to_have_url(re.compile(r"/login\?next=/home$"))


def test_a_revoked_web_session_ends(
    world: World, open_page: OpenPage, web_server: LiveServer
) -> None:
    page = open_page()
    log_in_in_browser(page, "ben")
    expect(page).to_have_url(re.compile(r"/home$"))
    sessions = api(web_server, world.ben, "GET", "/api/v1/shutter/sessions")
    web = [s for s in sessions if s["app"]["name"] == "Shutter website"]
    assert web, sessions
    newest = max(web, key=lambda s: s["created_at"])
    api(web_server, world.ben, "DELETE", f"/api/v1/shutter/sessions/{newest['id']}")
    page.goto("/home")
    expect(page).to_have_url(re.compile(r"/login"))


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_navigation_landmark(world: World, open_page: OpenPage, size: dict[str, int]) -> None:
    page = open_page(size=size, storage=world.ben_state)
    page.goto("/home")
    nav = page.get_by_role("navigation", name="Main")
    # Ben was mentioned: "Notifications, 1 new" (the exact name once all is read is
    # tests/web/test_web_notifications.py's).
    names: tuple[str | re.Pattern[str], ...] = (
        "Home",
        "Search",
        "New post",
        re.compile(r"^Notifications(, \d+ new)?$"),
        "Profile",
    )
    for name in names:
        link = nav.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box and box["y"] + box["height"] <= size["height"] and box["width"] >= 44, name
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    nav.get_by_role("link", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search$"))
    expect(nav.get_by_role("link", name="Search")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Home")).not_to_have_attribute("aria-current", "page")
    nav.get_by_role("link", name="Profile").click()
    expect(nav.get_by_role("link", name="Profile")).to_have_attribute("aria-current", "page")


def test_feed_articles(world: World, open_page: OpenPage) -> None:
    page = open_page(storage=world.ben_state)
    page.goto("/home")
    articles = page.get_by_role("article")
    expect(articles).to_have_count(4)
    post = _article(page, world.carousel_post)
    expect(post.get_by_role("link", name="ana").first).to_have_attribute("href", "/@ana")
    expect(post.locator("time")).to_have_text(re.compile(r"^(now|\d+[mhdw])$"))
    expect(post.get_by_role("link", name="Comment")).to_have_attribute(
        "href", f"/@ana/{world.carousel_post['id']}#comments"
    )
    expect(post.get_by_role("link", name="#sunset")).to_have_attribute(
        "href", re.compile(r"/tags/sunset$")
    )
    expect(post.get_by_role("link", name="@ben")).to_have_attribute("href", re.compile(r"/@ben$"))
    image = post.get_by_role("img", name=ALTS[0])
    expect(image).to_have_attribute("srcset", re.compile(r" 640w"))
    expect(post.locator("canvas[data-blurhash]").first).to_be_attached()
    # The ALT badge shows the description on request.
    post.locator("summary").first.click()
    expect(post.get_by_text(ALTS[0], exact=True)).to_be_visible()
    # Audience when not public.
    expect(page.get_by_role("article").filter(has_text="Just for you all")).to_contain_text(
        "Followers only"
    )
    lazy = page.locator("article img[loading=lazy]")
    assert lazy.count() >= 2


def test_like_and_save_without_reload(world: World, open_page: OpenPage) -> None:
    page = open_page(storage=world.ben_state)
    page.goto("/home")
    page.evaluate("window.stillHere = true")
    post = _article(page, world.carousel_post)
    like = post.get_by_role("button", name="Like")
    save = post.get_by_role("button", name="Save")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(post.locator("[data-likes]")).to_have_text("1 like")
    with page.expect_response(re.compile(r"/save$")) as saved:
        save.click()
    assert saved.value.status == 200, saved.value.text()
    expect(save).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.stillHere") is True  # no reload
    page.reload()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(save).to_have_attribute("aria-pressed", "true")
    like.click()
    save.click()
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(save).to_have_attribute("aria-pressed", "false")
    page.reload()
    expect(like).to_have_attribute("aria-pressed", "false")


def test_like_without_javascript(world: World, browser: Browser, web_server: LiveServer) -> None:
    context = browser.new_context(
        base_url=web_server.url, java_script_enabled=False, storage_state=world.ben_state
    )
    try:
        page = context.new_page()
        page.goto("/home")
        post = _article(page, world.hostile_post)
        post.get_by_role("button", name="Like").click()  # a form post, then the page again
        expect(page).to_have_url(re.compile(rf"/home#post-{world.hostile_post['id']}$"))
        expect(post.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
        post.get_by_role("button", name="Like").click()
        expect(post.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "false")
    finally:
        context.close()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_carousel(world: World, open_page: OpenPage, size: dict[str, int]) -> None:
    page = open_page(size=size, storage=world.ben_state)
    page.goto("/home")
    post = _article(page, world.carousel_post)
    carousel = post.get_by_role("region")
    position = carousel.locator("[data-carousel-position]")
    exposed = carousel.locator(".slide:not([aria-hidden=true])")
    expect(position).to_have_text("1 of 3")
    expect(exposed).to_have_count(1)
    expect(carousel.get_by_role("img", name=ALTS[0])).to_be_visible()
    carousel.get_by_role("button", name="Next").click()
    expect(position).to_have_text("2 of 3")
    expect(exposed).to_have_count(1)
    expect(carousel.get_by_role("img", name=ALTS[1])).to_be_in_viewport()
    carousel.get_by_role("button", name="Previous").click()
    expect(position).to_have_text("1 of 3")
    # Keys, with the focus in the carousel.
    carousel.get_by_role("button", name="Next").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(position).to_have_text("3 of 3")
    expect(carousel.get_by_role("button", name="Next")).to_be_disabled()
    page.keyboard.press("ArrowLeft")
    expect(position).to_have_text("2 of 3")
    # Swipe: the strip scrolls natively; the position follows when it settles.
    carousel.locator("[data-carousel-track]").evaluate("t => t.scrollTo({left: 0})")
    expect(position).to_have_text("1 of 3")


def test_load_more(world: World, open_page: OpenPage, web_server: LiveServer) -> None:
    # Without scripts: a page of two and a link to the next.
    cookies = {c["name"]: c["value"] for c in world.ben_state["cookies"]}
    html = httpx.get(f"{web_server.url}/home?limit=2", cookies=cookies).text
    assert html.count("<article") == 2
    assert re.search(r'href="/home\?max_id=\d+&amp;limit=2" rel="next"', html), html
    # With them: the next pages come as fragments as the link nears the viewport.
    page = open_page(storage=world.ben_state)
    fragments: list[str] = []
    page.on(
        "request",
        lambda r: fragments.append(r.url) if r.headers.get("x-shutter-fragment") else None,
    )
    page.goto("/home?limit=2")
    expect(page.get_by_role("article")).to_have_count(4)
    page.get_by_role("link", name="Load more").scroll_into_view_if_needed()
    expect(page.get_by_text("You're all caught up")).to_be_visible()
    assert len(fragments) == 2 and all("max_id=" in url for url in fragments)
    assert page.url.endswith("/home?limit=2")  # no navigation


def test_hostile_text_renders_inert(world: World, open_page: OpenPage) -> None:
    page = open_page(storage=world.ben_state)
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto("/home")
    post = _article(page, world.hostile_post)
    expect(post.locator(".display-name")).to_have_text(HOSTILE_NAME)
    expect(post.locator(".caption")).to_contain_text(
        "<b>bold?</b> <script>window.pwned=1</script> &"
    )
    assert post.locator(".caption b, .caption script, .display-name img").count() == 0
    assert page.evaluate("window.pwned") is None
    assert not dialogs


def test_cross_site_form_post_is_refused(
    world: World, open_page: OpenPage, web_server: LiveServer
) -> None:
    page = open_page(storage=world.ben_state)
    page.goto("/home")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    target = f"{web_server.url}/web/posts/{world.carousel_post['id']}/like"
    # Another site's page with a form aimed here, even knowing the token.
    evil = (
        f'<!doctype html><title>evil</title><form method=post action="{target}">'
        f'<input name=csrf value="{token}"><input name=liked value=true>'
        "<button>Win a prize</button></form>"
    )
    page.route(
        "https://evil.test/**", lambda route: route.fulfill(body=evil, content_type="text/html")
    )
    page.goto("https://evil.test/")
    with page.expect_response(target) as answer:
        page.get_by_role("button", name="Win a prize").click()
    assert answer.value.status in (401, 403)
    page.goto(f"{web_server.url}/home")
    expect(
        _article(page, world.carousel_post).get_by_role("button", name="Like")
    ).to_have_attribute("aria-pressed", "false")


def test_security_headers_and_no_csp_violations(world: World, open_page: OpenPage) -> None:
    page = open_page(storage=world.ben_state)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    for path in ("/home", "/search", "/settings"):
        response = page.goto(path)
        assert response is not None
        headers = response.headers
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy, policy
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    assert not problems, problems
    cookie = next(c for c in page.context.cookies() if c["name"] == "shutter_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_static_files_are_versioned_and_uncounted(world: World, web_server: LiveServer) -> None:
    page_html = httpx.get(f"{web_server.url}/login").text
    css = re.search(r'href="(/static/v/[0-9a-f]+/css/app.css)"', page_html)
    assert css, page_html
    answer = httpx.get(web_server.url + css.group(1))
    assert answer.status_code == 200
    assert "immutable" in answer.headers["cache-control"]
    assert "x-ratelimit-remaining" not in answer.headers  # not counted
    module = httpx.get(web_server.url + css.group(1).replace("css/app.css", "js/app.js"))
    assert module.headers["content-type"].startswith(("text/javascript", "application/javascript"))


PAGES = {
    "landing": ("/", None),
    "login": ("/login", None),
    "signup": ("/signup", None),
    "home": ("/home", "ben"),
    # Profiles, search, hashtags, explore (pages/profiles.py, discover.py).
    "profile": ("/@ana", "ben"),
    "profile-own": ("/@ben", "ben"),
    "followers": ("/@ana/followers", "ben"),
    "edit-profile": ("/profile/edit", "ben"),
    "follow-requests": ("/follow_requests", "ben"),
    "report": ("/@ana/report", "ben"),
    "search": ("/search", "ben"),
    "search-results": ("/search?q=a", "ben"),
    "tag": ("/tags/sunset", "ben"),
    # Compose and the post page (pages/compose.py, post_page.py); {post} is the carousel.
    "compose": ("/compose", "ben"),
    "post": ("/@ana/{post}", "ben"),
    "likes": ("/@ana/{post}/likes", "ben"),
    # Notifications and settings (pages/notifications.py, settings.py).
    "notifications": ("/notifications", "ben"),
    "settings": ("/settings", "ben"),
    "filters-empty": ("/settings/filters", "ben"),
    "filter-new": ("/settings/filters/new", "ben"),
    # The service worker's page for what it has not kept (pages/pwa.py).
    "offline": ("/offline", None),
    # Direct messages (pages/messages.py); {conversation} is ben's with cy.
    "messages": ("/messages", "ben"),
    "conversation": ("/messages/{conversation}", "ben"),
    "new-message": ("/messages/new?to=ana", "ben"),
    # Lists and filtered notifications (pages/lists.py, notification_requests.py);
    # {list} is ben's list with ana in it, {request} cy's filtered message to him.
    "lists": ("/lists", "ben"),
    "list": ("/lists/{list}", "ben"),
    "list-edit": ("/lists/{list}/edit", "ben"),
    "list-members": ("/lists/{list}/members", "ben"),
    "notification-requests": ("/notifications/requests", "ben"),
    "notification-request": ("/notifications/requests/{request}", "ben"),
    "settings-notifications": ("/settings/notifications", "ben"),
}


@pytest.fixture(scope="module")
def conversation(world: World, browser: Browser, web_server: LiveServer) -> str:
    """Ben's conversation with cy (whom he does not follow, so his feed stays as it is):
    a message of cy's with hostile text and a photo, and ben's answer."""
    context = browser.new_context(base_url=web_server.url)
    sign_up_in_browser(context.new_page(), "cy")
    context.close()
    cy = api_person(web_server, "cy")
    first = api(
        web_server,
        cy,
        "POST",
        "/api/v1/statuses",
        json={"status": f"@ben {HOSTILE_CAPTION}", "visibility": "direct"},
    )
    post_photos(
        web_server,
        cy,
        [(photo(2, 1080, 1080), "Dusk at the lake")],
        "@ben look",
        visibility="direct",
    )
    [theirs] = api(web_server, world.ben, "GET", "/api/v1/conversations")
    api(
        web_server,
        world.ben,
        "POST",
        "/api/v1/statuses",
        json={"status": "@cy lovely, thanks!", "in_reply_to_id": first["id"]},
    )
    return str(theirs["id"])


@pytest.fixture(scope="module")
def list_and_request(world: World, conversation: str, web_server: LiveServer) -> dict[str, str]:
    """Ben's list (ana in it) and his filtered notifications from cy, whom he does not
    follow: her private message waits as a request (Mastodon's default policy)."""
    made = api(web_server, world.ben, "POST", "/api/v1/lists", json={"title": "Hill people"})
    members = {"account_ids": [world.ana.id]}
    api(web_server, world.ben, "POST", f"/api/v1/lists/{made['id']}/accounts", json=members)
    waiting = api_until(
        web_server,
        world.ben,
        "/api/v1/notifications/requests",
        bool,
        what="cy's message waited as a request",
    )
    return {"{list}": made["id"], "{request}": waiting[0]["id"]}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_and_screenshots(
    world: World,
    conversation: str,
    list_and_request: dict[str, str],
    open_page: OpenPage,
    size: dict[str, int],
    scheme: str,
) -> None:
    """Zero serious or critical axe violations on every page, at both sizes and in both
    schemes; a screenshot of each (var/screenshots, or docs/screenshots on request)."""
    device = "phone" if size is PHONE else "desktop"
    for name, (path, who) in PAGES.items():
        page = open_page(size=size, scheme=scheme, storage=world.ben_state if who else None)
        path = path.replace("{post}", world.carousel_post["id"])
        path = path.replace("{conversation}", conversation)
        for placeholder, value in list_and_request.items():
            path = path.replace(placeholder, value)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        check_axe(page, f"{path} at {device} ({scheme})")
        shoot(page, f"{name}-{device}" + ("-dark" if scheme == "dark" else ""))
