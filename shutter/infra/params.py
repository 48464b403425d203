"""Request parameters the way Mastodon clients send them.

Clients send the same parameters as JSON, as form fields, as multipart or in the query
string, with Rails' bracket syntax for arrays (`media_ids[]=1`) and hashes
(`poll[options][]=a`). `params(Model)` merges them into one dict and validates it with a
pydantic model, so a route sees typed input or the client sees a 422 that names the field.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import orjson
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, ValidationError

from shutter.infra.errors import ApiError, describe_validation_errors

M = TypeVar("M", bound=BaseModel)

_BRACKETS = re.compile(r"\[([^\]]*)\]")


class RequestParams(BaseModel):
    """Base for body parameters.

    Unknown names are ignored, as Mastodon does: real clients send parameters of their
    own (Mastodon.py sends `oauth_info` to /oauth/token and `return_detailed_error` with
    a sign-up), and refusing them would break those clients. Known names are typed
    strictly enough that a wrong type is a 422. See docs/decisions/0004.
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class QueryParams(BaseModel):
    """Base for query parameters: unknown names are ignored (cache busters, tracking)."""

    model_config = ConfigDict(extra="ignore")


def _insert(target: dict[str, Any], key: str, value: Any) -> None:
    """Put `value` under a Rails-style key such as `a[b][]` into nested dicts and lists."""
    head, _, rest = key.partition("[")
    parts = [head, *_BRACKETS.findall("[" + rest)] if rest else [head]
    node: Any = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = None if last else parts[index + 1]
        if last:
            if isinstance(node, list):
                node.append(value)
            else:
                node[part] = value
            return
        container: Any = [] if following == "" else {}
        if isinstance(node, list):
            node.append(container)
        else:
            existing = node.get(part)
            if isinstance(existing, type(container)):
                container = existing
            node[part] = container
        node = container


async def collect_params(request: Request) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        _insert(merged, key, value)
    if request.method in ("GET", "HEAD", "DELETE") and not request.headers.get("content-length"):
        return merged
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        raw = await request.body()
        if raw.strip():
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise ApiError(400, "The request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise ApiError(422, "Validation failed: the JSON body must be an object")
            merged.update(body)
    elif content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        try:
            form = await request.form(max_part_size=64 * 1024 * 1024)
        except Exception as exc:  # malformed multipart bodies raise several types
            raise ApiError(400, f"The form body could not be read: {exc}") from None
        for key, item in form.multi_items():
            _insert(merged, key, item)
    return merged


def validate_params(model: type[M], raw: dict[str, Any]) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        message, details = describe_validation_errors(list(exc.errors()))
        raise ApiError(422, message, details=details) from None


def params(model: type[M]) -> Any:
    """FastAPI dependency: the request's parameters validated as `model`."""

    async def dependency(request: Request) -> M:
        return validate_params(model, await collect_params(request))

    return Depends(dependency)
