"""Static files of the website, under versioned URLs that browsers keep for a year.

Pages link assets through `asset_url("css/app.css")` →
`/static/v/<version>/css/app.css`, where the version is a digest of the whole static
tree: a changed file changes every URL, so the modules' relative imports
(`import … from "./carousel.js"`) resolve within the same version and can never mix an
old and a new file. Such URLs are answered with `Cache-Control: immutable`; the plain
`/static/<path>` (used by API entities, e.g. the missing avatar) is revalidated.
Neither counts against the rate limit (auth/gate.py passes /static/ uncounted).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"


@cache
def static_version() -> str:
    """A digest of every static file's path and bytes (computed once per process)."""
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted(p for p in STATIC_DIR.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(STATIC_DIR)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def asset_url(path: str) -> str:
    return f"/static/v/{static_version()}/{path}"


class VersionedStatic(StaticFiles):
    """StaticFiles that strips the `v/<version>/` prefix and sets the cache headers."""

    def __init__(self) -> None:
        super().__init__(directory=STATIC_DIR)

    async def get_response(self, path: str, scope: Scope) -> Response:
        versioned = path.startswith("v/")
        if versioned:
            # Whatever version was asked: an old page after a deploy gets today's file,
            # which is as good as a 404 and better for a cached page.
            path = path.split("/", 2)[2] if path.count("/") >= 2 else ""
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["cache-control"] = IMMUTABLE if versioned else REVALIDATE
        return response
