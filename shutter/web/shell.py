"""The signed-in shell's links, rendered once per state they can show.

Every signed-in page carries the main navigation and the phone's top-bar links
(partials/shell.html). They depend only on the current page's key, the person's
username, the two unread counts (capped, web/unread.py), whether the person is staff,
the section of the path and the instance's title, so each state is rendered once and
kept: rendering them on every page cost about as much as a feed page's twenty kept
articles.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

# A few states per person (the current page, the counts), for a few thousand people.
MAX_STATES = 8192


def section_of(path: str) -> str | None:
    """The part of the site a path is in, for the links outside the main five."""
    if path.startswith("/admin"):
        return "admin"
    if path.startswith("/lists"):
        return "lists"
    return "settings" if path == "/settings" else None


def shell_globals(env: Environment) -> dict[str, Callable[..., Markup]]:
    """`shell_topbar` and `shell_nav` for layouts/app.html."""

    def macros() -> Any:
        return env.get_template("partials/shell.html").module

    @lru_cache(maxsize=MAX_STATES)
    def topbar(nav: str | None, unread_messages: int, staff: bool, section: str | None) -> Markup:
        return Markup(macros().topbar_actions(nav, unread_messages, staff, section))

    @lru_cache(maxsize=MAX_STATES)
    def navigation(
        nav: str | None,
        username: str,
        unread: int,
        unread_messages: int,
        staff: bool,
        section: str | None,
        title: str,
    ) -> Markup:
        return Markup(
            macros().main_nav(nav, username, unread, unread_messages, staff, section, title)
        )

    def shell_topbar(nav: str | None, unread_messages: int, staff: bool, path: str) -> Markup:
        return topbar(nav, unread_messages, staff, section_of(path))

    def shell_nav(
        nav: str | None,
        username: str,
        unread: int,
        unread_messages: int,
        staff: bool,
        path: str,
        title: str,
    ) -> Markup:
        return navigation(nav, username, unread, unread_messages, staff, section_of(path), title)

    return {"shell_topbar": shell_topbar, "shell_nav": shell_nav}
