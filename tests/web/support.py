"""What the browser tests share: people and posts made through the UI and the API, axe,
and the screenshots.

Screenshots: `shoot(page, name)` saves var/screenshots/<name>.png on every run (var/ is
git-ignored); with SHUTTER_SCREENSHOTS=docs (`make screenshots`) it also writes
docs/screenshots/<name>.png, the commit-ready ones the README shows.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pyvips
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.support.live import REPO_ROOT, LiveServer

PASSWORD = "correct horse battery"
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
DOCS_SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
BLOCKING = ("serious", "critical")


@dataclass
class Person:
    username: str
    token: str  # an API token of the person's own (password grant), for seeding
    id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


# --- through the website -----------------------------------------------------------


def sign_up_in_browser(page: Page, username: str, *, agree: bool = False) -> None:
    """Sign up through the form (labels as the accessibility contract names them) and
    land on Home."""
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Email").fill(f"{username.lower()}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    if agree:
        page.get_by_label("I agree to these rules").check()
    page.get_by_role("button", name="Sign up").click()
    # Hashing the password takes a while on a busy machine.
    expect(page).to_have_url(re.compile(r"/home$"), timeout=20_000)


def log_in_in_browser(page: Page, login: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


# --- through the API (seeding what later pages will do in the browser) ---------------


SCOPES = "read write follow"


def _token(http: httpx.Client, grant: dict[str, str]) -> str:
    """Register an app and get a token from it by `grant` (the grant type's fields)."""
    app = http.post(
        "/api/v1/apps",
        data={
            "client_name": "web tests",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": SCOPES,
        },
    ).json()
    answer = http.post(
        "/oauth/token",
        data={
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": SCOPES,
            **grant,
        },
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _person(http: httpx.Client, username: str, token: str) -> Person:
    me = http.get("/api/v1/accounts/verify_credentials", headers=_bearer(token)).json()
    return Person(username=username, token=token, id=me["id"])


def api_person(server: LiveServer, username: str) -> Person:
    """An API token for an account signed up through the website (password grant)."""
    with httpx.Client(base_url=server.url) as http:
        grant = {"grant_type": "password", "username": username, "password": PASSWORD}
        return _person(http, username, _token(http, grant))


def api_sign_up(server: LiveServer, username: str) -> Person:
    """Sign someone up through the API (quicker than the form, for people the test only
    needs to exist and post)."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        app_token = _token(http, {"grant_type": "client_credentials"})
        made = http.post(
            "/api/v1/accounts",
            headers=_bearer(app_token),
            data={
                "username": username,
                "email": f"{username}@example.com",
                "password": PASSWORD,
                "agreement": "true",
                "locale": "en",
            },
        )
        assert made.status_code == 200, made.text
        return _person(http, username, made.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_photos(
    server: LiveServer,
    person: Person,
    photos: list[tuple[bytes, str]],
    caption: str,
    *,
    visibility: str = "public",
) -> dict[str, Any]:
    """Upload (synchronously processed v1 uploads) and post; returns the Status."""
    with httpx.Client(base_url=server.url, timeout=60) as http:
        ids = []
        for data, alt in photos:
            media = http.post(
                "/api/v1/media",
                headers=person.headers,
                files={"file": ("photo.jpg", data, "image/jpeg")},
                data={"description": alt} if alt else {},
            )
            assert media.status_code == 200, media.text
            ids.append(media.json()["id"])
        status = http.post(
            "/api/v1/statuses",
            headers=person.headers,
            json={"status": caption, "media_ids": ids, "visibility": visibility},
        )
        assert status.status_code == 200, status.text
        body: dict[str, Any] = status.json()
        return body


def api(server: LiveServer, person: Person, method: str, path: str, **kwargs: Any) -> Any:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        answer = http.request(method, path, headers=person.headers, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()


def api_until(
    server: LiveServer,
    person: Person,
    path: str,
    ready: Callable[[Any], bool],
    *,
    what: str,
    within: float = 20,
) -> Any:
    """GET `path` as `person` until `ready(answer)` (jobs and fan-out run on their own
    time); the answer, or fail after `within` seconds saying `what` never happened."""
    deadline = time.monotonic() + within
    while not ready(answer := api(server, person, "GET", path)):
        assert time.monotonic() < deadline, f"not within {within:.0f} s: {what}"
        time.sleep(0.2)
    return answer


def wait_for_home(server: LiveServer, person: Person, count: int) -> None:
    api_until(
        server,
        person,
        "/api/v1/timelines/home",
        lambda posts: len(posts) >= count,
        what=f"{person.username}'s home had {count} posts",
    )


# Palettes of the generated photos: sky top, sky bottom, sun, hills.
PALETTES = (
    ((255, 140, 90), (255, 214, 150), (255, 245, 220), (70, 40, 70)),
    ((40, 110, 190), (160, 210, 240), (255, 250, 230), (30, 90, 60)),
    ((25, 30, 80), (230, 110, 120), (255, 210, 140), (20, 20, 45)),
    ((120, 190, 200), (240, 230, 200), (255, 255, 255), (60, 110, 90)),
    ((200, 90, 140), (250, 190, 120), (255, 240, 200), (60, 30, 60)),
)


@cache
def photo(index: int, width: int = 1080, height: int = 1350) -> bytes:
    """A pleasant generated landscape (sky, sun, hills) as a JPEG: screenshots show
    something a person would post, and no file needs to ship with the tests."""
    top, bottom, sun, hills = PALETTES[index % len(PALETTES)]
    xyz = pyvips.Image.xyz(width, height)
    t = xyz[1] / height
    sky = [t * (b - a) + a for a, b in zip(top, bottom, strict=True)]
    image = sky[0].bandjoin(sky[1:])
    cx, cy, radius = width * (0.3 + 0.1 * index), height * 0.42, width * 0.11
    distance = ((xyz[0] - cx) ** 2 + (xyz[1] - cy) ** 2) ** 0.5
    image = (distance < radius).ifthenelse(list(sun), image)
    ridge = (xyz[0] * (360 / (width * 0.7)) + 40 * index).sin() * (height * 0.05) + height * 0.66
    image = (xyz[1] > ridge).ifthenelse(list(hills), image)
    image = image + pyvips.Image.gaussnoise(width, height, sigma=3, mean=0, seed=index)
    out = image.cast("uchar").copy(interpretation="srgb")
    data: bytes = out.jpegsave_buffer(Q=85)
    return data


# --- checks and pictures -------------------------------------------------------------


@cache
def _axe() -> Axe:
    return Axe()


def check_axe(page: Page, where: str) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    results = _axe().run(page)
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]
    assert not blocking, f"axe on {where}:\n" + "\n".join(blocking)


def shoot(page: Page, name: str) -> Path:
    """Save a screenshot of the viewport as var/screenshots/<name>.png (and, when
    SHUTTER_SCREENSHOTS=docs, as docs/screenshots/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    if os.environ.get("SHUTTER_SCREENSHOTS") == "docs":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")
    return path
