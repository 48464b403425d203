"""Mastodon.py, unchanged, through what apps call beyond the core (issue 17): start-up
reads, lists, filters, followed and featured hashtags, the public timeline, trends,
suggestions, direct messages, scheduled posts, the notification policy, pins, notes and
domain blocks — over HTTP against a real server, on SQLite and PostgreSQL.

The library parses every answer into its own entity classes and raises on an error, so
a shape or a status it does not expect fails here as it would in an app.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mastodon import Mastodon

from shutter.infra.context import AppContext
from tests.support.api import DEFAULT_PHOTO
from tests.support.live import start_server
from tests.test_mastodon_client import SCOPES, _sign_up, _wait_for


def _photo_post(app: Mastodon, caption: str, **kwargs: Any) -> Any:
    media = app.media_post(str(DEFAULT_PHOTO), mime_type="image/jpeg", synchronous=True)
    return app.status_post(caption, media_ids=[media], **kwargs)


def test_mastodon_py_through_the_rest_of_the_client_api(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    with start_server(database_url, tmp_path) as server:
        client_id, secret = Mastodon.create_app("Apps e2e", api_base_url=server.url, scopes=SCOPES)
        ana = _sign_up(server.url, client_id, secret, "ana")
        bob = _sign_up(server.url, client_id, secret, "bob")
        bob_id = bob.me().id

        # What apps read at start-up.
        assert ana.preferences()["posting:default:visibility"] == "public"
        assert ana.custom_emojis() == [] and ana.announcements() == []
        assert ana.filters_v2() == [] and ana.lists() == [] and ana.followed_tags() == []
        assert ana.notifications_policy().for_private_mentions == "filter"

        # Lists: follow bob, put him in a list, read its timeline.
        ana.account_follow(bob_id)
        friends = ana.list_create("Friends", replies_policy="list")
        ana.list_accounts_add(friends, [bob_id])
        assert [a.username for a in ana.list_accounts(friends)] == ["bob"]
        assert [li.title for li in ana.account_lists(bob_id)] == ["Friends"]
        lake = _photo_post(bob, "At the #lake today")
        _wait_for(lambda: [s.id for s in ana.timeline_list(friends)] == [lake.id])
        ana.list_update(friends, "Close friends", exclusive=True)
        assert ana.list(friends).title == "Close friends"

        # Filters: a warning on the home timeline.
        warned = ana.create_filter_v2(
            "Water", ["public"], filter_action="warn", keywords_attributes=[{"keyword": "lake"}]
        )
        public = ana.timeline_public(local=True)
        assert public and public[0].filtered and public[0].filtered[0].filter.id == warned.id
        ana.delete_filter_v2(warned)

        # Hashtags: follow, feature, trends; the public timeline.
        assert ana.tag_follow("lake").following is True
        assert [t.name for t in ana.followed_tags()] == ["lake"]
        bob.featured_tag_create("lake")
        assert [t.name for t in ana.account_featured_tags(bob_id)] == ["lake"]
        assert isinstance(ana.trending_tags(), list)
        assert isinstance(ana.suggestions_v2(), list)
        ana.account_pin(bob_id)
        assert [a.username for a in ana.endorsements()] == ["bob"]

        # Direct messages as conversations.
        bob.status_post("@ana are you coming?", visibility="direct")
        _wait_for(lambda: len(ana.conversations()) == 1)
        conversation = ana.conversations()[0]
        assert conversation.unread and conversation.accounts[0].username == "bob"
        ana.conversations_read(conversation)

        # A post scheduled for tomorrow, moved, then cancelled.
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        scheduled = _photo_post(ana, "Tomorrow", scheduled_at=tomorrow)
        assert [s.id for s in ana.scheduled_statuses()] == [scheduled.id]
        ana.scheduled_status_update(scheduled, tomorrow + timedelta(hours=1))
        ana.scheduled_status_delete(scheduled)
        assert ana.scheduled_statuses() == []

        # Pins, notes, domain blocks, the notification policy.
        mine = _photo_post(ana, "Pinned")
        assert ana.status_pin(mine).pinned is True
        assert [s.id for s in ana.account_statuses(ana.me().id, pinned=True)] == [mine.id]
        assert ana.account_note_set(bob_id, "met at the lake").note == "met at the lake"
        ana.domain_block("example.net")
        assert ana.domain_blocks() == ["example.net"]
        policy = ana.update_notifications_policy(for_not_following="filter")
        assert policy.for_not_following == "filter"
        assert ana.notification_requests() == []
