"""Validate response bodies against the Mastodon client API's entity schemas.

The schema lives in ../shared (tests/support/shared.py). Without it the bodies are not
checked, and the session says so once; in CI its absence fails the test.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.support import shared

SCHEMA_PATH = shared.SCHEMA
# Messages already given: the absent schema is reported once per session, not per test.
_WARNED: set[str] = set()


class ContractNotChecked(UserWarning):
    """Response bodies were not validated: the Mastodon schema is not there."""


@cache
def _document() -> dict[str, Any] | None:
    """The schema document, or None (warned once per session) when it is absent."""
    path, missing = shared.find(shared.SCHEMA)
    if path is None:
        message = f"{missing}: response bodies are not checked against the Mastodon contract"
        if shared.required():
            # Not cached (an exception is not a result): every test that checks a body fails.
            pytest.fail(f"{message}; CI requires ../shared", pytrace=False)
        if message not in _WARNED:
            _WARNED.add(message)
            warnings.warn(ContractNotChecked(message), stacklevel=4)
        return None
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@cache
def _validator(entity: str, check_formats: bool = False) -> Draft202012Validator | None:
    document = _document()
    if document is None:
        return None
    registry = Registry().with_resource(
        "urn:mastodon", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:mastodon#/components/schemas/{entity}"}
    checker = Draft202012Validator.FORMAT_CHECKER if check_formats else None
    return Draft202012Validator(schema, registry=registry, format_checker=checker)


def assert_entity(entity: str, body: Any, *, check_formats: bool = False) -> None:
    """Fail with every schema violation of `body` as a Mastodon `entity`; with
    `check_formats`, strings must also have their `format` (email, date-time…).
    Without the schema (a fresh clone) nothing is checked: see the module docstring."""
    validator = _validator(entity, check_formats)
    if validator is None:
        return
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        lines = [f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors[:10]]
        raise AssertionError(f"not a valid Mastodon {entity}:\n" + "\n".join(lines))
