"""A hostile-input sweep of every write route, generated from the routes themselves.

Every POST, PUT and PATCH route that takes text (learnt from the model of its parameters:
tests/support/sweep.py) gets in each text parameter, one at a time, a NUL, a lone
surrogate, 1 MB, bidirectional and zero-width controls, markup, "%00" and a long
combining sequence, as JSON and as a form, from a signed-in user whose token has the
scopes a full client asks for (read write follow push).

Every answer is below 500; a NUL or a lone surrogate is refused (422); a value taken is
stored inert: no markup in an HTML-typed field of the answer nor of what reads it back;
a refusal writes nothing: row counts and the entities a route could change are unchanged.
A new route that takes text is swept as soon as it exists; if it needs more than an empty
body to succeed, the control below fails until it has a baseline in BASELINES.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from shutter.app import create_app
from shutter.auth.web_sessions import SESSION_COOKIE, WEBSITE_SCOPES
from shutter.infra.context import AppContext
from tests.conftest import test_settings as settings_for_tests
from tests.support.api import User, app_token, register_app, upload_photo
from tests.support.clients import small_png
from tests.support.credentials import log_in
from tests.support.hostile import World, build_world
from tests.support.roles import staff
from tests.support.sweep import (
    ENCODINGS,
    HOSTILE,
    INJECTING,
    UNSTORABLE,
    Files,
    ParamPath,
    WriteRoute,
    encode,
    snapshot,
    text_paths,
    unescaped_markup,
    with_value,
    write_routes,
)

OOB = "urn:ietf:wg:oauth:2.0:oob"
PASSWORD = "correct horse battery"  # tests/support/api.sign_up's

# An app made only to read its routes (it starts nothing, so it writes nothing).
ROUTES = write_routes(create_app(settings_for_tests(Path(tempfile.gettempdir()))))
SWEPT = [route for route in ROUTES if route.model is not None and text_paths(route.model)]


@dataclass
class SweepWorld:
    """`build_world`'s accounts and post, and what the routes' path ids and bodies name."""

    base: World
    post_media_id: str  # the photo of Ana's post
    media_id: str  # an upload of Ana's, in no post
    notification_id: str
    client: dict[str, str]  # an app's client_id and client_secret
    app_headers: dict[str, str]  # an app token of that app (sign-ups)
    admin: User  # an admin whose token has the admin scopes (the instance's rules)
    rule_id: str
    report_id: str  # Bob's report about Ana
    list_id: str  # a list of Ana's (empty: she follows no one)
    emoji_id: str  # a custom emoji the admin added
    announcement_id: str  # an announcement the admin published
    spare_photo: str | None = None  # an upload of Ana's for the next post, if any
    filter_id: str = ""  # a filter of Ana's (shutter/filters), with one keyword
    keyword_id: str = ""  # that keyword (also its v1 filter's id)
    conversation_id: str = ""  # Ana's conversation with Bob (a direct message of his)
    scheduled_id: str = ""  # a post of Ana's scheduled for tomorrow

    @property
    def ana(self) -> User:
        return self.base.ana

    @property
    def path_ids(self) -> dict[str, str]:
        """A row for every path parameter of a write route, by its name."""
        return {
            "status_id": self.base.status_id,
            "account_id": self.base.bob.id,
            "media_id": self.media_id,
            "notification_id": self.notification_id,
            "group_key": self.base.group_key,
            "rule_id": self.rule_id,
            "report_id": self.report_id,
            "list_id": self.list_id,
            "emoji_id": self.emoji_id,
            "announcement_id": self.announcement_id,
            "filter_id": self.filter_id,
            "keyword_id": self.keyword_id,
            "conversation_id": self.conversation_id,
            "scheduled_id": self.scheduled_id,
            # No notification request of Ana's has this id: the website's accept and
            # dismiss are refused (404); tests/test_web_notification_requests.py answers
            # real ones.
            "request_id": "999999999999",
            "kind": "extended_description",  # an instance page admins write
            # No session or app of Ana's has these ids: the settings page's revocations
            # are refused (404); tests/web/test_web_settings.py revokes for real.
            "token_id": "999999999999",
            "app_id": "999999999999",
            "name": "sunset",  # a hashtag (the website's Follow on a hashtag's page)
        }


async def sweep_world(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Callable[[], Awaitable[int]]
) -> SweepWorld:
    base = await build_world(client, run_jobs)
    post = await client.get(f"/api/v1/statuses/{base.status_id}", headers=base.ana.headers)
    comment = await client.post(
        "/api/v1/statuses",
        json={"status": "lovely, @ana", "in_reply_to_id": base.status_id},
        headers=base.bob.headers,
    )
    assert comment.status_code == 200, comment.text
    await run_jobs()
    notifications = await client.get("/api/v1/notifications", headers=base.ana.headers)
    app = await register_app(client)
    admin = await staff(client, ctx, "sweepadmin", "admin")
    rule = await client.post(
        "/api/v1/shutter/admin/rules", headers=admin.headers, data={"text": "Be kind"}
    )
    assert rule.status_code == 200, rule.text
    report = await client.post(
        "/api/v1/reports", headers=base.bob.headers, data={"account_id": base.ana.id}
    )
    assert report.status_code == 200, report.text
    made = await client.post("/api/v1/lists", headers=base.ana.headers, json={"title": "Cats"})
    assert made.status_code == 200, made.text
    emoji = await client.post(
        "/api/v1/shutter/admin/custom_emojis",
        headers=admin.headers,
        data={"shortcode": "sweep"},
        files={"image": ("e.png", small_png(), "image/png")},
    )
    assert emoji.status_code == 200, emoji.text
    announced = await client.post(
        "/api/v1/shutter/admin/announcements", headers=admin.headers, json={"text": "Hello"}
    )
    assert announced.status_code == 200, announced.text
    filtering = await client.post(
        "/api/v2/filters",
        headers=base.ana.headers,
        json={"title": "Spoilers", "context": ["home"], "keywords_attributes": [{"keyword": "x"}]},
    )
    assert filtering.status_code == 200, filtering.text
    return SweepWorld(
        base=base,
        post_media_id=post.json()["media_attachments"][0]["id"],
        media_id=(await upload_photo(client, base.ana))["id"],
        notification_id=notifications.json()[0]["id"],
        client={"client_id": app["client_id"], "client_secret": app["client_secret"]},
        app_headers={"Authorization": f"Bearer {await app_token(client, app)}"},
        admin=admin,
        rule_id=rule.json()["id"],
        report_id=report.json()["id"],
        list_id=made.json()["id"],
        emoji_id=emoji.json()["id"],
        announcement_id=announced.json()["id"],
        filter_id=filtering.json()["id"],
        keyword_id=filtering.json()["keywords"][0]["id"],
        conversation_id=await _conversation(client, base),
        scheduled_id=await _scheduled(client, base),
    )


async def _scheduled(client: httpx.AsyncClient, base: World) -> str:
    """A post of Ana's scheduled for tomorrow, with a photo of its own."""
    photo = await upload_photo(client, base.ana)
    scheduled = await client.post(
        "/api/v1/statuses",
        headers=base.ana.headers,
        json={"status": "Later", "media_ids": [photo["id"]], "scheduled_at": _days_ahead(1)},
    )
    assert scheduled.status_code == 200, scheduled.text
    return str(scheduled.json()["id"])


