"""Browser tests of the website: a real `shutter serve` and Debian's Chromium.

`web_server` starts the embedded profile (SQLite, in-process workers) once per module
on a free 127.0.0.1 port; `browser` is one headless Chromium per module (launched
from /usr/bin/chromium with --no-sandbox: browser downloads are never used, never run
`playwright install`); `open_page` gives a page in a fresh context (cookies of its own)
at a size and colour scheme. Without /usr/bin/chromium these tests skip with one
message, and fail when CI is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.live import LiveServer, start_server

CHROMIUM = Path("/usr/bin/chromium")
MISSING = "Debian's Chromium is not installed (/usr/bin/chromium: `make test` installs it)"

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(MISSING)
    pytest.skip(MISSING)


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    _need_chromium()
    with start_server("", tmp_path_factory.mktemp("web-var")) as server:
        yield server


# Per module, not per session: Playwright's sync API keeps an event loop running in the
# test thread while it is open, and an async test after it on the same pytest-xdist
# worker could not start its own.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _need_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield launched
        launched.close()


class OpenPage(Protocol):
    def __call__(
        self, size: dict[str, int] = ..., scheme: str = ..., storage: Any = ...
    ) -> Page: ...


@pytest.fixture
def open_page(browser: Browser, web_server: LiveServer) -> Iterator[OpenPage]:
    """`open_page(size=PHONE, scheme="light", storage=None)`: a page in a new context
    whose base URL is the server's; `storage` (a context's `storage_state()`) reuses a
    signed-in person's cookies."""
    contexts = []

    def make(size: dict[str, int] = PHONE, scheme: str = "light", storage: Any = None) -> Page:
        context = browser.new_context(
            base_url=web_server.url,
            viewport=size,  # type: ignore[arg-type]
            color_scheme=scheme,  # type: ignore[arg-type]
            storage_state=storage,
            reduced_motion="reduce",
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()
