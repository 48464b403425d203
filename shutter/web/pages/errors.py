"""The error page and the notice page (web/routing.py answers them)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from shutter.web.session import visitor_session
from shutter.web.templating import render

TITLES = {
    401: "Log in to continue",
    403: "Not allowed",
    404: "Page not found",
    422: "Something is not right",
    429: "Slow down",
}


async def error_page(
    request: Request, *, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    web = visitor_session(request)
    response = render(
        request,
        web,
        "pages/error.html",
        {"title": TITLES.get(status, "Something went wrong"), "message": message},
        status=status,
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


async def notice_page(request: Request, *, title: str, message: str) -> Response:
    web = visitor_session(request)
    return render(
        request, web, "pages/notice.html", {"title": title, "message": message}, status=403
    )
