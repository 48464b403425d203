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
from shutter.media.models import Media
from shutter.posts.models import Post
from tests.support.api import User, sign_up, upload_photo
from tests.support.clients import small_png
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


async def media_count(ctx: AppContext) -> int:
    async with ctx.db.read() as session:
        return await session.scalar(select(func.count()).select_from(Media)) or 0


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


def _photo() -> bytes:
    from tests.support.fixtures_media.photos import landscape  # libvips, only when needed

    return landscape()


async def test_a_message_with_photos_and_alt_texts(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await dm(client, ana, "@bo send me the lake")
    [theirs] = await inbox(client, bo)
    csrf = await as_web(client, bo)
    page = await client.get(f"/messages/{theirs['id']}")
    html = page.text
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" name="files[]" multiple accept="image/*,video/*"' in html
    assert 'class="button button-secondary button-small chat-pick">Add photos</label>' in html
    assert '<label for="message-alt-1">Alt text, photo 1</label>' in html

    sent = await client.post(
        f"/web/messages/{theirs['id']}/send",
        data={"csrf": csrf, "status": "here <b>it</b> is", "descriptions[]": ["The lake at dawn"]},
        files=[("files[]", ("lake.jpg", _photo(), "image/jpeg"))],
    )
    assert sent.status_code == 303, sent.text[:500]
    assert sent.headers["location"].startswith(f"/messages/{theirs['id']}#message-")
    # Ana gets it in the same conversation, with its photo and alt text (the API's view).
    [mine] = await inbox(client, ana)
    assert mine["unread"] is True
    last = mine["last_status"]
    assert_entity("Status", last)
    assert last["visibility"] == "direct"
    assert [m["username"] for m in last["mentions"]] == ["ana"]
    [photo] = last["media_attachments"]
    assert photo["type"] == "image" and photo["description"] == "The lake at dawn"
    shown = await client.get(f"/api/v1/statuses/{last['id']}", headers=ana.headers)
    assert shown.json()["media_attachments"][0]["description"] == "The lake at dawn"
    assert (await inbox(client, bo))[0]["id"] == theirs["id"]
    await as_web(client, ana)
    html = (await client.get(f"/messages/{mine['id']}")).text
    assert 'alt="The lake at dawn"' in html
    assert "here &lt;b&gt;it&lt;/b&gt; is" in html and "<b>it</b>" not in html

    # A photo alone is a message too; two at once keep their order and alt texts.
    sent = await web_post(client, ana, f"/web/messages/{mine['id']}/send", {})
    assert sent.status_code == 422  # neither text nor photo
    assert "Write a message first" in sent.text
    csrf = await as_web(client, ana)
    sent = await client.post(
        f"/web/messages/{mine['id']}/send",
        data={"csrf": csrf, "status": "", "descriptions[]": ["first", ""]},
        files=[
            ("files[]", ("a.png", small_png(), "image/png")),
            ("files[]", ("b.jpg", _photo(), "image/jpeg")),
        ],
    )
    assert sent.status_code == 303, sent.text[:500]
    [again] = await inbox(client, bo)
    assert again["id"] == theirs["id"]
    assert [m["description"] for m in again["last_status"]["media_attachments"]] == [
        "first",
        None,
    ]
    await as_web(client, bo)
    listed = await client.get("/messages")
    assert '<span class="inbox-excerpt">Sent a photo</span>' in listed.text


async def test_a_refused_file_shows_the_conversation_again_and_posts_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    from tests.support.fixtures_media.hostile import broken_png

    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    await dm(client, ana, "@bo hi")
    [theirs] = await inbox(client, bo)
    csrf = await as_web(client, bo)
    before, media_before = await counts(ctx), await media_count(ctx)
    for files in (
        [("files[]", ("lake.png", broken_png(), "image/png"))],
        # A good photo then a bad one: neither kept.
        [
            ("files[]", ("good.jpg", _photo(), "image/jpeg")),
            ("files[]", ("page.jpg", b"<html>not a photo</html>", "image/jpeg")),
        ],
        [("files[]", (f"{i}.png", small_png(), "image/png")) for i in range(5)],
    ):
        refused = await client.post(
            f"/web/messages/{theirs['id']}/send",
            data={"csrf": csrf, "status": "kept <i>draft</i>"},
            files=files,
        )
        assert 400 <= refused.status_code < 500, (len(files), refused.headers, refused.text[:300])
        assert '<p class="form-error" role="alert" id="form-error">' in refused.text
        assert 'value="kept &lt;i&gt;draft&lt;/i&gt;"' in refused.text
        assert 'data-chat="' in refused.text  # the conversation page again
    assert "page.jpg" in refused.text or "at most 4" in refused.text
    # A script's fetch gets the reason as JSON.
    fetched = await client.post(
        f"/web/messages/{theirs['id']}/send",
        data={"csrf": csrf},
        files=[("files[]", ("lake.png", broken_png(), "image/png"))],
        headers=JSON,
    )
    assert 400 <= fetched.status_code < 500 and "lake.png" in fetched.json()["error"]
    # Without the CSRF token: refused before anything is stored.
    forged = await client.post(
        f"/web/messages/{theirs['id']}/send",
        data={"status": "hi"},
        files=[("files[]", ("lake.jpg", _photo(), "image/jpeg"))],
    )
    assert forged.status_code == 403
    assert await counts(ctx) == before
    assert await media_count(ctx) == media_before


async def test_a_group_is_started_once_then_reopened(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, bo, cy = [await sign_up(client, name) for name in ("ana", "bo", "cy")]
    await as_web(client, ana)
    form = await client.get("/messages/new?to=bo&to=cy")
    assert form.status_code == 200
    assert '<input type="hidden" name="to" value="bo cy">' in form.text
    assert '<label for="message-add">Add people</label>' in form.text
    assert 'type="file" name="files[]" multiple accept="image/*,video/*"' in form.text
    csrf = await as_web(client, ana)
    sent = await client.post(
        "/web/messages",
        data={"csrf": csrf, "to": "bo", "add": "@cy", "descriptions[]": ["Our tent"]},
        files=[("files[]", ("tent.jpg", _photo(), "image/jpeg"))],
    )
    assert sent.status_code == 303, sent.text[:500]
    [mine] = await inbox(client, ana)
    assert sent.headers["location"].startswith(f"/messages/{mine['id']}#message-")
    assert sorted(a["username"] for a in mine["accounts"]) == ["bo", "cy"]
    assert mine["last_status"]["media_attachments"][0]["description"] == "Our tent"
    for user in (bo, cy):
        [theirs] = await inbox(client, user)
        assert theirs["unread"] is True
        assert len(theirs["accounts"]) == 2
    # The same people, in any order and spelling: that conversation, not a new one.
    again = await client.get("/messages/new?to=cy,bo")
    assert again.status_code == 303
    assert again.headers["location"] == f"/messages/{mine['id']}"
    sent = await web_post(client, ana, "/web/messages", {"to": "CY, @bo bo", "status": "more"})
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"/messages/{mine['id']}#message-")
    assert len(await inbox(client, ana)) == 1
    assert len(await inbox(client, cy)) == 1


async def test_bad_recipients_are_refused_by_name_and_nothing_is_written(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana, _, cy = [await sign_up(client, name) for name in ("ana", "bo", "cy")]
    blocked = await client.post(f"/api/v1/accounts/{cy.id}/block", headers=ana.headers)
    assert blocked.status_code == 200
    await as_web(client, ana)
    page = await client.get("/messages/new?to=bo&to=nobody")
    assert page.status_code == 404
    assert "No one is called @nobody." in page.text
    assert 'action="/web/messages"' not in page.text
    page = await client.get("/messages/new?to=bo&to=cy")
    assert page.status_code == 403 and "You blocked @cy." in page.text
    too_many = " ".join(f"u{i}" for i in range(11))
    page = await client.get(f"/messages/new?to={too_many}")
    assert page.status_code == 422 and "at most 10 people" in page.text

    before, media_before = await counts(ctx), await media_count(ctx)
    csrf = await as_web(client, ana)
    for data, status, said in (
        ({"to": "bo nobody"}, 404, ["No one is called @nobody."]),
        ({"to": "bo", "add": "cy"}, 403, ["You blocked @cy."]),
        ({"to": "nobody, cy"}, 404, ["@nobody", "You blocked @cy."]),
        ({"to": "bo ana"}, 422, ["yourself"]),
        ({"to": too_many}, 422, ["at most 10 people"]),
        ({"to": " , "}, 422, ["Say who the message is for"]),
        ({"to": "<b>x</b>"}, 404, ["No one is called @&lt;b&gt;x&lt;/b&gt;."]),
    ):
        refused = await client.post(
            "/web/messages",
            data={"csrf": csrf, "status": "hi", **data},
            files=[("files[]", ("lake.jpg", _photo(), "image/jpeg"))],
        )
        assert refused.status_code == status, (data, refused.text[:300])
        for text in said:
            assert text in refused.text, (data, text)
        assert "<b>x</b>" not in refused.text
        assert 'name="status" rows="4" maxlength="255">hi</textarea>' in refused.text  # kept
    forged = await client.post("/web/messages", data={"to": "bo", "status": "hi"})
    assert forged.status_code == 403
    assert await counts(ctx) == before
    assert await media_count(ctx) == media_before
