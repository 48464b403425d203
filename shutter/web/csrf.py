"""Cross-site request forgery: every state change of the website proves it came from it.

Two independent checks, both on every POST of a web route (`check_csrf`):

1. The request is same-origin: `Sec-Fetch-Site` (sent by every current browser) must not
   be `cross-site`/`same-site`, and an `Origin` header, when present, must be this
   server's. A form another site posts here is refused before anything else runs.
2. It carries the CSRF token: a form field `csrf` (forms) or the `X-CSRF-Token` header
   (fetch from the pages' scripts). The token is an HMAC of the session it belongs to —
   the web session's token id once logged in, else a random per-browser cookie (so the
   log-in and sign-up forms are covered too) — so it needs no storage and changes with
   every log-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

from shutter.infra.errors import ApiError

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
# A random value per browser before log-in, binding the log-in/sign-up form's token.
ANONYMOUS_COOKIE = "shutter_visitor"

REFUSED = "This form was not sent by this site; reload the page and try again"


def csrf_token(secret: str, *, seed: str) -> str:
    """The CSRF token of a session (`seed`: "token:<id>" or "visitor:<cookie>")."""
    return hmac.new(secret.encode(), b"csrf|" + seed.encode(), hashlib.sha256).hexdigest()


def new_visitor_id() -> str:
    return secrets.token_urlsafe(18)


def _same_origin(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # an old browser or a non-browser client: the token decides
    if origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.netloc.lower() == (request.headers.get("host") or "").lower()


def check_csrf(request: Request, *, secret: str, seed: str | None, sent: str | None) -> None:
    """403 unless the request is same-origin and `sent` is the session's token."""
    if not _same_origin(request):
        raise ApiError(403, REFUSED)
    if seed is None or not sent or not sent.isascii():
        raise ApiError(403, REFUSED)
    if not hmac.compare_digest(csrf_token(secret, seed=seed).encode(), sent.encode()):
        raise ApiError(403, REFUSED)
