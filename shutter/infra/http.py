"""Fast JSON responses: handlers build plain dicts and orjson writes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response


def json_response(
    content: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content), status_code=status, headers=headers, media_type="application/json"
    )


def bearer_token(authorization: str | None, query: Mapping[str, str]) -> str | None:
    """The OAuth bearer token of a request: the Authorization header, else `access_token`."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return query.get("access_token") or None
