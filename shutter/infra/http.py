"""Fast JSON responses: handlers build plain dicts and orjson writes them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

# Answers that carry a credential (tokens, client secrets): no cache on the way may keep
# them (RFC 6749 §5.1 asks both headers of a token answer).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_response(
    content: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content), status_code=status, headers=headers, media_type="application/json"
    )


def entity_response(request: Request, content: Any, *, status: int = 200) -> Response:
    """An entity read with an ETag; 304 when the client already holds this version.

    The tag is a digest of the body the viewer would get, so it changes with anything
    that changes the answer (edits, counts, the viewer's own likes) and nothing else.
    """
    body = orjson.dumps(content)
    etag = 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    matches = request.headers.get("if-none-match", "")
    if etag in (tag.strip() for tag in matches.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def bearer_token(authorization: str | None, query: Mapping[str, str]) -> str | None:
    """The OAuth bearer token of a request: the Authorization header, else `access_token`."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return query.get("access_token") or None
