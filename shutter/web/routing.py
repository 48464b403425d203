"""The route class of every website route: errors as pages, not JSON.

Every module of shutter/web/pages makes its router with `web_router()`. Its routes raise
what API routes raise (`ApiError` from the services: 403, 404, 422, 429 …) and the
website's own `LoginRequired` / `NotReady`; this class turns them into answers a
browser shows:

- `LoginRequired` → 303 to /login?next=<the page>;
- `NotReady` → the notice page (awaiting approval, unconfirmed address), 403;
- `ApiError` → the error page with its status and message — or, for a script's fetch
  (`Accept: application/json`), Mastodon's JSON error, which the modules read.

Raised errors pass through the route's dependencies first, so a write session rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shutter.infra.deps import refuse_writes
from shutter.infra.errors import ApiError, error_response
from shutter.infra.http import json_response
from shutter.web.session import LoginRequired, NotReady

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def safe_next(value: object, default: str = "/home") -> str:
    """A local path to go to after a form (never another site: `//evil`, `/\\evil`)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 32 for c in value) or len(value) > 2000:
        return default
    return value


def see_other(path: str) -> RedirectResponse:
    """The answer to a form without scripts: go (back) to a page (POST/redirect/GET)."""
    return RedirectResponse(path, status_code=303)


def done(request: Request, to: str, body: dict[str, Any] | None = None) -> Response:
    """The answer to an action: 303 to the page `to` for a form without scripts; for a
    script's fetch (Accept: application/json), `body` (e.g. the Status the API would
    give) or `{"location": to}`, which the module follows or applies."""
    if wants_json(request):
        return json_response(body if body is not None else {"location": to})
    return see_other(to)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (LoginRequired, NotReady, ApiError) as exc:
                # Answered here, so the exception never reaches the route's write
                # session: it must roll back by itself.
                refuse_writes(request)
                return await _answer(request, exc)

        return handle


async def _answer(request: Request, exc: LoginRequired | NotReady | ApiError) -> Response:
    if isinstance(exc, LoginRequired):
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if wants_json(request):
            return error_response(ApiError(401, "Log in to do this"))
        return see_other(f"/login?next={quote(path, safe='/')}")
    if isinstance(exc, NotReady):
        return await _notice(request, exc)
    if wants_json(request):
        return error_response(exc)
    return await _error_page(request, exc)


async def _error_page(request: Request, exc: ApiError) -> Response:
    # Imported here: templating needs the session module, which this module's users
    # import first.
    from shutter.web.pages.errors import error_page

    return await error_page(request, status=exc.status, message=exc.message, headers=exc.headers)


async def _notice(request: Request, exc: NotReady) -> Response:
    from shutter.web.pages.errors import notice_page

    return await notice_page(request, title=exc.title, message=exc.message)


def web_router() -> APIRouter:
    return APIRouter(route_class=WebRoute, include_in_schema=False)
