"""The machinery of the hostile-input sweep (tests/test_hostile_sweep.py).

Which write routes take which text parameters is learnt from the routes themselves: every
route reads its parameters through `shutter.infra.params.params(Model)`, whose dependency
keeps the pydantic model, and the model's annotations say where text goes (nested models
and lists of them included). Here too: the hostile values, how a client sends them (JSON,
a form, a multipart form in an odd charset), and what a response must never contain.
"""

from __future__ import annotations

import copy
import itertools
import json
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from sqlalchemy import text

from shutter.infra.context import AppContext
from shutter.infra.params import ParamsDependency, text_problem
from shutter.models import Base

WRITE_METHODS = ("POST", "PUT", "PATCH")

ParamPath = tuple[str | int, ...]
"""Where a value goes in the parameters: ("source", "privacy"), ("media_ids", 0)."""

HOSTILE = {
    "nul": "a\x00b",
    "lone-surrogate": "a\ud800b",
    "1MB": "hostile-" * 125_000,  # characters a form sends unescaped: the body stays < 1 MiB
    "rtl-override": "abc\u202egnp.exe",
    "zero-width-space": "ana\u200b",
    "byte-order-mark": "\ufeffana",
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "percent-nul": "%00",
    "combining": "#Z" + "\u0300\u0301\u0336\u0358" * 5000,
}
UNSTORABLE = ("nul", "lone-surrogate")  # refused (422) wherever they are sent
INJECTING = ("script", "attribute")  # markup, if a page or an HTML field shows them raw
MARKUP = ("<script", "<img")  # what they would inject
ENCODINGS = ("json", "form")


