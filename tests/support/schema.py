"""Validate response bodies against the Mastodon client API's entity schemas."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "shared" / "mastodon-api" / "schema.json"


@cache
def _document() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


@cache
def _validator(entity: str, check_formats: bool = False) -> Draft202012Validator:
    document = _document()
    registry = Registry().with_resource(
        "urn:mastodon", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:mastodon#/components/schemas/{entity}"}
    checker = Draft202012Validator.FORMAT_CHECKER if check_formats else None
    return Draft202012Validator(schema, registry=registry, format_checker=checker)


def assert_entity(entity: str, body: Any, *, check_formats: bool = False) -> None:
    """Fail with every schema violation of `body` as a Mastodon `entity`; with
    `check_formats`, strings must also have their `format` (email, date-time…)."""
    validator = _validator(entity, check_formats)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        lines = [f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors[:10]]
        raise AssertionError(f"not a valid Mastodon {entity}:\n" + "\n".join(lines))
