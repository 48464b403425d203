"""The moderation and administration pages in a real browser, on an instance whose
sign-ups wait for approval (SHUTTER_REGISTRATIONS=approval): a user is refused, a
moderator resolves a report with a silence, an admin changes a role, approves a sign-up
and edits the rules, and the audit log shows it all; axe and screenshots of every
admin page at both sizes and in both schemes.

The admin pages are checked here rather than in test_web_pages.PAGES: that module's
people are not staff (its pages are seen by ben, a user), and these pages need an
admin's session on a server of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.live import LiveServer, run_shutter, start_server
from tests.web.conftest import DESKTOP, PHONE, OpenPage, _need_chromium
from tests.web.support import (
    PASSWORD,
    Person,
    api,
    api_person,
    api_until,
    check_axe,
    log_in_in_browser,
    photo,
    post_photos,
    shoot,
)


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    _need_chromium()
    extra = {"SHUTTER_REGISTRATIONS": "approval"}
    with start_server("", tmp_path_factory.mktemp("web-admin"), extra_env=extra) as server:
        yield server


@dataclass
class Staff:
    ana: Person  # a user, reported by ben
    ben: Person
    report_id: str
    boss_state: Any  # an admin's signed-in cookies
    mod_state: Any


def _cli(server: LiveServer, *args: str) -> None:
    done = run_shutter(list(args), server.env)
    assert done.returncode == 0, done.stderr


def _sign_up_pending(server: LiveServer, username: str) -> None:
    with httpx.Client(base_url=server.url) as http:
        app = http.post(
            "/api/v1/apps",
            data={
                "client_name": "web tests",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": "read write",
            },
        ).json()
        token = http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "scope": "write",
            },
        ).json()["access_token"]
        signed = http.post(
            "/api/v1/accounts",
            headers={"Authorization": f"Bearer {token}"},
            data={
                "username": username,
                "email": f"{username}@example.com",
                "password": PASSWORD,
                "agreement": "true",
                "reason": "Family photos",
            },
        )
        assert signed.status_code == 200, signed.text


def _signed_in(browser: Browser, server: LiveServer, username: str) -> Any:
    context = browser.new_context(base_url=server.url, viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    log_in_in_browser(page, username)
    expect(page).to_have_url(re.compile(r"/home$"))
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="module")
def people(browser: Browser, web_server: LiveServer) -> Staff:
    for name, email in (("boss", "boss@example.com"), ("mod", "mod@example.com")):
        _cli(web_server, "createadmin", name, "--email", email, "--password", PASSWORD)
    _cli(web_server, "accounts", "role", "mod", "moderator")
    for name in ("ana", "ben"):
        _sign_up_pending(web_server, name)
        _cli(web_server, "accounts", "approve", name)
    ana, ben = api_person(web_server, "ana"), api_person(web_server, "ben")
    post = post_photos(web_server, ana, [(photo(0), "Hills at dusk")], "Buy my course!!")
    report = api(
        web_server,
        ben,
        "POST",
        "/api/v1/reports",
        data={
            "account_id": ana.id,
            "status_ids[]": post["id"],
            "category": "spam",
            "comment": "The same advert under every post.",
        },
    )
    return Staff(
        ana=ana,
        ben=ben,
        report_id=report["id"],
        boss_state=_signed_in(browser, web_server, "boss"),
        mod_state=_signed_in(browser, web_server, "mod"),
    )


def test_a_user_is_refused(people: Staff, open_page: OpenPage) -> None:
    page = open_page()
    log_in_in_browser(page, "ana")
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("link", name="Moderation")).to_have_count(0)
    for path in ("/admin", "/admin/reports", f"/admin/accounts/{people.ben.id}"):
        answer = page.goto(path)
        assert answer is not None and answer.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_role("button", name="Resolve")).to_have_count(0)


def test_a_moderator_resolves_a_report_with_a_silence(
    people: Staff, open_page: OpenPage, web_server: LiveServer
) -> None:
    page = open_page(storage=people.mod_state)
    page.goto("/home")
    page.get_by_role("link", name="Moderation").click()
    expect(page).to_have_url(re.compile(r"/admin$"))
    nav = page.get_by_role("navigation", name="Moderation")
    nav.get_by_role("link", name="Reports").click()
    card = page.get_by_role("article", name=f"Report {people.report_id}")
    expect(card).to_contain_text("The same advert under every post.")
    expect(card.get_by_role("img", name="Hills at dusk")).to_be_visible()
    card.get_by_role("button", name="Assign to me").click()
    card = page.get_by_role("article", name=f"Report {people.report_id}")
    expect(card.get_by_role("button", name="Unassign")).to_be_visible()
    card.get_by_role("link", name=f"Report {people.report_id}").click()
    page.get_by_label("Limit (silence)").check()
    page.get_by_label("Reason").fill("Adverts under everyone's posts.")
    expect(page.get_by_label("Notify the person by email")).to_be_checked()
    page.get_by_role("button", name="Apply action").click()
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    api_until(
        web_server,
        people.ana,
        "/api/v1/notifications",
        lambda notes: any(n["type"] == "moderation_warning" for n in notes),
        what="ana was told",
    )
    page.goto(f"/admin/accounts/{people.ana.id}")
    expect(page.get_by_text("Limited", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Unlimit")).to_be_visible()


def test_an_admin_changes_a_role(
    people: Staff, open_page: OpenPage, web_server: LiveServer
) -> None:
    page = open_page(size=DESKTOP, storage=people.boss_state)
    page.goto("/admin/accounts")
    page.get_by_label("Username").fill("ben")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="@ben").click()
    page.get_by_label("Role of @ben").select_option("moderator")
    page.get_by_role("button", name="Change role").click()
    expect(page.get_by_label("Role of @ben")).to_have_value("moderator")
    me = api(web_server, people.ben, "GET", "/api/v1/accounts/verify_credentials")
    assert me["role"]["name"] == "moderator"


def test_an_admin_approves_a_sign_up(people: Staff, open_page: OpenPage) -> None:
    visitor = open_page()
    visitor.goto("/signup")
    visitor.get_by_label("Username", exact=True).fill("cleo")
    visitor.get_by_label("Email").fill("cleo@example.com")
    visitor.get_by_label("Password").fill(PASSWORD)
    visitor.get_by_label("Why do you want to join?").fill("I am ana's <i>cousin</i>")
    visitor.get_by_role("button", name="Sign up").click()
    expect(visitor.get_by_role("heading", name="Waiting for approval")).to_be_visible()
    page = open_page(storage=people.boss_state)
    page.goto("/admin/registrations")
    expect(page.get_by_text("Registrations are approval")).to_be_visible()
    sign_up = page.get_by_role("article", name="Sign-up of @cleo")
    expect(sign_up).to_contain_text("I am ana's <i>cousin</i>")
    sign_up.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("article", name="Sign-up of @cleo")).to_have_count(0)
    visitor.goto("/home")
    expect(visitor.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")


def test_an_admin_edits_the_rules(
    people: Staff, open_page: OpenPage, web_server: LiveServer
) -> None:
    page = open_page(storage=people.boss_state)
    page.goto("/admin/rules")
    page.get_by_label("Rule", exact=True).fill("Be kind")
    page.get_by_role("button", name="Add rule").click()
    page.get_by_label("Rule 1", exact=True).fill("Be kind to everyone")
    page.get_by_label("Explanation of rule 1").fill("No insults, no piling on.")
    page.get_by_role("button", name="Save rule 1").click()
    expect(page.get_by_label("Rule 1", exact=True)).to_have_value("Be kind to everyone")
    rules = httpx.get(f"{web_server.url}/api/v1/instance/rules").json()
    assert [(r["text"], r["hint"]) for r in rules] == [
        ("Be kind to everyone", "No insults, no piling on.")
    ]


def test_the_audit_log_shows_the_actions(people: Staff, open_page: OpenPage) -> None:
    page = open_page(size=DESKTOP, storage=people.boss_state)
    page.goto("/admin/audit")
    table = page.get_by_role("table")
    for action in ("Silence", "Assigned to self", "Change role", "Approve"):
        expect(table.get_by_role("rowheader", name=action)).to_be_visible()
    expect(table).to_contain_text("Adverts under everyone's posts.")
    expect(table.get_by_role("link", name="@ana").first).to_be_visible()


ADMIN_PAGES = {
    "admin-dashboard": "/admin",
    "admin-reports": "/admin/reports?resolved=true",
    "admin-report": None,  # the report, once known
    "admin-accounts": "/admin/accounts",
    "admin-account": None,  # ana's
    "admin-registrations": "/admin/registrations",
    "admin-rules": "/admin/rules",
    "admin-audit": "/admin/audit",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_and_screenshots(
    people: Staff, open_page: OpenPage, size: dict[str, int], scheme: str
) -> None:
    device = "phone" if size is PHONE else "desktop"
    known = {
        "admin-report": f"/admin/reports/{people.report_id}",
        "admin-account": f"/admin/accounts/{people.ana.id}",
    }
    page: Page = open_page(size=size, scheme=scheme, storage=people.boss_state)
    for name, path in ADMIN_PAGES.items():
        where = path or known[name]
        page.goto(where)
        page.wait_for_load_state("networkidle")
        check_axe(page, f"{where} at {device} ({scheme})")
        shoot(page, f"{name}-{device}" + ("-dark" if scheme == "dark" else ""))