@dataclass(frozen=True)
class WriteRoute:
    method: str
    path: str  # the template with its parameters' names: /api/v1/statuses/{status_id}
    model: type[BaseModel] | None  # None: the route takes no parameters
    takes_request: bool  # its handler has the raw Request (it may read more from it)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def write_routes(app: FastAPI) -> list[WriteRoute]:
    """Every POST, PUT and PATCH route `app` serves, with the model of its parameters."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for method in sorted(set(context.methods or ()) & set(WRITE_METHODS)):
            model = _params_model(route.dependant)
            taking = route.dependant.request_param_name is not None
            found.append(WriteRoute(method, str(context.path_format), model, taking))
    return found


def _params_model(dependant: Dependant) -> type[BaseModel] | None:
    for sub in dependant.dependencies:
        if isinstance(sub.call, ParamsDependency):
            model: type[BaseModel] = sub.call.model
            return model
        if (nested := _params_model(sub)) is not None:
            return nested
    return None


def text_paths(model: type[BaseModel]) -> list[ParamPath]:
    """Where `model` takes text: each field typed str (or Any: it takes text too), inside
    nested models and lists included."""
    return [
        path
        for name, field in model.model_fields.items()
        for path in _paths(field.annotation, (field.alias or name,))
    ]


def _paths(annotation: Any, prefix: ParamPath) -> list[ParamPath]:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _paths(get_args(annotation)[0], prefix)
    if origin in (Union, types.UnionType):
        # The first form that takes text: `str | list[str]` is sent as a string, and
        # `list[M] | dict[str, M]` as a list.
        return next(
            (found for option in get_args(annotation) if (found := _paths(option, prefix))), []
        )
    if annotation is str or annotation is Any:
        return [prefix]
    if origin is list:
        return _paths(get_args(annotation)[0], (*prefix, 0))
    if origin is dict:
        return _paths(get_args(annotation)[1], (*prefix, "0"))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(*prefix, *path) for path in text_paths(annotation)]
    return []


def with_value(body: dict[str, Any], path: ParamPath, value: str) -> dict[str, Any]:
    """A copy of `body` with `value` at `path`, containers made on the way."""
    result = copy.deepcopy(body)
    node: Any = result
    for key, following in itertools.pairwise(path):
        made: Any = [] if isinstance(following, int) else {}
        if isinstance(node, list):
            assert isinstance(key, int)
            if len(node) <= key:
                node.append(made)
            node = node[key]
        else:
            if not isinstance(node.get(key), list | dict):
                node[key] = made
            node = node[key]
    last = path[-1]
    if isinstance(node, list):
        assert isinstance(last, int)
        node[last : last + 1] = [value]
    else:
        node[last] = value
    return result


def form_fields(body: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """`body` as form fields, with Rails' brackets: `a[b]`, `a[]`, and `a[0][b]` for a list
    of hashes (Shutter reads `a[0]` as a hash keyed "0")."""
    fields: list[tuple[str, str]] = []
    for key, value in body.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            fields += form_fields(value, name)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    fields += form_fields(item, f"{name}[{index}]")
                else:
                    fields.append((f"{name}[]", _form_text(item)))
        else:
            fields.append((name, _form_text(value)))
    return fields


def _form_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


Files = dict[str, tuple[str, bytes, str]]


def encode(body: dict[str, Any], files: Files, *, encoding: str) -> dict[str, Any]:
    """Keyword arguments of `httpx.AsyncClient.request` that send `body` (and `files`).

    JSON escapes a lone surrogate (`"\\ud800"`, valid JSON); a form carries one in a
    multipart body whose declared charset (UTF-7) decodes to it, as no UTF-8 can.
    """
    odd = any(text_problem(value) == "is not valid Unicode" for _, value in form_fields(body))
    if encoding == "json":
        raw = json.dumps(body, ensure_ascii=odd).encode()
        return {"content": raw, "headers": {"Content-Type": "application/json"}}
    if files or odd:
        raw, content_type = _multipart(form_fields(body), files, "utf-7" if odd else "utf-8")
        return {"content": raw, "headers": {"Content-Type": content_type}}
    form = urlencode(form_fields(body)).encode()
    return {"content": form, "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


def _multipart(fields: list[tuple[str, str]], files: Files, charset: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    chunks = []
    for name, value in fields:
        opening = f'--{boundary}\r\nContent-Disposition: form-data; name="'.encode()
        chunks.append(
            opening + name.encode(charset) + b'"\r\n\r\n' + value.encode(charset) + b"\r\n"
        )
    for name, (filename, data, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        chunks.append(head.encode() + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; charset={charset}; boundary={boundary}"


def unescaped_markup(response: httpx.Response) -> list[str]:
    """Where `response` carries markup a value injected: anywhere in an HTML page, or in
    an HTML-typed field of a JSON entity (Mastodon's `content`, `note`, `fields[].value`)."""
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("text/html"):
        return ["the page"] if _has_markup(response.text) else []
    if not content_type.startswith("application/json"):
        return []
    return [where for where, html in html_fields(response.json()) if _has_markup(html)]


def _has_markup(html: str) -> bool:
    lowered = html.lower()
    return any(marker in lowered for marker in MARKUP)


def html_fields(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(where, value) of every HTML-typed string in a JSON entity or list of them."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from html_fields(item, f"{where}[{index}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "source":
                continue  # what the person wrote, plain text by contract
            if key == "note" and "followed_by" in node:
                continue  # a Relationship's personal note: plain text, as on Mastodon
            here = f"{where}.{key}"
            in_field = key == "value" and where.rsplit(".", 1)[-1].startswith("fields[")
            if isinstance(value, str) and (key in ("content", "note") or in_field):
                yield here, value
            else:
                yield from html_fields(value, here)


async def snapshot(ctx: AppContext, rows: dict[str, int]) -> list[Any]:
    """Every table's row count and the named rows (table: id) as they are: what a refused
    request must leave as it was. Cheap enough to take around every request."""
    names = [table.name for table in Base.metadata.sorted_tables]
    counts = "SELECT " + ", ".join(f"(SELECT count(*) FROM {name})" for name in names)
    async with ctx.db.read() as session:
        taken = [tuple((await session.execute(text(counts))).one())]
        for table, row_id in rows.items():
            query = text(f"SELECT * FROM {table} WHERE id = :id")
            taken.append(tuple((await session.execute(query, {"id": row_id})).one()))
    return taken