def _days_ahead(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _conversation(client: httpx.AsyncClient, base: World) -> str:
    """Ana's conversation with Bob, made by a direct message of his."""
    sent = await client.post(
        "/api/v1/statuses",
        json={"status": "@ana hello", "visibility": "direct"},
        headers=base.bob.headers,
    )
    assert sent.status_code == 200, sent.text
    inbox = await client.get("/api/v1/conversations", headers=base.ana.headers)
    return str(inbox.json()[0]["id"])


@dataclass
class Call:
    """A request that succeeds, before a hostile value goes into it."""

    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    files: Files = field(default_factory=dict)


def _authorize(w: SweepWorld) -> dict[str, str]:
    return {"response_type": "code", **w.client, "redirect_uri": OOB, "scope": "read"}


# The website's forms are sent as its scripts send them, asking for JSON answers.
_WEB: dict[str, str] = {"Accept": "application/json"}

# What each route needs to succeed; `n` numbers the requests (for names taken once).
# A route that is missing here is sent an empty body as Ana.
BASELINES: dict[str, Callable[[SweepWorld, int], Call]] = {
    "POST /api/v1/statuses": lambda w, n: Call(w.ana.headers, {"status": "a lake"}),
    "PUT /api/v1/statuses/{status_id}": lambda w, n: Call(
        w.ana.headers,
        {
            "status": "a lake at dawn",
            "media_ids": [w.post_media_id],
            "media_attributes": [{"id": w.post_media_id, "description": "a lake"}],
        },
    ),
    "POST /api/v1/accounts": lambda w, n: Call(
        w.app_headers,
        {
            "username": f"sweeper{n}",
            "email": f"sweeper{n}@example.com",
            "password": PASSWORD,
            "agreement": True,
        },
    ),
    "POST /api/v1/media": lambda w, n: Call(w.ana.headers, files=_photo()),
    "POST /api/v2/media": lambda w, n: Call(w.ana.headers, files=_photo()),
    "POST /api/v1/markers": lambda w, n: Call(
        w.ana.headers,
        {
            "home": {"last_read_id": w.base.status_id},
            "notifications": {"last_read_id": w.notification_id},
        },
    ),
    "POST /api/v1/apps": lambda w, n: Call({}, {"client_name": "sweep", "redirect_uris": OOB}),
    "POST /api/v1/domain_blocks": lambda w, n: Call(w.ana.headers, {"domain": f"d{n}.example"}),
    "POST /oauth/token": lambda w, n: Call(
        {},
        {"grant_type": "password", **w.client, "username": "ana", "password": PASSWORD},
    ),
    "POST /oauth/revoke": lambda w, n: Call({}, {**w.client, "token": "no-such-token"}),
    "POST /api/v1/shutter/password": lambda w, n: Call(
        w.ana.headers, {"current_password": PASSWORD, "password": PASSWORD}
    ),
    "POST /api/v1/shutter/password/reset": lambda w, n: Call({}, {"email": "ana@example.com"}),
    "POST /api/v1/shutter/email": lambda w, n: Call(
        w.ana.headers, {"email": f"ana{n}@example.com", "current_password": PASSWORD}
    ),
    "POST /oauth/authorize": lambda w, n: Call(
        {}, {**_authorize(w), "decision": "allow", "username": "ana", "password": PASSWORD}
    ),
    "POST /api/v1/shutter/admin/rules": lambda w, n: Call(w.admin.headers, {"text": f"Rule {n}"}),
    # Custom emojis, announcements and the instance's pages: the admin's (shutter/emojis,
    # shutter/instance); each new emoji needs a shortcode not taken.
    "POST /api/v1/shutter/admin/custom_emojis": lambda w, n: Call(
        w.admin.headers,
        {"shortcode": f"sweep_{n}"},
        {"image": ("e.png", small_png(n), "image/png")},
    ),
    "PATCH /api/v1/shutter/admin/custom_emojis/{emoji_id}": lambda w, n: Call(
        w.admin.headers, {"category": "Blobs"}
    ),
    "PUT /api/v1/shutter/admin/custom_emojis/{emoji_id}": lambda w, n: Call(
        w.admin.headers, {"category": "Blobs"}
    ),
    "POST /api/v1/shutter/admin/announcements": lambda w, n: Call(
        w.admin.headers, {"text": "Hello"}
    ),
    "PATCH /api/v1/shutter/admin/announcements/{announcement_id}": lambda w, n: Call(
        w.admin.headers, {"text": "Hello"}
    ),
    "PUT /api/v1/shutter/admin/announcements/{announcement_id}": lambda w, n: Call(
        w.admin.headers, {"text": "Hello"}
    ),
    "PUT /api/v1/shutter/admin/instance/{kind}": lambda w, n: Call(
        w.admin.headers, {"text": "About us"}
    ),
    "POST /api/v1/shutter/admin/instance/terms_of_service": lambda w, n: Call(
        w.admin.headers, {"text": "Be kind", "effective_date": "2026-01-01"}
    ),
    "PUT /api/v1/shutter/admin/rules/{rule_id}": lambda w, n: Call(
        w.admin.headers, {"text": "Be kind"}
    ),
    "POST /api/v1/shutter/imports": lambda w, n: Call(
        w.ana.headers, {"type": "following", "mode": "merge"}, files=_follow_list()
    ),
    "POST /api/v1/shutter/two_factor/setup": lambda w, n: Call(
        w.ana.headers, {"current_password": PASSWORD}
    ),
    # Moderation: Ana reports Bob; the admin acts on Bob and handles Bob's report of Ana.
    "POST /api/v1/reports": lambda w, n: Call(w.ana.headers, {"account_id": w.base.bob.id}),
    "PUT /api/v1/admin/reports/{report_id}": lambda w, n: Call(
        w.admin.headers, {"category": "spam"}
    ),
    "POST /api/v1/admin/accounts/{account_id}/action": lambda w, n: Call(
        w.admin.headers, {"type": "none", "send_email_notification": False}
    ),
    "POST /api/v1/shutter/admin/accounts/{account_id}/role": lambda w, n: Call(
        w.admin.headers, {"role": "user"}
    ),
    "POST /api/v1/admin/measures": lambda w, n: Call(
        w.admin.headers, {"keys": ["new_users"], "start_at": "2026-01-01", "end_at": "2026-01-07"}
    ),
    # Featured hashtags (tests/test_featured_tags.py): featuring the same one again is no
    # error, so the limit of 10 is never reached.
    "POST /api/v1/featured_tags": lambda w, n: Call(w.ana.headers, {"name": "sweep"}),
    # Lists (tests/test_lists.py): fewer than the 50 an account may have are made.
    "POST /api/v1/lists": lambda w, n: Call(w.ana.headers, {"title": f"List {n}"}),
    "PUT /api/v1/lists/{list_id}": lambda w, n: Call(w.ana.headers, {"title": "Dogs"}),
    "PUT /api/v1/scheduled_statuses/{scheduled_id}": lambda w, n: Call(
        w.ana.headers, {"scheduled_at": _days_ahead(2)}
    ),
    # Filters (tests/test_filters.py): fewer than an account's 500 filters and a filter's
    # 200 keywords are made; a status added to a filter is taken out again (PREPARE).
    "POST /api/v2/filters": lambda w, n: Call(
        w.ana.headers,
        {"title": "Spoilers", "context": ["home"], "keywords_attributes": [{"keyword": "end"}]},
    ),
    "PUT /api/v2/filters/{filter_id}": lambda w, n: Call(w.ana.headers, {"title": "Spoilers"}),
    "POST /api/v2/filters/{filter_id}/keywords": lambda w, n: Call(
        w.ana.headers, {"keyword": f"end{n}"}
    ),
    "PUT /api/v2/filters/keywords/{keyword_id}": lambda w, n: Call(
        w.ana.headers, {"keyword": "end"}
    ),
    "POST /api/v2/filters/{filter_id}/statuses": lambda w, n: Call(
        w.ana.headers, {"status_id": w.base.status_id}
    ),
    "POST /api/v1/filters": lambda w, n: Call(
        w.ana.headers, {"phrase": "end", "context": ["home"]}
    ),
    "PUT /api/v1/filters/{keyword_id}": lambda w, n: Call(w.ana.headers, {"phrase": "end"}),
    # Web Push (tests/test_push.py): an endpoint is only checked, not called, when taken.
    "POST /api/v1/push/subscription": lambda w, n: Call(w.ana.headers, _push_subscription()),
    "PUT /api/v1/push/subscription": lambda w, n: Call(
        w.ana.headers, {"data": {"alerts": {"follow": True}, "policy": "all"}}
    ),
    # The website's forms (shutter/web), sent as its scripts send them (JSON answers);
    # the session cookie and CSRF token come from PREPARE (_web_*_form).
    "POST /login": lambda w, n: Call(_WEB, {"username": "ana", "password": PASSWORD}),
    "POST /signup": lambda w, n: Call(
        _WEB,
        {
            "username": f"websweep{n}",
            "email": f"websweep{n}@example.com",
            "password": PASSWORD,
            "agreement": "yes",  # the sweep's instance has a rule
        },
    ),
    "POST /logout": lambda w, n: Call(_WEB),
    "POST /web/posts/{status_id}/like": lambda w, n: Call(_WEB, {"liked": "true"}),
    "POST /web/posts/{status_id}/save": lambda w, n: Call(_WEB, {"saved": "true"}),
    # Compose and the post page (shutter/web/pages/compose.py, post_page.py).
    "POST /web/posts/{status_id}/comment": lambda w, n: Call(_WEB, {"status": "lovely"}),
    "POST /web/posts/{status_id}/caption": lambda w, n: Call(_WEB, {"status": "a lake at dusk"}),
    # Messages (shutter/web/pages/messages.py), with a photo and its alt text.
    "POST /web/messages/{conversation_id}/send": lambda w, n: Call(
        _WEB, {"status": "see you", "descriptions": ["a lake"]}, files=_message_photo()
    ),
    "POST /web/messages": lambda w, n: Call(
        _WEB, {"to": "bob", "status": "hello", "descriptions": ["a lake"]}, files=_message_photo()
    ),
    "POST /web/media": lambda w, n: Call(
        _WEB, {"description": "a lake", "focus": "0.1,-0.2"}, files=_photo()
    ),
    # (No focus: a new one queues a job that may write while the sweep compares.)
    "POST /web/media/{media_id}": lambda w, n: Call(_WEB, {"description": "a lake"}),
    "POST /web/posts": lambda w, n: Call(
        _WEB, {"status": "a lake", "visibility": "public", "descriptions": ["a lake"]}
    ),
    # The installable app (pages/pwa.py): the share target needs no session nor token.
    "POST /share-target": lambda w, n: Call(_WEB, {"title": "Lake", "text": "at dawn"}),
    "POST /web/push/subscription": lambda w, n: Call(
        _WEB, {**_push_subscription()["subscription"]["keys"], "endpoint": "https://push.example/w"}
    ),
    "POST /web/push/unsubscribe": lambda w, n: Call(_WEB),
    "POST /web/markers/home": lambda w, n: Call(_WEB, {"last_read_id": str(w.base.status_id)}),
    # Profiles (shutter/web/pages/profile_actions.py): Ana acts on Bob.
    "POST /web/accounts/{account_id}/follow": lambda w, n: Call(_WEB, {"follow": "true"}),
    "POST /web/suggestions/{account_id}/dismiss": lambda w, n: Call(_WEB),
    "POST /web/tags/{name}/follow": lambda w, n: Call(_WEB, {"follow": "true"}),
    "POST /web/posts/{status_id}/pin": lambda w, n: Call(_WEB, {"pinned": "false"}),
    "POST /web/accounts/{account_id}/block": lambda w, n: Call(_WEB, {"blocked": "true"}),
    "POST /web/accounts/{account_id}/mute": lambda w, n: Call(_WEB, {"muted": "true"}),
    "POST /web/accounts/{account_id}/report": lambda w, n: Call(
        _WEB, {"category": "spam", "comment": "Posts the same advert"}
    ),
    "POST /web/accounts/{account_id}/remove_follower": lambda w, n: Call(_WEB),
    "POST /web/profile": lambda w, n: Call(
        _WEB, {"display_name": "Ana", "note": "Lakes", "website": "https://ana.example/"}
    ),
    # The settings page (pages/settings.py, settings_account.py).
    "POST /web/settings/defaults": lambda w, n: Call(_WEB, {"privacy": "public"}),
    "POST /web/settings/email": lambda w, n: Call(
        _WEB, {"email": "ana.new@example.com", "current_password": PASSWORD}
    ),
    "POST /web/settings/import": lambda w, n: Call(
        _WEB, {"type": "following", "mode": "merge"}, files=_follow_list()
    ),
    # Sent by Bob: ending his other sessions leaves the one the sweep uses.
    "POST /web/settings/sessions/revoke_others": lambda w, n: Call(_WEB),
    # Settings › Filters (pages/filters.py): fewer than an account's 500 filters are made;
    # the edit changes the filter's one keyword rather than adding any.
    "POST /web/settings/filters": lambda w, n: Call(
        _WEB, {"title": "Spoilers", "context": ["home"], "keywords": [{"keyword": "end"}]}
    ),
    "POST /web/settings/filters/{filter_id}": lambda w, n: Call(
        _WEB,
        {
            "title": "Spoilers",
            "context": ["home"],
            "keywords": [{"id": w.keyword_id, "keyword": "end", "whole_word": "true"}],
        },
    ),
    # The moderation pages (shutter/web/pages/admin_actions.py): the admin handles Bob's
    # report of Ana and acts on Bob, in a web session (_web_admin_form).
    "POST /web/admin/reports/{report_id}/assign": lambda w, n: Call(_WEB, {"assigned": "true"}),
    "POST /web/admin/reports/{report_id}/resolve": lambda w, n: Call(_WEB),
    "POST /web/admin/reports/{report_id}/reopen": lambda w, n: Call(_WEB),
    "POST /web/admin/accounts/{account_id}/action": lambda w, n: Call(
        _WEB, {"type": "none", "text": "Please be kinder"}
    ),
    "POST /web/admin/accounts/{account_id}/undo": lambda w, n: Call(_WEB, {"undo": "enable"}),
    "POST /web/admin/accounts/{account_id}/role": lambda w, n: Call(_WEB, {"role": "user"}),
    "POST /web/admin/invites": lambda w, n: Call(_WEB, {"max_uses": "5"}),
    "POST /web/admin/rules/{rule_id}": lambda w, n: Call(_WEB, {"text": "Be kind", "hint": ""}),
    # Lists and the notification policy on the website (pages/lists.py,
    # notification_requests.py): fewer than the 50 lists an account may have are made;
    # removing Bob, who is in no list, is no error.
    "POST /web/lists": lambda w, n: Call(_WEB, {"title": f"Web list {n}"}),
    "POST /web/lists/{list_id}": lambda w, n: Call(_WEB, {"title": "Dogs"}),
    "POST /web/lists/{list_id}/members/{account_id}/remove": lambda w, n: Call(_WEB),
    "POST /web/settings/notifications": lambda w, n: Call(_WEB, {"for_not_following": "filter"}),
}


# Routes that succeed only with what the sweep's account cannot have: the secret a reset
# mail carries, an address still unconfirmed. Their control is a refusal; their hostile
# values must still never give a 5xx or write anything. tests/test_passwords.py and
# tests/test_email_confirmation.py follow the mailed links to success.
REFUSED_TO_ANA = {
    # Ana follows no one, so no one may join her list (422; tests/test_lists.py adds some).
    "POST /api/v1/lists/{list_id}/accounts": lambda w, n: Call(
        w.ana.headers, {"account_ids": [w.base.bob.id]}
    ),
    # The website's code step: Ana has no log-in pending (tests/test_web_http.py has one).
    "POST /login/code": lambda w, n: Call(_WEB, {"pending": "not-sealed", "code": "123456"}),
    # The website's answers to follow requests: Bob asked Ana nothing (tests/test_web_profiles.py
    # approves and rejects real requests).
    "POST /web/follow_requests/{account_id}/authorize": lambda w, n: Call(_WEB),
    "POST /web/follow_requests/{account_id}/reject": lambda w, n: Call(_WEB),
    # The website's list members: Ana follows no one, so Bob may not join her list (422;
    # tests/test_web_lists.py adds people she follows).
    "POST /web/lists/{list_id}/members/{account_id}/add": lambda w, n: Call(_WEB),
    # The website's answers to notification requests: Ana has none (path_ids' request_id).
    "POST /web/notifications/requests/{request_id}/accept": lambda w, n: Call(_WEB),
    "POST /web/notifications/requests/{request_id}/dismiss": lambda w, n: Call(_WEB),
    # Deleting would end the sweep's list: sent by Bob, whose list it is not (404;
    # tests/test_web_lists.py deletes for real).
    "POST /web/lists/{list_id}/delete": lambda w, n: Call(_WEB, {"confirmed": "true"}),
    # The moderation pages' actions that would end what the sweep needs (a rule, Ana's
    # post) or need what it lacks (a pending or suspended account, an invite), sent as
    # Ana, who is no moderator: refused (403) after the form is checked.
    # tests/test_web_admin.py does each of them for real.
    "POST /web/admin/accounts/{account_id}/approve": lambda w, n: Call(_WEB),
    "POST /web/admin/accounts/{account_id}/reject": lambda w, n: Call(_WEB),
    "POST /web/admin/accounts/{account_id}/delete_data": lambda w, n: Call(
        _WEB, {"confirm": "true"}
    ),
    "POST /web/admin/statuses/{status_id}/remove": lambda w, n: Call(_WEB, {"text": "Spam"}),
    "POST /web/admin/invites/expire": lambda w, n: Call(_WEB, {"invite": "1"}),
    "POST /web/admin/rules": lambda w, n: Call(_WEB, {"text": "Be kind"}),
    "POST /web/admin/rules/{rule_id}/delete": lambda w, n: Call(_WEB),
    # Deleting would end the sweep's post: sent by Bob, who may not delete Ana's post
    # (tests/web/test_web_post.py deletes for real).
    "POST /web/posts/{status_id}/delete": lambda w, n: Call(_WEB),
    # Likewise Ana's filter: Bob may not delete it (404; tests/test_web_filters.py does).
    "POST /web/settings/filters/{filter_id}/delete": lambda w, n: Call(_WEB, {"confirmed": "true"}),
    "POST /api/v1/shutter/password/reset/confirm": lambda w, n: Call(
        {}, {"token": "not-a-mailed-token", "password": PASSWORD}
    ),
    "POST /api/v1/emails/confirmations": lambda w, n: Call(w.ana.headers),
    # Ana has no second factor (set up, or in force) for a code to match: the codes a test
    # computes are in tests/test_two_factor.py.
    "POST /api/v1/shutter/two_factor/confirm": lambda w, n: Call(w.ana.headers, {"code": "123456"}),
    "POST /api/v1/shutter/two_factor/disable": lambda w, n: Call(
        w.ana.headers, {"current_password": PASSWORD, "code": "123456"}
    ),
    "POST /api/v1/shutter/two_factor/recovery_codes": lambda w, n: Call(
        w.ana.headers, {"current_password": PASSWORD, "code": "123456"}
    ),
    # Leaving would end the sweep's own account: swept with a wrong password, so every
    # value is refused and nothing may change (tests/test_account_states.py and
    # tests/test_account_deletion.py leave for real).
    "POST /api/v1/shutter/account/deactivate": lambda w, n: Call(
        w.ana.headers, {"password": "not-her-password"}
    ),
    "POST /api/v1/shutter/account/delete": lambda w, n: Call(
        w.ana.headers, {"password": "not-her-password"}
    ),
    # The settings page's forms that would end or change what the sweep needs (Ana's
    # password, her account) or need what she lacks (a second factor, a session or app of
    # that id): refused. tests/web/test_web_settings.py does each for real.
    "POST /web/settings/password": lambda w, n: Call(
        _WEB, {"current_password": "not-her-password", "password": "a new horse battery"}
    ),
    "POST /web/settings/two_factor/setup": lambda w, n: Call(_WEB, {"password": "not-hers"}),
    "POST /web/settings/two_factor/confirm": lambda w, n: Call(_WEB, {"code": "123456"}),
    "POST /web/settings/two_factor/disable": lambda w, n: Call(
        _WEB, {"password": PASSWORD, "code": "123456"}
    ),
    "POST /web/settings/deactivate": lambda w, n: Call(_WEB, {"password": "not-her-password"}),
    "POST /web/settings/delete": lambda w, n: Call(
        _WEB, {"password": "not-her-password", "confirm": "yes"}
    ),
    # One archive at a time: PREPARE asks for one first, so the form is refused (422).
    "POST /web/settings/export": lambda w, n: Call(_WEB),
    "POST /web/settings/sessions/{token_id}/revoke": lambda w, n: Call(_WEB),
    "POST /web/settings/apps/{app_id}/revoke": lambda w, n: Call(_WEB),
}


def _photo() -> Files:
    return {"file": ("photo.png", small_png(), "image/png")}


def _message_photo() -> Files:
    return {"files[]": ("photo.png", small_png(), "image/png")}


def _push_subscription() -> dict[str, Any]:
    return {
        "subscription": {
            "endpoint": "https://push.example/sweep",
            "keys": {
                "p256dh": "BGrve5hgdF9NnZl0y3nK3ud3z_riK8mZmNf2R7AEMc5iVZFp9DbTSVMRK60cOfD9UrLT0n"
                "YE9K5abrRgvu_k5to",
                "auth": "2rMn7JUiAXrIlAvLvMFgcQ",
            },
        },
        "data": {"alerts": {"mention": True}, "policy": "all"},
    }


async def _subscribe_to_push(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """An update needs a subscription of the token to update."""
    made = await client.post(
        "/api/v1/push/subscription", headers=w.ana.headers, json=_push_subscription()
    )
    assert made.status_code == 200, made.text
    return True


def _follow_list() -> Files:
    return {"data": ("following.csv", b"Account address\nbob@testserver\n", "text/csv")}


Prepare = Callable[[httpx.AsyncClient, SweepWorld, dict[str, Any], ParamPath], Awaitable[bool]]
"""Completes a request's body (in place) as the client would; True if it wrote data."""


async def _attach_new_photo(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """A post needs a photo no post has yet (unless the value under test is its id): the
    spare one, until a request is taken (and may have used it)."""
    if path[:1] == ("media_ids",):
        return False
    uploading = w.spare_photo is None
    if w.spare_photo is None:
        uploaded = await client.post("/api/v1/media", headers=w.ana.headers, files=_photo())
        assert uploaded.status_code == 200, uploaded.text
        w.spare_photo = uploaded.json()["id"]
    body["media_ids"] = [w.spare_photo]
    return uploading


MAX_URL = 8000  # about the longest request line nginx takes by default (8 KB)
_CSRF = re.compile(r'name=csrf value="([^"]*)"')


async def _sign_form(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """The log-in form carries the token of the page it came from: open the page for the
    request as it is (the value under test in it), as a browser would. The page, a GET
    that shows the value, is held to the same rules."""
    request = [(k, body[k]) for k in _authorize(w) if k in body]
    # As a browser would send a lone surrogate: its (invalid) UTF-8 bytes, escaped.
    query = urlencode(request, errors="surrogatepass")
    if len(query) > MAX_URL:
        return False  # a URL no server takes (414): the form keeps the baseline's token
    page = await client.get(f"/oauth/authorize?{query}")
    assert page.status_code < 500 and not unescaped_markup(page), (path, page.text[:300])
    if path != ("csrf",) and (found := _CSRF.search(page.text)):
        body["csrf"] = found.group(1)
    return False


_WEB_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


async def _web_csrf(
    client: httpx.AsyncClient, page: str, body: dict[str, Any], path: ParamPath
) -> None:
    """The CSRF token of the page the form is on, as a browser holds it (with the cookies
    the page sets), unless the value under test is the token."""
    shown = await client.get(page)
    if path != ("csrf",) and (found := _WEB_CSRF.search(shown.text)):
        body["csrf"] = found.group(1)


async def _web_visitor_form(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """Log-in and sign-up: a visitor's form."""
    client.cookies.clear()
    await _web_csrf(client, "/login", body, path)
    return False


async def _web_member_form(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """Ana's form, in a web session (the cookie holds a token of hers)."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, w.ana.token)
    await _web_csrf(client, "/home", body, path)
    return False


async def _web_member_exporting(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """Ana's form while an archive of hers is being made (one at a time)."""
    await client.post("/api/v1/shutter/exports", headers=w.ana.headers)
    return await _web_member_form(client, w, body, path)


async def _web_admin_form(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """The admin's form on the moderation pages, in a web session of theirs."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, w.admin.token)
    await _web_csrf(client, "/admin", body, path)
    return False


async def _web_bob_form(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """Bob's form, in a web session of his."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, w.base.bob.token)
    await _web_csrf(client, "/home", body, path)
    return False


async def _web_new_post(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """Compose's Share: Ana's form with a photo no post has yet."""
    await _web_member_form(client, w, body, path)
    return await _attach_new_photo(client, w, body, path)


async def _web_logout_form(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """Log-out ends the session it is sent in: a new one (a token written) each time."""
    client.cookies.clear()
    # A web session's token covers the website's scopes (auth/web_sessions.py).
    client.cookies.set(SESSION_COOKIE, await log_in(client, "ana", scope=" ".join(WEBSITE_SCOPES)))
    await _web_csrf(client, "/home", body, path)
    return True


async def _unfilter_status(
    client: httpx.AsyncClient, w: SweepWorld, body: dict[str, Any], path: ParamPath
) -> bool:
    """A status is in a filter once: the one added by the last request is taken out."""
    listed = await client.get(f"/api/v2/filters/{w.filter_id}/statuses", headers=w.ana.headers)
    for held in listed.json():
        await client.delete(f"/api/v2/filters/statuses/{held['id']}", headers=w.ana.headers)
    return bool(listed.json())


PREPARE: dict[str, Prepare] = {
    "POST /api/v2/filters/{filter_id}/statuses": _unfilter_status,
    "POST /api/v1/statuses": _attach_new_photo,
    "POST /oauth/authorize": _sign_form,
    "POST /login": _web_visitor_form,
    "POST /login/code": _web_visitor_form,
    "POST /signup": _web_visitor_form,
    "POST /logout": _web_logout_form,
    "POST /web/posts/{status_id}/like": _web_member_form,
    "POST /web/posts/{status_id}/save": _web_member_form,
    "POST /web/posts/{status_id}/comment": _web_member_form,
    "POST /web/posts/{status_id}/caption": _web_member_form,
    "POST /web/messages/{conversation_id}/send": _web_member_form,
    "POST /web/messages": _web_member_form,
    "POST /web/posts/{status_id}/delete": _web_bob_form,
    "POST /web/media": _web_member_form,
    "POST /web/media/{media_id}": _web_member_form,
    "POST /web/posts": _web_new_post,
    "POST /web/push/subscription": _web_member_form,
    "POST /web/push/unsubscribe": _web_member_form,
    "POST /web/markers/home": _web_member_form,
    "POST /web/accounts/{account_id}/follow": _web_member_form,
    "POST /web/suggestions/{account_id}/dismiss": _web_member_form,
    "POST /web/tags/{name}/follow": _web_member_form,
    "POST /web/posts/{status_id}/pin": _web_member_form,
    "POST /web/accounts/{account_id}/block": _web_member_form,
    "POST /web/accounts/{account_id}/mute": _web_member_form,
    "POST /web/accounts/{account_id}/report": _web_member_form,
    "POST /web/accounts/{account_id}/remove_follower": _web_member_form,
    "POST /web/follow_requests/{account_id}/authorize": _web_member_form,
    "POST /web/follow_requests/{account_id}/reject": _web_member_form,
    "POST /web/profile": _web_member_form,
    "POST /web/settings/defaults": _web_member_form,
    "POST /web/settings/email": _web_member_form,
    "POST /web/settings/export": _web_member_exporting,
    "POST /web/settings/import": _web_member_form,
    "POST /web/settings/password": _web_member_form,
    "POST /web/settings/two_factor/setup": _web_member_form,
    "POST /web/settings/two_factor/confirm": _web_member_form,
    "POST /web/settings/two_factor/disable": _web_member_form,
    "POST /web/settings/deactivate": _web_member_form,
    "POST /web/settings/delete": _web_member_form,
    "POST /web/settings/sessions/{token_id}/revoke": _web_member_form,
    "POST /web/settings/apps/{app_id}/revoke": _web_member_form,
    "POST /web/settings/sessions/revoke_others": _web_bob_form,
    "POST /web/settings/filters": _web_member_form,
    "POST /web/settings/filters/{filter_id}": _web_member_form,
    "POST /web/settings/filters/{filter_id}/delete": _web_bob_form,
    "POST /web/admin/reports/{report_id}/assign": _web_admin_form,
    "POST /web/admin/reports/{report_id}/resolve": _web_admin_form,
    "POST /web/admin/reports/{report_id}/reopen": _web_admin_form,
    "POST /web/admin/accounts/{account_id}/action": _web_admin_form,
    "POST /web/admin/accounts/{account_id}/undo": _web_admin_form,
    "POST /web/admin/accounts/{account_id}/role": _web_admin_form,
    "POST /web/admin/invites": _web_admin_form,
    "POST /web/admin/rules/{rule_id}": _web_admin_form,
    "POST /web/admin/accounts/{account_id}/approve": _web_member_form,
    "POST /web/admin/accounts/{account_id}/reject": _web_member_form,
    "POST /web/admin/accounts/{account_id}/delete_data": _web_member_form,
    "POST /web/admin/statuses/{status_id}/remove": _web_member_form,
    "POST /web/admin/invites/expire": _web_member_form,
    "POST /web/admin/rules": _web_member_form,
    "POST /web/admin/rules/{rule_id}/delete": _web_member_form,
    "POST /web/lists": _web_member_form,
    "POST /web/lists/{list_id}": _web_member_form,
    "POST /web/lists/{list_id}/delete": _web_bob_form,
    "POST /web/lists/{list_id}/members/{account_id}/add": _web_member_form,
    "POST /web/lists/{list_id}/members/{account_id}/remove": _web_member_form,
    "POST /web/notifications/requests/{request_id}/accept": _web_member_form,
    "POST /web/notifications/requests/{request_id}/dismiss": _web_member_form,
    "POST /web/settings/notifications": _web_member_form,
    "PUT /api/v1/push/subscription": _subscribe_to_push,
}


def _read_backs(w: SweepWorld, taken: httpx.Response) -> list[tuple[str, dict[str, str]]]:
    """Where a value taken is shown again: profile, posts, edits, comments, consent page."""
    status = f"/api/v1/statuses/{w.base.status_id}"
    reads = [
        ("/api/v1/accounts/verify_credentials", w.ana.headers),
        (f"/api/v1/accounts/{w.ana.id}/statuses", {}),
        (f"{status}/history", {}),
        (f"{status}/context", {}),
    ]
    body = taken.json() if taken.headers.get("content-type", "").endswith("json") else {}
    if isinstance(body, dict) and "client_id" in body:  # a new app: its name is shown
        query = f"response_type=code&redirect_uri={OOB}&client_id={body['client_id']}"
        reads.append((f"/oauth/authorize?{query}", {}))
    return reads


async def _state(ctx: AppContext, w: SweepWorld) -> list[Any]:
    """What a refused request must leave as it was: every table's row count, and the rows
    a write route changes in place (Ana's profile, post and upload)."""
    rows = {"accounts": w.ana.id, "posts": w.base.status_id, "media": w.media_id}
    return await snapshot(ctx, {table: int(row_id) for table, row_id in rows.items()})


class Sweep:
    """One route swept: its requests, and what was wrong with the answers."""

    def __init__(self, client: httpx.AsyncClient, ctx: AppContext, route: WriteRoute) -> None:
        self.client, self.ctx, self.route = client, ctx, route
        known = BASELINES | REFUSED_TO_ANA
        self.baseline = known.get(route.key, lambda w, n: Call(w.ana.headers))
        self.prepare = PREPARE.get(route.key)
        self.sent = 0
        self.problems: list[str] = []
        self.state: list[Any] | None = None  # as it was after the last request, if known

    def encodings(self, w: SweepWorld) -> tuple[str, ...]:
        """JSON and forms; a route that takes a file is sent forms (JSON cannot carry it)."""
        return ("form",) if self.baseline(w, 0).files else ENCODINGS

    async def build(
        self, w: SweepWorld, path: ParamPath | None, value: str, encoding: str
    ) -> dict[str, Any]:
        """The keyword arguments of the request: the baseline with `value` at `path` (in
        place of a file of that name, when it is one)."""
        self.sent += 1
        call = self.baseline(w, self.sent)
        body, files = call.body, call.files
        if path is not None:
            body = with_value(body, path, value)
            files = {name: file for name, file in files.items() if name != path[0]}
        if self.prepare is not None and await self.prepare(self.client, w, body, path or ()):
            self.state = None
        request = encode(body, files, encoding=encoding)
        headers = call.headers | request.pop("headers")
        url = self.route.path.format(**w.path_ids)
        return {"method": self.route.method, "url": url, "headers": headers, **request}

    async def control(self, w: SweepWorld, encoding: str) -> httpx.Response:
        """The baseline alone, which must be taken: refusals are then the values' doing."""
        response = await self.client.request(**await self.build(w, None, "", encoding))
        self.state = w.spare_photo = None
        return response

    async def probe(self, w: SweepWorld, path: ParamPath, name: str, encoding: str) -> None:
        request = await self.build(w, path, HOSTILE[name], encoding)
        if self.state is None:
            self.state = await _state(self.ctx, w)
        response = await self.client.request(**request)
        wrong = await self.judge(w, name, response)
        where = ".".join(str(key) for key in path)
        self.problems += [
            f"{where} = {name} ({encoding}): {problem}: {response.status_code} "
            f"{response.text[:200]!r}"
            for problem in wrong
        ]

    async def judge(self, w: SweepWorld, name: str, response: httpx.Response) -> list[str]:
        if response.status_code >= 500:
            self.state = None
            return ["a server error"]
        if name in UNSTORABLE:
            # Refused by the check on every parameter, before the route runs.
            if response.status_code == 422:
                return []
            self.state = w.spare_photo = None
            return ["unstorable text not refused as a 422"]
        if not response.is_success:
            before, self.state = self.state, await _state(self.ctx, w)
            return ["refused, yet something was written"] if self.state != before else []
        self.state = w.spare_photo = None  # taken: it may have used the spare photo
        wrong = [f"markup in {where}" for where in unescaped_markup(response)]
        if name in INJECTING:
            for url, headers in _read_backs(w, response):
                shown = await self.client.get(url, headers=headers)
                wrong += [f"markup in {where} of {url}" for where in unescaped_markup(shown)]
        return wrong


@pytest.mark.parametrize("route", SWEPT, ids=[route.key for route in SWEPT])
async def test_hostile_text_in_every_parameter_of_a_write_route(
    route: WriteRoute,
    client: httpx.AsyncClient,
    ctx: AppContext,
    app_and_ctx: tuple[Any, AppContext],
    run_jobs: Callable[[], Awaitable[int]],
) -> None:
    assert route in write_routes(app_and_ctx[0]), route  # the app under test serves it
    assert route.model is not None
    world = await sweep_world(client, ctx, run_jobs)
    sweep = Sweep(client, ctx, route)
    for encoding in sweep.encodings(world):
        control = await sweep.control(world, encoding)
        if route.key in REFUSED_TO_ANA:
            assert 400 <= control.status_code < 500, (route.key, control.text[:300])
            continue
        assert control.is_success, (f"add a baseline for {route.key}", control.text[:300])
    for path in text_paths(route.model):
        for name in HOSTILE:
            for encoding in sweep.encodings(world):
                await sweep.probe(world, path, name, encoding)
    assert not sweep.problems, "\n".join([route.key, *sweep.problems])


def test_the_sweep_finds_the_routes_that_take_text() -> None:
    """The enumeration must not go quiet: these routes take text today."""
    swept = {route.key for route in SWEPT}
    assert {
        "POST /api/v1/statuses",
        "PUT /api/v1/statuses/{status_id}",
        "PATCH /api/v1/accounts/update_credentials",
        "PUT /api/v1/media/{media_id}",
        "POST /api/v1/apps",
        "POST /oauth/token",
        "POST /oauth/revoke",
        "POST /oauth/authorize",
    } <= swept
    assert set(BASELINES) | set(REFUSED_TO_ANA) | set(PREPARE) <= swept  # no stale entries
    texts = {route.key: text_paths(route.model) for route in SWEPT if route.model}
    assert ("source", "privacy") in texts["PATCH /api/v1/accounts/update_credentials"]
    assert ("media_attributes", 0, "description") in texts["PUT /api/v1/statuses/{status_id}"]


def test_every_write_route_takes_its_parameters_through_a_model() -> None:
    """A write route that reads its own request could take text the sweep cannot see:
    one with the raw Request also declares its parameters (it reads headers, no more)."""
    hidden = [route.key for route in ROUTES if route.takes_request and route.model is None]
    assert hidden == []
