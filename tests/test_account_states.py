"""Account states end to end (shutter/accounts/service/states.py, shutter/policies.py):
for each state, what the account itself and others see on every read path, whether its
tokens and log-ins still work, and that its streams end. On SQLite and PostgreSQL.

Deactivation by the owner is here too; deletion is in tests/test_account_deletion.py.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from shutter.accounts.models import Account
from shutter.accounts.service import states
from shutter.auth import service as auth
from shutter.auth.revocation import AccessEnded, AccessWatch
from shutter.infra.context import AppContext
from shutter.infra.events import access_channel
from shutter.notifications.streaming import READ_SCOPES
from tests.support.api import User, follow, register_app, sign_up
from tests.support.credentials import PASSWORD, bearer, form_of, password_grant
from tests.support.states import (
    EVERYWHERE,
    NOWHERE,
    RunJobs,
    StateWorld,
    build,
    change,
    post,
    sightings,
)

DISABLED = {"error": "Your login is currently disabled"}
DEACTIVATE = "/api/v1/shutter/account/deactivate"
# Cy follows no one: Ana's post is never in her home feed, whatever Ana's state.
STRANGER = EVERYWHERE | {"home": False}


@pytest.fixture
async def world(client: httpx.AsyncClient, run_jobs: RunJobs) -> StateWorld:
    return await build(client, run_jobs)


async def _me(client: httpx.AsyncClient, user: User) -> httpx.Response:
    return await client.get("/api/v1/accounts/verify_credentials", headers=user.headers)


async def test_an_active_account_is_seen_everywhere(
    client: httpx.AsyncClient, world: StateWorld
) -> None:
    """The control: every read path of the sightings finds Ana."""
    assert await sightings(client, world, world.bob) == EVERYWHERE
    assert await sightings(client, world, world.cy) == STRANGER


@pytest.mark.parametrize("verb", ["suspend", "deactivate"])
async def test_a_hidden_account_is_gone_from_every_read_path_and_its_tokens_end(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, world: StateWorld, verb: str
) -> None:
    await change(ctx, world.ana, verb)
    await change(ctx, world.ana, verb)  # idempotent
    await run_jobs()
    assert await sightings(client, world, world.bob) == NOWHERE
    assert await sightings(client, world, world.cy) == NOWHERE
    assert (await _me(client, world.ana)).status_code == 401
    # Nothing of hers reaches anyone while hidden.
    liked = await client.post(
        f"/api/v1/statuses/{world.cy_post}/favourite", headers=world.ana.headers
    )
    assert liked.status_code == 401


async def test_a_suspended_account_answers_as_mastodon_and_comes_back_when_lifted(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, world: StateWorld
) -> None:
    await change(ctx, world.ana, "suspend")
    profile = await client.get(f"/api/v1/accounts/{world.ana.id}")
    assert profile.status_code == 200
    body = profile.json()
    assert body["suspended"] is True and body["username"] == "stana"
    assert (body["display_name"], body["note"], body["statuses_count"]) == ("", "", 0)
    looked_up = await client.get("/api/v1/accounts/lookup", params={"acct": "stana"})
    assert looked_up.json()["suspended"] is True
    assert (await client.get(f"/api/v1/accounts/{world.ana.id}/statuses")).status_code == 404
    # Suspended: no log-in.
    refused = await password_grant(client, "stana")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"

    await change(ctx, world.ana, "unsuspend")
    assert "suspended" not in (await client.get(f"/api/v1/accounts/{world.ana.id}")).json()
    assert await sightings(client, world, world.bob) == EVERYWHERE
    # Its old tokens stay ended; a new log-in works.
    assert (await _me(client, world.ana)).status_code == 401
    assert (await password_grant(client, "stana")).status_code == 200


async def test_a_disabled_account_is_shown_but_cannot_log_in_and_its_tokens_are_refused(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, world: StateWorld
) -> None:
    await change(ctx, world.ana, "disable")
    await change(ctx, world.ana, "disable")
    assert await sightings(client, world, world.bob) == EVERYWHERE
    assert await sightings(client, world, world.cy) == STRANGER
    me = await _me(client, world.ana)
    assert (me.status_code, me.json()) == (403, DISABLED)
    posting = await client.post(
        "/api/v1/statuses", headers=world.ana.headers, json={"status": "still here?"}
    )
    assert (posting.status_code, posting.json()) == (403, DISABLED)
    grant = await password_grant(client, "stana")
    assert (grant.status_code, grant.json()) == (403, DISABLED)
    wrong = await password_grant(client, "stana", "not her password")
    assert wrong.status_code == 400  # a wrong password tells nothing more
    page = await _authorize(client, "stana", PASSWORD)
    assert page.status_code == 403 and "Your login is currently disabled" in page.text

    await change(ctx, world.ana, "enable")
    assert (await _me(client, world.ana)).status_code == 200  # as on Mastodon: back
    assert (await password_grant(client, "stana")).status_code == 200


async def test_a_silenced_account_is_out_of_strangers_public_places_only(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, world: StateWorld
) -> None:
    await change(ctx, world.ana, "silence")
    profile = await client.get(f"/api/v1/accounts/{world.ana.id}")
    assert profile.json()["limited"] is True
    # Bob follows her: nothing changes for him. Cy does not: no hashtag, no search.
    assert await sightings(client, world, world.bob) == EVERYWHERE
    assert await sightings(client, world, world.cy) == STRANGER | {"tag": False, "search": False}
    # Signed out, the hashtag does not show her either; she sees herself.
    tag = await client.get("/api/v1/timelines/tag/stlake")
    assert world.ana_post not in [s["id"] for s in tag.json()]
    own = await client.get("/api/v1/timelines/tag/stlake", headers=world.ana.headers)
    assert world.ana_post in [s["id"] for s in own.json()]
    assert (await _me(client, world.ana)).status_code == 200

    # Her new notifications reach her followers only (Mastodon's limited accounts).
    for post_id in (world.bob_post, world.cy_post):
        for action in ("unfavourite", "favourite"):
            answer = await client.post(
                f"/api/v1/statuses/{post_id}/{action}", headers=world.ana.headers
            )
            assert answer.status_code == 200, answer.text
    await client.post("/api/v1/notifications/clear", headers=world.cy.headers)
    await client.post("/api/v1/notifications/clear", headers=world.bob.headers)
    new_post = await post(client, world.cy, "another boat")
    await client.post(f"/api/v1/statuses/{new_post}/favourite", headers=world.ana.headers)
    await run_jobs()
    to_cy = await client.get("/api/v1/notifications", headers=world.cy.headers)
    assert to_cy.json() == []
    await follow(client, world.cy, world.ana)
    await run_jobs()
    await client.post(f"/api/v1/statuses/{world.cy_post}/unfavourite", headers=world.ana.headers)
    await client.post(f"/api/v1/statuses/{world.cy_post}/favourite", headers=world.ana.headers)
    await run_jobs()
    to_cy = await client.get("/api/v1/notifications", headers=world.cy.headers)
    assert [n["account"]["id"] for n in to_cy.json()] == [world.ana.id]
    assert await sightings(client, world, world.cy) == EVERYWHERE | {"notified": True}

    await change(ctx, world.ana, "unsilence")
    assert "limited" not in (await client.get(f"/api/v1/accounts/{world.ana.id}")).json()


async def test_a_sensitized_account_s_media_show_as_sensitive(
    client: httpx.AsyncClient, ctx: AppContext, world: StateWorld
) -> None:
    path = f"/api/v1/statuses/{world.ana_post}"
    assert (await client.get(path, headers=world.bob.headers)).json()["sensitive"] is False
    await change(ctx, world.ana, "sensitize")
    assert (await client.get(path, headers=world.bob.headers)).json()["sensitive"] is True
    fresh = await post(client, world.ana, "new")
    shown = await client.get(f"/api/v1/statuses/{fresh}")
    assert shown.json()["sensitive"] is True
    await change(ctx, world.ana, "unsensitize")
    assert (await client.get(path, headers=world.bob.headers)).json()["sensitive"] is False


# --- streams ------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["suspend", "disable", "deactivate", "delete_account"])
async def test_the_change_ends_the_account_s_open_streams(
    client: httpx.AsyncClient, ctx: AppContext, world: StateWorld, verb: str
) -> None:
    """What a stream listens for (auth/revocation.py) is said at once, and its recheck
    refuses the token from then on."""
    async with ctx.db.read() as session:
        caller = await auth.authenticate(session, world.ana.token)
    assert caller is not None
    watch = AccessWatch(ctx, world.ana.token, caller, READ_SCOPES)
    subscription = await ctx.events.subscribe([access_channel(int(world.ana.id))])
    try:
        await change(ctx, world.ana, verb)
        channel, event = await asyncio.wait_for(subscription.get(), 2)
    finally:
        await subscription.close()
    assert channel == access_channel(int(world.ana.id))
    with pytest.raises(AccessEnded):
        watch.revoked_by(event)
    with pytest.raises(AccessEnded):
        await watch.recheck()
    refused = await client.get("/api/v1/streaming/user", headers=world.ana.headers)
    assert refused.status_code == (403 if verb == "disable" else 401)


# --- deactivation by the owner -----------------------------------------------------------


async def test_deactivating_hides_the_account_until_its_owner_logs_in_again(
    client: httpx.AsyncClient, run_jobs: RunJobs, world: StateWorld
) -> None:
    answer = await client.post(DEACTIVATE, headers=world.ana.headers, data={"password": PASSWORD})
    assert (answer.status_code, answer.json()) == (200, {})
    assert (await _me(client, world.ana)).status_code == 401
    assert await sightings(client, world, world.bob) == NOWHERE
    assert (await client.get(f"/api/v1/accounts/{world.ana.id}")).status_code == 404

    again = await password_grant(client, "stana")
    assert again.status_code == 200, again.text
    assert again.json()["account_reactivated"] is True
    assert await sightings(client, world, world.bob) == EVERYWHERE
    # A log-in of an active account says nothing of it.
    assert "account_reactivated" not in (await password_grant(client, "stana")).json()


async def test_the_authorize_page_s_log_in_reactivates_and_says_so(
    client: httpx.AsyncClient, world: StateWorld
) -> None:
    await client.post(DEACTIVATE, headers=world.ana.headers, data={"password": PASSWORD})
    page = await _authorize(client, "stana", PASSWORD)
    assert page.status_code == 200, page.text
    assert "your account is active again" in page.text
    assert re.search(r"<code id=code>[^<]+</code>", page.text)
    assert (await client.get(f"/api/v1/accounts/{world.ana.id}")).status_code == 200


@pytest.mark.parametrize(
    "body", [{"password": "not her password"}, {}, {"password": ""}, {"password": "x" * 5000}]
)
async def test_deactivating_with_a_wrong_password_changes_nothing(
    client: httpx.AsyncClient, world: StateWorld, body: dict[str, str]
) -> None:
    answer = await client.post(DEACTIVATE, headers=world.ana.headers, data=body)
    assert answer.status_code == 422, answer.text
    assert "error" in answer.json()
    assert (await _me(client, world.ana)).status_code == 200
    assert await sightings(client, world, world.bob) == EVERYWHERE


async def test_deactivating_needs_a_user_token_with_write_accounts(
    client: httpx.AsyncClient, world: StateWorld
) -> None:
    assert (await client.post(DEACTIVATE, data={"password": PASSWORD})).status_code == 401
    read_only = await password_grant(client, "stana", scope="read")
    headers = bearer(read_only.json()["access_token"])
    answer = await client.post(DEACTIVATE, headers=headers, data={"password": PASSWORD})
    assert answer.status_code == 403
    assert (await _me(client, world.ana)).status_code == 200


async def _authorize(client: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    """The OAuth authorize page's log-in, as a browser submits it (out-of-band code)."""
    app = await register_app(client)
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "scope": "read",
    }
    page = await client.get("/oauth/authorize", params=query)
    assert page.status_code == 200, page.text
    action, fields = form_of(page.text)
    fields |= {"username": login, "password": password, "decision": "allow"}
    return await client.post(action, data=fields)


# --- the operator's view -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("verbs", "state"),
    [
        ((), "active"),
        (("silence",), "silenced"),
        (("silence", "disable"), "disabled"),
        (("disable", "deactivate"), "deactivated"),
        (("deactivate", "suspend"), "suspended"),
        (("suspend", "delete_account"), "deleted"),
        (("sensitize",), "active"),
    ],
)
async def test_the_listing_by_state_agrees_with_each_account_s_state(
    client: httpx.AsyncClient, ctx: AppContext, verbs: tuple[str, ...], state: str
) -> None:
    ana = await sign_up(client, "stana")
    for verb in verbs:
        await change(ctx, ana, verb)
    async with ctx.db.read() as session:
        found = await session.get(Account, int(ana.id))
        assert found is not None and states.state_of(found) == state
        for listed in states.STATES:
            names = [a.username for a in await states.list_accounts(session, state=listed)]
            assert names == (["stana"] if listed == state else []), listed
