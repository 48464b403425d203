"""../shared beside the repository: the Mastodon API schema and the real-world media corpus.

A fresh clone has neither. Its tests then run on media they make themselves
(tests/support/fixtures_media) and leave out only what needs ../shared: the contract
check of response bodies (tests/support/schema.py) and the tests of real-world corpus
files, which skip. In CI (env CI set) a missing ../shared fails those instead, so a broken
checkout cannot pass quietly. SHUTTER_TEST_WITHOUT_SHARED=1 makes the tests behave as if
../shared were absent, in CI or not: CI runs it to prove the fresh-clone path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared"
SCHEMA = SHARED / "mastodon-api" / "schema.json"
CORPUS = SHARED / "media-corpus"
WITHOUT_SHARED = "SHUTTER_TEST_WITHOUT_SHARED"


def simulating_fresh_clone() -> bool:
    return os.environ.get(WITHOUT_SHARED, "") not in ("", "0")


def required() -> bool:
    """Whether a missing ../shared is a failure (CI) rather than a reason to skip."""
    return bool(os.environ.get("CI")) and not simulating_fresh_clone()


def find(path: Path) -> tuple[Path | None, str]:
    """`path` if it exists and absence is not simulated; else None and why it is missing."""
    if simulating_fresh_clone():
        return None, f"{path} ignored ({WITHOUT_SHARED}=1)"
    if not path.exists():
        return None, f"{path} not found"
    return path, ""


def require(path: Path, consequence: str) -> Path:
    """`path` under ../shared, for a test that cannot run without it: when it is missing
    the test skips saying `consequence`, or fails in CI."""
    found, missing = find(path)
    if found is None:
        message = f"{missing}: {consequence}"
        if required():
            pytest.fail(f"{message}; CI requires ../shared", pytrace=False)
        pytest.skip(message)
    return found


def corpus_file(relative: str) -> Path:
    """A file of the real-world corpus (../shared/media-corpus/`relative`); without the
    corpus the test skips, with one message for all of them (fails in CI)."""
    corpus = require(CORPUS, "real-world corpus files are not tested (generated media are)")
    path = corpus / relative
    assert path.is_file(), f"{path} is not in the corpus (see its MANIFEST.md)"
    return path
