"""Every route of Mastodon's client API has an answer, and docs/api.md says which.

docs/api.md ends with an index of every route of the client API (its "Every route"
table): each row names the method and path, and what Shutter does with it. The index is
checked both ways: each route it says is served has a route in the app (no 404 for a
documented route), and each route of the Mastodon schema (../shared/mastodon-api) is in
the index, so a route added to the schema cannot be forgotten quietly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from starlette.routing import Match

from shutter.app import create_app
from tests.support import shared

INDEX_TITLE = "## Every route of the client API"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) ([^`]+)` \| ([^|]+) \|", re.M)
METHODS = ("get", "post", "put", "patch", "delete")
# What the status column may start with; everything but "later than 4.3" is served:
# implemented, answered as Mastodon answers on a server without peers, or answered with
# Mastodon's refusal of a feature Shutter does not have (polls, reposts).
SERVED = ("yes", "no peers", "answered")
NOT_SERVED = ("later than 4.3",)


def _index() -> dict[tuple[str, str], str]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    assert INDEX_TITLE in text, f"docs/api.md has no {INDEX_TITLE!r} section"
    section = text.split(INDEX_TITLE, 1)[1].split("\n## ", 1)[0]
    rows = {(m, path): status.strip() for m, path, status in ROW.findall(section)}
    assert rows, "the index has no rows"
    return rows


def _concrete(path: str) -> str:
    """A path the route would be asked for: every parameter an id."""
    return re.sub(r"(:\w+|\{[^}]+\})", "1", path)


def _schema_path(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", r":\1", path)


def test_every_route_the_index_says_is_served_has_a_route() -> None:
    routes = [r for r in create_app().router.routes if hasattr(r, "matches")]
    missing = []
    for (method, path), status in _index().items():
        assert status.startswith(SERVED + NOT_SERVED), f"{method} {path}: status {status!r}"
        if status.startswith(NOT_SERVED):
            continue
        scope = {"type": "http", "path": _concrete(path), "method": method, "root_path": ""}
        if not any(route.matches(scope)[0] == Match.FULL for route in routes):
            missing.append(f"{method} {path}")
    assert not missing, "documented as served, but no route answers:\n" + "\n".join(missing)


def test_every_route_of_the_mastodon_schema_is_in_the_index() -> None:
    schema = shared.require(shared.SCHEMA, "the index is not compared with Mastodon's routes")
    document = json.loads(schema.read_text())
    index = _index()
    absent = [
        f"{method.upper()} {_schema_path(path)}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in METHODS and (method.upper(), _schema_path(path)) not in index
    ]
    assert not absent, "add these to docs/api.md's index:\n" + "\n".join(absent)
