"""Errors in Mastodon's shape: `{"error": "…"}` with the right status, never a 500 for input."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from shutter.infra.http import json_response

log = structlog.get_logger()


class ApiError(Exception):
    """An answer to a bad request; `status` is the HTTP status, `message` what to fix."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers
        self.extra = extra


def not_found(what: str = "Record") -> ApiError:
    return ApiError(404, f"{what} not found")


def unprocessable(message: str, *, field: str | None = None) -> ApiError:
    details = {field: [{"error": "ERR_INVALID", "description": message}]} if field else None
    return ApiError(422, f"Validation failed: {message}", details=details)


def forbidden(message: str = "This action is not allowed") -> ApiError:
    return ApiError(403, message)


def _body(message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message}
    if details:
        body["details"] = details
    return body


def describe_validation_errors(errors: list[Any]) -> tuple[str, dict[str, Any]]:
    """Pydantic errors → Mastodon's "Validation failed: …" message and per-field details."""
    details: dict[str, list[dict[str, str]]] = {}
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or "request"
        msg = err.get("msg", "is invalid")
        if err.get("type") == "missing":
            msg = "is required"
        parts.append(f"{field} {msg}")
        details.setdefault(field, []).append({"error": "ERR_INVALID", "description": msg})
    return "Validation failed: " + ", ".join(parts), details


def error_response(exc: ApiError, *, headers: dict[str, str] | None = None) -> Response:
    """The answer to `exc`, for a route that must answer an error rather than raise it
    (raising rolls its transaction back)."""
    body = _body(exc.message, exc.details) | (exc.extra or {})
    return json_response(body, status=exc.status, headers=(exc.headers or {}) | (headers or {}))


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    message, details = describe_validation_errors(list(exc.errors()))
    return json_response(_body(message, details), status=422)


_HTTP_MESSAGES = {404: "Not found", 405: "Method not allowed"}


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = _HTTP_MESSAGES.get(exc.status_code) or str(exc.detail)
    return json_response(_body(message), status=exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=request.url.path, exc_info=exc)
    return json_response(_body("Internal server error"), status=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
