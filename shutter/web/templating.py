"""Rendering a page: the Jinja2 environment, the context every template gets, and the
headers every HTML answer carries (Content-Security-Policy without inline code).

A page route ends with `return render(request, web, "home.html", {...}, nav="home")`.
Autoescaping is on for every template: user text is written with `{{ … }}` and shows
literally; the only markup taken as is is `status.content` (escaped by
shutter/posts/text.caption_html), through `|safe` in partials/post.html.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from shutter.accounts.permissions import Permission, may
from shutter.infra.deps import context_of
from shutter.infra.settings import Settings
from shutter.web.assets import asset_url
from shutter.web.filters import FILTERS
from shutter.web.fragments import article, articles
from shutter.web.session import WebSession, remember_visitor
from shutter.web.shell import shell_globals

TEMPLATES_DIR = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["asset_url"] = asset_url
    env.globals["icon"] = _icons(env)
    env.globals["glyph"] = glyph
    env.globals["glyph_symbols"] = _glyph_symbols(env)
    env.globals["article"] = article
    env.globals["articles"] = articles
    env.globals.update(shell_globals(env))
    env.filters.update(FILTERS)
    return env


def _icons(env: Environment) -> Callable[..., Markup]:
    """`icon(name, filled=False)` for every template: the macro of partials/icons.html,
    rendered once per icon. A feed page shows a handful per post, and a macro call costs
    more than the rest of a post's markup."""

    @cache
    def icon(name: str, filled: bool = False) -> Markup:
        return Markup(env.get_template("partials/icons.html").module.icon(name, filled))  # type: ignore[attr-defined]

    return icon


# The icons every post shows, drawn once per page as <symbol>s (base.html) and used by
# reference: twenty posts' inline paths were a quarter of a Home page's bytes. The
# fillable ones inherit their fill, so `.like[aria-pressed="true"] .icon` fills them.
GLYPHS = ("heart", "comment", "bookmark", "chevron-left", "chevron-right", "lock")
_FILLABLE = ("heart", "bookmark")


@cache
def glyph(name: str) -> Markup:
    """One of GLYPHS, drawn by reference to its symbol (aria-hidden, like `icon`)."""
    assert name in GLYPHS, name
    return Markup(
        f'<svg class="icon icon-{name}" viewBox="0 0 24 24" width="24" height="24" fill="none"'
        f' aria-hidden="true" focusable="false"><use href="#i-{name}"/></svg>'
    )


def _glyph_symbols(env: Environment) -> Callable[[], Markup]:
    @cache
    def glyph_symbols() -> Markup:
        symbols = []
        for name in GLYPHS:
            drawn = str(env.globals["icon"](name))  # type: ignore[operator]
            inner = drawn[drawn.index(">") + 1 : drawn.rindex("</svg>")]
            if name in _FILLABLE:
                inner = inner.replace('fill="none"', 'fill="inherit"')
            symbols.append(f'<symbol id="i-{name}" viewBox="0 0 24 24">{inner}</symbol>')
        return Markup(f'<svg class="glyphs" aria-hidden="true">{"".join(symbols)}</svg>')

    return glyph_symbols


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


@cache
def _policy(base_url: str, media_public_url: str) -> str:
    """The pages' Content-Security-Policy: scripts and styles only from files of this
    site (no inline code, no `style=` attributes), media also from the media origin."""
    media = " ".join(
        sorted({o for o in (_origin(base_url), _origin(media_public_url)) if o is not None})
    )
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob: {media}".strip(),
            f"media-src 'self' blob: {media}".strip(),
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def page_headers(settings: Settings, *, https: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": _policy(settings.base_url, settings.media_public_url or ""),
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        # A page holds its person's CSRF token and private posts: no shared cache keeps it.
        "Cache-Control": "private, no-cache",
        "Vary": "Cookie",
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


def is_https(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


def render(
    request: Request,
    web: WebSession,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    nav: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The page `template` with the common context: `viewer` (the account's Mastodon
    JSON, or None), `csrf` (the session's token), `nav` (the current navigation key),
    `instance` (title, description) and `request_path`."""
    settings = context_of(request).settings
    values = {
        "viewer": web.viewer,
        "csrf": web.csrf,
        "nav": nav,
        "instance": {
            "title": settings.instance_title,
            "description": settings.instance_description,
        },
        "request_path": request.url.path,
        "unread": web.unread,
        "unread_messages": web.unread_messages,
        # Whether the navigation shows the way to the moderation pages (pages/admin.py).
        "staff": web.account is not None and may(web.account, Permission.VIEW_DASHBOARD),
        **(context or {}),
    }
    html = environment().get_template(template).render(values)
    https = is_https(request, settings)
    response = HTMLResponse(html, status_code=status, headers=page_headers(settings, https=https))
    remember_visitor(response, web, https=https)
    return response
