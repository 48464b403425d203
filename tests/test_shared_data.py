"""Without ../shared the tests still run: real-world corpus tests skip with one message, the
contract check of response bodies is left out with one warning; in CI both fail; and
SHUTTER_TEST_WITHOUT_SHARED=1 simulates a fresh clone, in CI or not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import schema, shared
from tests.support.fixtures_media import CATALOGUE, made
from tests.support.schema import ContractNotChecked, assert_entity


@pytest.fixture
def no_shared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """../shared is missing, outside CI; the schema is looked for afresh, and the
    session's own warning (if any) is neither counted nor repeated."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(shared.WITHOUT_SHARED, raising=False)
    monkeypatch.setattr(shared, "CORPUS", tmp_path / "media-corpus")
    monkeypatch.setattr(shared, "SCHEMA", tmp_path / "mastodon-api" / "schema.json")
    monkeypatch.setattr(schema, "_WARNED", set())
    schema._validator.cache_clear()
    schema._document.cache_clear()
    yield
    schema._validator.cache_clear()
    schema._document.cache_clear()


def test_corpus_tests_skip_without_the_corpus(no_shared: None) -> None:
    with pytest.raises(pytest.skip.Exception, match="not found: real-world corpus files are"):
        shared.corpus_file("good/jolla.jpg")


def test_corpus_tests_fail_in_ci_without_the_corpus(
    no_shared: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI requires"):
        shared.corpus_file("good/jolla.jpg")


def test_the_override_simulates_a_fresh_clone_even_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv(shared.WITHOUT_SHARED, "1")
    with pytest.raises(pytest.skip.Exception, match="ignored"):
        shared.corpus_file("good/jolla.jpg")
    assert shared.find(shared.SCHEMA) == (
        None,
        f"{shared.SCHEMA} ignored ({shared.WITHOUT_SHARED}=1)",
    )


def test_without_the_schema_bodies_are_not_checked_and_that_is_said_once(no_shared: None) -> None:
    with pytest.warns(
        ContractNotChecked, match="not checked against the Mastodon contract"
    ) as said:
        assert_entity("Account", {"not": "an account"})
        assert_entity("Status", {"not": "a status"})
    assert len(said) == 1


def test_without_the_schema_ci_fails(no_shared: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI requires"):
        assert_entity("Account", {"not": "an account"})


def test_with_the_schema_bodies_are_checked() -> None:
    shared.require(shared.SCHEMA, "the contract check itself cannot be tested")
    with pytest.raises(AssertionError, match="not a valid Mastodon Account"):
        assert_entity("Account", {"not": "an account"})


@pytest.mark.parametrize(
    ("name", "starts"),
    [
        ("landscape.jpg", b"\xff\xd8\xff\xe1"),  # EXIF first, as cameras write
        ("photo.avif", b"\x00\x00\x00\x20ftypavif"),
        ("rotated.heic", b"\x00\x00\x00\x1cftypheic"),
        ("mjpeg.mov", b"\x00\x00\x00\x14free"),  # no ftyp: sniffed by its atoms
        ("avi.mp4", b"RIFF"),
    ],
)
def test_generated_files_are_what_their_names_say(name: str, starts: bytes) -> None:
    assert name in CATALOGUE
    assert made(name).read_bytes().startswith(starts)
    assert made(name) == made(name)  # made once per session
