"""An existing Mastodon client library, unchanged, against the real server over HTTP.

Mastodon.py registers an app, signs up, logs in with a password, uploads a photo,
posts it, follows, and reads the home feed, exactly as a third-party app would.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from shutter.infra.context import AppContext
from tests.support.api import DEFAULT_PHOTO
from tests.support.live import start_server

SCOPES = ["read", "write", "follow"]


def _wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def _sign_up(url: str, client_id: str, secret: str, name: str) -> Mastodon:
    anonymous = Mastodon(client_id=client_id, client_secret=secret, api_base_url=url)
    anonymous.create_account(
        name, "correct horse battery", f"{name}@example.com", agreement=True, scopes=SCOPES
    )
    # Log in again with the password grant, as an app does on a second device.
    device = Mastodon(client_id=client_id, client_secret=secret, api_base_url=url)
    # allow_http: the test server speaks plain HTTP on 127.0.0.1.
    device.log_in(f"{name}@example.com", "correct horse battery", scopes=SCOPES, allow_http=True)
    return device


def test_mastodon_py_signs_up_posts_follows_and_reads_home(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    with start_server(database_url, tmp_path) as server:
        client_id, secret = Mastodon.create_app(
            "Mastodon.py e2e", api_base_url=server.url, scopes=SCOPES
        )
        ana = _sign_up(server.url, client_id, secret, "ana")
        bob = _sign_up(server.url, client_id, secret, "bob")
        assert ana.me().username == "ana"
        assert ana.verify_minimum_version("4.0.0")

        # v2 answers 202 and a job processes the photo; synchronous=True polls until ready.
        media = ana.media_post(
            str(DEFAULT_PHOTO), mime_type="image/jpeg", description="a field", synchronous=True
        )
        assert media.type == "image" and media.url
        status = ana.status_post("Golden hour", media_ids=[media])
        assert status.media_attachments[0].description == "a field"

        relationship = bob.account_follow(ana.me())
        assert relationship.following is True
        _wait_for(lambda: [s.id for s in bob.timeline_home()] == [status.id])
        home = bob.timeline_home(limit=5)
        assert home[0].account.username == "ana"
        assert home[0].media_attachments[0].url.startswith(server.url)

        edited = ana.status_update(status, "Golden hour, edited")
        assert "edited" in edited.content
        assert len(ana.status_history(status)) == 2

        photo = ana.media_post(str(DEFAULT_PHOTO), "image/jpeg", synchronous=True)
        assert photo.url
        with pytest.raises(MastodonAPIError):
            ana.status_post("x" * 256, media_ids=[photo])
        ana.status_delete(status)
        with pytest.raises(MastodonNotFoundError):
            bob.status(status.id)
        assert bob.timeline_home() == []
