"""Request parameters the way Mastodon clients send them.

Clients send the same parameters as JSON, as form fields, as multipart or in the query
string, with Rails' bracket syntax for arrays (`media_ids[]=1`) and hashes
(`poll[options][]=a`). `params(Model)` merges them into one dict and validates it with a
pydantic model, so a route sees typed input or the client sees a 422 that names the field.

Every text value is refused (422) when it holds a NUL or a lone surrogate: PostgreSQL
cannot store either (asyncpg cannot even encode a surrogate) and SQLite's full-text
parser stops at a NUL, so they would be 500s on one database and not the other. Ids
are parsed by `shutter.infra.ids.parse_id` alone: `IdParam` in a model, `{name:id}` in
a path.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError
from starlette.datastructures import UploadFile

from shutter.infra.errors import ApiError, describe_validation_errors, unprocessable
from shutter.infra.ids import parse_id

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


def _id_text(value: object) -> str:
    parsed = parse_id(value)
    if parsed is None:
        raise PydanticCustomError("id", "is not an id")
    return str(parsed)


def _optional_id_text(value: object) -> str | None:
    return None if value is None or value == "" else _id_text(value)


IdParam = Annotated[str, BeforeValidator(_id_text)]
"""An id in the body or query (a string or a JSON number), as its decimal text: anything
`parse_id` refuses (a sign, a space, '²', past 2^63-1) is a 422 naming the field."""

OptionalIdParam = Annotated[str | None, BeforeValidator(_optional_id_text)]
"""`IdParam`, or None when absent or blank (clients send `in_reply_to_id=""`)."""


def _one_or_many(value: object) -> object:
    return value if value is None or isinstance(value, list) else [value]


IdListParam = Annotated[list[IdParam], BeforeValidator(_one_or_many)]
"""Ids as `ids[]=1&ids[]=2`, a JSON array, or one id alone; each an `IdParam`."""

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored or searched, or None: a NUL, or a lone surrogate (a
    JSON escape or an odd form charset can make one; it is no character at all)."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return "contains a NUL character" if found.group() == "\x00" else "is not valid Unicode"


def check_text(value: str, *, field: str) -> None:
    """422 when `value` (a parameter named `field`) is text no database can take."""
    if (problem := text_problem(value)) is not None:
        raise unprocessable(f"{field} {problem}", field=field)


def header_param(request: Request, name: str) -> str | None:
    """A request header used as a parameter (one that is stored or looked up), checked
    as every parameter is: ASGI servers differ in whether they let a NUL through."""
    value = request.headers.get(name)
    if value is not None:
        check_text(value, field=name)
    return value


def _check_values(params: dict[str, Any]) -> None:
    """`check_text` on every string in the merged parameters, nested ones included.

    A loop over a stack, not recursion: JSON may nest a thousand levels deep, past
    Python's recursion limit.
    """
    pending: list[tuple[str, Any]] = [("", params)]
    while pending:
        field, value = pending.pop()
        if isinstance(value, str):
            check_text(value, field=field)
        elif isinstance(value, dict):
            pending.extend((_name(field, key), item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((_name(field, index), item) for index, item in enumerate(value))
        elif isinstance(value, UploadFile) and value.filename:
            check_text(value.filename, field=f"{field} (its file name)")


def _name(parent: str, key: object) -> str:
    key = str(key)
    if text_problem(key) is not None:  # never echo it: the error body must encode
        raise unprocessable("a parameter name is not valid text")
    return f"{parent}.{key}" if parent else key


def _json_body(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    # orjson refuses an escaped lone surrogate ("\ud800"), which JSON's grammar allows:
    # read it with the standard parser so the check on values refuses it as a 422 that
    # names the field, like a NUL. Anything else that parser also refuses is a 400.
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "The request body is not valid JSON") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


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
    """The request's parameters (query, then body) merged into one dict; 422 when any
    text in them is unstorable (see `text_problem`)."""
    merged = await _merged_params(request)
    _check_values(merged)
    return merged


async def _merged_params(request: Request) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        _insert(merged, key, value)
    if request.method in ("GET", "HEAD", "DELETE") and not request.headers.get("content-length"):
        return merged
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        raw = await request.body()
        if raw.strip():
            body = _json_body(raw)
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


class ParamsDependency(Generic[M]):
    """The request's parameters validated as `model`. A class rather than a closure so
    the model stays readable on the route: tests/test_hostile_sweep.py learns every
    parameter of every route from it."""

    def __init__(self, model: type[M]) -> None:
        self.model = model

    async def __call__(self, request: Request) -> M:
        return validate_params(self.model, await collect_params(request))


def params(model: type[M]) -> Any:
    """FastAPI dependency: the request's parameters validated as `model`."""
    return Depends(ParamsDependency(model))
