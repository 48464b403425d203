"""Direct messages on the website over HTTP, on SQLite and PostgreSQL: the inbox and a
conversation read what GET /api/v1/conversations reads, sending goes through the posts
service (a `direct` reply to the last message), opening marks read, the navigation
counts unread conversations, refusals are said and change nothing, user text is inert.

The browser test (tests/web/test_web_messages.py) drives the same pages in Chromium.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import func, select

from shutter.conversations.models import Conversation
from shutter.infra.context import AppContext
from shutter.posts.models import Post
from tests.support.api import User, sign_up, upload_photo
from tests.support.schema import assert_entity
from tests.support.states import change
from tests.test_web_profiles import HOSTILE, as_web, web_post

JSON = {"Accept": "application/json"}


async def dm(client: httpx.AsyncClient, author: User, text: str, **more: Any) -> dict[str, Any]:
    body = {"status": text, "visibility": "direct", **more}
    response = await client.post("/api/v1/statuses", headers=author.headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def inbox(client: httpx.AsyncClient, user: User) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/conversations", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def counts(ctx: AppContext) -> tuple[int, int]:
    async with ctx.db.read() as session:
        posts = await session.scalar(select(func.count()).select_from(Post))
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
    return posts or 0, conversations or 0


def messages_link(html: str) -> str:
    """The rail's Messages link (the top bar's is the same)."""
    found = re.search(r'<li class="nav-wide"><a href="/messages"[^>]*>', html)
    assert found, html[:2000]
    return found.group(0)


async def test_the_inbox_and_a_conversation_show_the_messages_and_mark_read(
    client: httpx.AsyncClient,
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await as_web(client, bo)
    page = await client.get("/messages")
    assert page.status_code == 200
    assert "No messages yet" in page.text
    assert 'aria-label="Messages,' not in messages_link(page.text)

    first = await dm(client, ana, "@bo are you coming <b>tonight</b>?")
    photo = await upload_photo(client, ana, description="The lake at dusk")
    await dm(client, ana, "@bo look", media_ids=[photo["id"]])
    [theirs] = await inbox(client, bo)
    assert theirs["unread"] is True

    page = await client.get("/messages")
    assert page.status_code == 200
    html = page.text
    assert 'aria-label="Messages, 1 new"' in messages_link(html)
    assert f'href="/messages/{theirs["id"]}"' in html
    assert "inbox-unread" in html
    assert '<span class="inbox-title">ana<span class="visually-hidden">, unread</span>' in html
    assert '<span class="inbox-excerpt">look</span>' in html  # the address left out

    opened = await client.get(f"/messages/{theirs['id']}")
    assert opened.status_code == 200
    html = opened.text
    # Oldest first; the address left out, the text escaped.
    assert html.index(f'id="message-{first["id"]}"') < html.index("The lake at dusk")
    assert "are you coming &lt;b&gt;tonight&lt;/b&gt;?" in html
    assert "@<span>bo</span>" not in html
    assert 'alt="The lake at dusk"' in html
    assert '<label for="message-text" class="visually-hidden">Message</label>' in html
    assert ">Send</button>" in html
    assert 'aria-current="page"' in messages_link(html)
    # Opening it marked it read, as POST /api/v1/conversations/:id/read does.
    assert (await inbox(client, bo))[0]["unread"] is False
    assert 'aria-label="Messages,' not in messages_link((await client.get("/messages")).text)


async def test_sending_a_message_is_a_direct_reply_to_the_last_one(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    last = await dm(client, ana, "@bo hi")
    [theirs] = await inbox(client, bo)
    sent = await web_post(
        client, bo, f"/web/messages/{theirs['id']}/send", {"status": "hello back"}
    )
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"/messages/{theirs['id']}#message-")
    [mine] = await inbox(client, ana)
    answer = mine["last_status"]
    assert_entity("Status", answer)
    assert mine["unread"] is True
    assert answer["visibility"] == "direct"
    assert answer["in_reply_to_id"] == last["id"]
    assert answer["account"]["username"] == "bo"
    assert [m["username"] for m in answer["mentions"]] == ["ana"]
    assert (await inbox(client, bo))[0]["id"] == theirs["id"]  # the same conversation

    # A script's fetch gets the Status, as the API gives it.
    csrf = await as_web(client, bo)
    fetched = await client.post(
        f"/web/messages/{theirs['id']}/send",
        data={"csrf": csrf, "status": HOSTILE},
        headers=JSON,
    )
    assert fetched.status_code == 200, fetched.text
    assert_entity("Status", fetched.json())
    page = await client.get(f"/messages/{theirs['id']}")
    assert "&lt;b&gt;bold&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "<b>bold</b>" not in page.text and "<img src=x" not in page.text

    # Empty, too long, someone else's conversation, no CSRF: refused, nothing written.
    before = await counts(ctx)
    for path, data, status in (
        (f"/web/messages/{theirs['id']}/send", {"status": "   "}, 422),
        (f"/web/messages/{theirs['id']}/send", {"status": "x" * 300}, 422),
        (f"/web/messages/{mine['id']}/send", {"status": "not mine"}, 404),
        ("/web/messages/nope/send", {"status": "hi"}, 404),
    ):
        refused = await client.post(path, data={"csrf": csrf, **data}, headers=JSON)
        assert refused.status_code == status, (path, refused.text)
        assert "error" in refused.json()
    forged = await client.post(f"/web/messages/{theirs['id']}/send", data={"status": "hi"})
    assert forged.status_code == 403
    assert await counts(ctx) == before
    # Someone else's conversation is not found as a page either.
    assert (await client.get(f"/messages/{mine['id']}")).status_code == 404


async def test_a_reply_in_a_group_keeps_everyone(client: httpx.AsyncClient) -> None:
    ana, bo, cy = [await sign_up(client, name) for name in ("ana", "bo", "cy")]
    await dm(client, ana, "@bo @cy plans?")
    [theirs] = await inbox(client, bo)
    # Bo's own message last, then his reply to it: still the three of them.
    sent = await web_post(client, bo, f"/web/messages/{theirs['id']}/send", {"status": "me"})
    assert sent.status_code == 303
    sent = await web_post(client, bo, f"/web/messages/{theirs['id']}/send", {"status": "too"})
    assert sent.status_code == 303
    for user in (ana, bo, cy):
        [only] = await inbox(client, user)
        assert only["last_status"]["content"].endswith("too</p>")
    page = await client.get(f"/messages/{theirs['id']}")
    assert '<h1 class="chat-title">ana, cy</h1>' in page.text


async def test_a_first_message_from_a_profile(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await as_web(client, ana)
    profile = await client.get("/@bo")
    assert 'href="/messages/new?to=bo">Message</a>' in profile.text
    form = await client.get("/messages/new?to=bo")
    assert form.status_code == 200
    assert '<input type="hidden" name="to" value="bo">' in form.text
    assert '<label for="message-text">Message</label>' in form.text

    sent = await web_post(client, ana, "/web/messages", {"to": "bo", "status": "hi bo"})
    assert sent.status_code == 303
    [mine] = await inbox(client, ana)
    assert sent.headers["location"].startswith(f"/messages/{mine['id']}#message-")
    [theirs] = await inbox(client, bo)
    assert theirs["unread"] is True
    assert theirs["last_status"]["content"].endswith("hi bo</p>")
    # With a conversation already, the profile's link opens it.
    again = await client.get("/messages/new?to=bo")
    assert again.status_code == 303
    assert again.headers["location"] == f"/messages/{mine['id']}"

    # Without a name: a field "To"; an unknown name is not found; oneself is refused.
    blank = await client.get("/messages/new")
    assert '<label for="message-to">To</label>' in blank.text
    assert (await client.get("/messages/new?to=nobody")).status_code == 404
    before = await counts(ctx)
    csrf = await as_web(client, ana)
    for data, status in (
        ({"to": "nobody", "status": "hi"}, 404),
        ({"to": "ana", "status": "hi"}, 422),
        ({"to": "bo", "status": ""}, 422),
        ({"to": "bo", "status": "x" * 300}, 422),
        ({"to": "x" * 400, "status": "hi"}, 422),
    ):
        refused = await client.post("/web/messages", data={"csrf": csrf, **data}, headers=JSON)
        assert refused.status_code == status, (data, refused.text)
    assert await counts(ctx) == before


async def test_blocked_or_suspended_people_cannot_be_messaged(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bo, cy = [await sign_up(client, name) for name in ("ana", "bo", "cy")]
    blocked = await client.post(f"/api/v1/accounts/{bo.id}/block", headers=ana.headers)
    assert blocked.status_code == 200
    await as_web(client, ana)
    profile = await client.get("/@bo")
    assert "/messages/new?to=bo" not in profile.text  # Unblock shows instead
    form = await client.get("/messages/new?to=bo")
    assert form.status_code == 403
    assert "You blocked @bo. Unblock them to send a message." in form.text
    assert 'action="/web/messages"' not in form.text
    before = await counts(ctx)
    refused = await web_post(client, ana, "/web/messages", {"to": "bo", "status": "hi"})
    assert refused.status_code == 403
    assert "You blocked @bo" in refused.text
    # Blocked by them: said without naming the block.
    refused = await web_post(client, bo, "/web/messages", {"to": "ana", "status": "hi"})
    assert refused.status_code == 403
    assert "@ana can&#39;t receive messages." in refused.text
    await change(ctx, cy, "suspend")
    refused = await web_post(client, ana, "/web/messages", {"to": "cy", "status": "hi"})
    assert refused.status_code == 403
    assert "@cy&#39;s account is suspended." in refused.text
    assert await counts(ctx) == before


async def test_the_unread_count_for_scripts_and_hostile_names(
    client: httpx.AsyncClient,
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    named = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        data={"display_name": "<b>Ana</b><img src=x>"},
    )
    assert named.status_code == 200
    await dm(client, ana, "@bo one")
    await as_web(client, bo)
    unread = await client.get("/web/unread", headers=JSON)
    assert unread.status_code == 200
    assert unread.json()["messages"] == 1
    page = await client.get("/messages")
    assert "&lt;b&gt;Ana&lt;/b&gt;&lt;img src=x&gt;" in page.text
    assert "<b>Ana</b>" not in page.text
    # The lists alone, as static/js/chat.js asks for them.
    [theirs] = await inbox(client, bo)
    listed = await client.get("/messages", headers={"X-Shutter-Fragment": "inbox"})
    assert listed.text.lstrip().startswith("<li>") and "<html" not in listed.text
    assert f'href="/messages/{theirs["id"]}"' in listed.text
    thread = await client.get(
        f"/messages/{theirs['id']}", headers={"X-Shutter-Fragment": "messages"}
    )
    assert thread.text.lstrip().startswith('<li class="msg"') and "<html" not in thread.text
    assert (await inbox(client, bo))[0]["unread"] is False  # fetched: read
    # A visitor is sent to log in.
    client.cookies.clear()
    assert (await client.get("/messages")).status_code == 303
