"""Which redirect URIs an app may register, and so which ones the browser is sent to.

Mastodon apps register web callbacks (`https://…`), the out-of-band URN, or a scheme of
their own (`myapp://oauth`, how a mobile app gets its code back). What a browser would
run or read itself instead of handing it to an app is refused: `javascript:` would run
in the authorize page's origin, `data:` and `blob:` make a page of their own, `file:`
reads the device. The check runs at registration and again before every redirect, so an
app stored before it existed is never followed either.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from shutter.infra.errors import ApiError

OOB = "urn:ietf:wg:oauth:2.0:oob"

# Mastodon's limits on an app (Doorkeeper::Application: 2,000 characters a URI), and a
# count of URIs no real app comes near.
MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_CHARS = 2000

FORBIDDEN_SCHEMES = frozenset(
    {"javascript", "vbscript", "data", "blob", "file", "filesystem", "about", "view-source"}
)

# RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
# Browsers drop tabs and newlines inside a URL and ignore leading controls and spaces, so
# `java\tscript:` runs as `javascript:`; no URI needs them.
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def redirect_problem(uri: str) -> str | None:
    """Why `uri` may not be a redirect URI, or None when it may."""
    if uri == OOB:
        return None
    if len(uri) > MAX_REDIRECT_URI_CHARS:
        return f"is longer than {MAX_REDIRECT_URI_CHARS} characters"
    if _CONTROL_OR_SPACE.search(uri):
        return "contains spaces or control characters"
    scheme, colon, _ = uri.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        return "must be an absolute URI"
    if scheme.lower() in FORBIDDEN_SCHEMES:
        return f"must not use the {scheme.lower()}: scheme"
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unclosed IPv6 literal
        return "must be an absolute URI"
    if parts.fragment or (parts.scheme in ("http", "https") and not parts.hostname):
        return "must be an absolute URI without a fragment"
    return None


def check_redirect_uris(raw: str | list[str]) -> list[str]:
    """The URIs of a registration (a list, or one per line); 422 naming the first fault."""
    uris = raw if isinstance(raw, list) else raw.replace("\r", "").split("\n")
    uris = [u.strip() for u in uris if u.strip()]
    if not uris:
        raise ApiError(422, "Validation failed: redirect_uris can't be blank")
    if len(uris) > MAX_REDIRECT_URIS:
        raise ApiError(
            422, f"Validation failed: redirect_uris may hold at most {MAX_REDIRECT_URIS} URIs"
        )
    for uri in uris:
        problem = redirect_problem(uri)
        if problem is not None:
            raise ApiError(422, f"Validation failed: redirect_uris {problem}")
    return uris
