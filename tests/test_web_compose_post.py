"""Compose and the post page over HTTP, on SQLite and PostgreSQL: Share without scripts
(the files in the form), the script's routes (upload, state, share with alt texts in
order), the post page's comment, caption edit with history and deletion, and refusals
that change nothing.

The browser tests (tests/web/test_web_compose.py, test_web_post.py) drive the same
pages in Chromium.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from shutter.infra.context import AppContext
from tests.support.api import post_photo, sign_up
from tests.support.clients import small_png
from tests.test_web_profiles import HOSTILE, as_web

JSON = {"Accept": "application/json"}


async def _statuses(client: httpx.AsyncClient, user: Any) -> list[dict[str, Any]]:
    answer = await client.get(f"/api/v1/accounts/{user.id}/statuses", headers=user.headers)
    body: list[dict[str, Any]] = answer.json()
    return body


async def test_share_without_scripts_posts_the_files_in_order(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    csrf = await as_web(client, ana, "/compose")
    answer = await client.post(
        "/web/posts",
        data={
            "csrf": csrf,
            "status": HOSTILE,
            "visibility": "private",
            "descriptions[]": ["first", "second"],
        },
        files=[
            ("files[]", ("a.png", small_png(), "image/png")),
            ("files[]", ("b.png", small_png(), "image/png")),
        ],
    )
    assert answer.status_code == 303, answer.text[:300]
    [status] = await _statuses(client, ana)
    assert answer.headers["location"] == f"/@ana/{status['id']}"
    assert [m["description"] for m in status["media_attachments"]] == ["first", "second"]
    assert status["visibility"] == "private"
    page = await client.get(answer.headers["location"])
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text and "<b>bold" not in page.text


async def test_a_refused_file_shows_the_form_again_and_posts_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    csrf = await as_web(client, ana, "/compose")
    answer = await client.post(
        "/web/posts",
        data={"csrf": csrf, "status": "kept caption"},
        files=[("files[]", ("page.jpg", b"<html>not a photo</html>", "image/jpeg"))],
    )
    assert answer.status_code == 422
    assert "page.jpg" in answer.text and "kept caption" in answer.text
    assert await _statuses(client, ana) == []


async def test_scripts_upload_then_share_with_alt_texts_and_focus(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana = await sign_up(client, "ana")
    csrf = await as_web(client, ana, "/compose")
    headers = JSON | {"X-CSRF-Token": csrf}
    ids = []
    for name in ("a.png", "b.png"):
        up = await client.post(
            "/web/media", headers=headers, files={"file": (name, small_png(), "image/png")}
        )
        assert up.status_code in (200, 202), up.text
        assert up.json()["state"] in ("processing", "ready")
        ids.append(up.json()["id"])
    refused = await client.post(
        "/web/media", headers=headers, files={"file": ("x.jpg", b"nope", "image/jpeg")}
    )
    assert refused.status_code == 422 and refused.json()["error"]
    early = await client.post(
        "/web/posts", headers=headers, data={"status": "too soon", "media_ids[]": ids}
    )
    assert early.status_code == 422 and "not processed yet" in early.json()["error"]
    await run_jobs()
    state = await client.get(f"/web/media/{ids[0]}", headers=JSON)
    assert state.status_code == 200 and state.json()["state"] == "ready"
    shared = await client.post(
        "/web/posts",
        headers=headers,
        data={
            "status": "two #lakes",
            "media_ids[]": list(reversed(ids)),
            "descriptions[]": ["second first", "first second"],
            "focus[]": ["", "0.5,-0.5"],
            "idempotency_key": "k1",
        },
    )
    assert shared.status_code == 200, shared.text
    media = shared.json()["media_attachments"]
    assert [m["id"] for m in media] == list(reversed(ids))
    assert [m["description"] for m in media] == ["second first", "first second"]
    assert media[1]["meta"]["focus"] == {"x": 0.5, "y": -0.5}
    again = await client.post(
        "/web/posts",
        headers=headers,
        data={"status": "two #lakes", "media_ids[]": list(reversed(ids)), "idempotency_key": "k1"},
    )
    assert again.json()["id"] == shared.json()["id"]  # a share finished twice is one post
    assert len(await _statuses(client, ana)) == 1
    suggest = await client.get("/web/compose/suggest?q=%23lak", headers=JSON)
    assert suggest.status_code == 200


async def test_a_comments_url_opens_its_post_and_a_reply_answers_the_comment(
    client: httpx.AsyncClient,
) -> None:
    ana, ben, cy = [await sign_up(client, n) for n in ("ana", "ben", "cy")]
    status = await post_photo(client, ana, "Lake at dusk")
    path = f"/@ana/{status['id']}"
    comment = await client.post(
        "/api/v1/statuses",
        headers=ben.headers,
        json={"status": "Lovely light", "in_reply_to_id": status["id"]},
    )
    assert comment.status_code == 200, comment.text
    comment_id = comment.json()["id"]
    csrf = await as_web(client, cy, path)
    # Apps and notifications link to a comment's own URL: it opens the post at the comment.
    opened = await client.get(f"/@ben/{comment_id}")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"{path}#comment-{comment_id}"
    assert (await client.get(f"/@ana/{comment_id}")).status_code == 404  # not ana's words

    page = await client.get(path)
    assert f'href="{path}?reply_to={comment_id}#comment-text">Reply' in page.text
    replying = await client.get(f"{path}?reply_to={comment_id}")
    assert "Replying to @ben" in replying.text
    assert f'action="/web/posts/{comment_id}/comment"' in replying.text
    field = 'value="@ben " aria-describedby="replying-to" autofocus data-reply-field'
    assert field in replying.text
    for stray in ("999999", "abc", status["id"]):  # none of the page's comments
        plain = await client.get(f"{path}?reply_to={stray}")
        assert plain.status_code in (200, 422) and "Replying to" not in plain.text

    answered = await client.post(
        f"/web/posts/{comment_id}/comment", data={"csrf": csrf, "status": "@ben agreed"}
    )
    assert answered.status_code == 303
    answer_id = answered.headers["location"].rsplit("#comment-", 1)[1]
    assert answered.headers["location"] == f"{path}#comment-{answer_id}"
    page = await client.get(path)
    assert f'<li class="comment comment-answer" id="comment-{answer_id}">' in page.text
    assert f'<li class="comment" id="comment-{comment_id}">' in page.text
    context = await client.get(f"/api/v1/statuses/{answer_id}", headers=cy.headers)
    assert context.json()["in_reply_to_id"] == comment_id


async def test_post_page_comment_edit_history_and_delete(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    status = await post_photo(client, ana, "First words")
    path = f"/@ana/{status['id']}"
    csrf = await as_web(client, ben, path)
    page = await client.get(path)
    assert 'aria-label="Main"' in page.text and "Add a comment" in page.text
    assert "Edit caption" not in page.text and "Delete post" not in page.text
    commented = await client.post(
        f"/web/posts/{status['id']}/comment", data={"csrf": csrf, "status": HOSTILE}
    )
    assert commented.status_code == 303
    assert commented.headers["location"].startswith(f"{path}#comment-")
    page = await client.get(path)
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text and "<b>bold" not in page.text
    # Ben may not edit nor delete Ana's post.
    refused = await client.post(
        f"/web/posts/{status['id']}/caption", data={"csrf": csrf, "status": "mine now"}
    )
    assert refused.status_code == 403
    csrf = await as_web(client, ana, path)
    edited = await client.post(
        f"/web/posts/{status['id']}/caption", data={"csrf": csrf, "status": "Better words"}
    )
    assert edited.status_code == 303
    page = await client.get(path)
    assert "history (2 versions)" in page.text and "First words" in page.text
    too_long = await client.post(
        f"/web/posts/{status['id']}/caption", data={"csrf": csrf, "status": "x" * 256}
    )
    assert too_long.status_code == 422
    # Without scripts the first press asks on a page of its own; only "Yes" deletes.
    asked = await client.post(f"/web/posts/{status['id']}/delete", data={"csrf": csrf})
    assert asked.status_code == 200 and "Yes, delete post" in asked.text
    assert (await client.get(path)).status_code == 200
    deleted = await client.post(
        f"/web/posts/{status['id']}/delete", data={"csrf": csrf, "confirmed": "true"}
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/@ana"
    assert (await client.get(path)).status_code == 404
    assert (await client.get(f"/@ben/{status['id']}")).status_code == 404


async def test_likers_page_lists_who_liked(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    ben = await sign_up(client, "ben")
    status = await post_photo(client, ana, "Like me")
    await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=ben.headers)
    await as_web(client, ana)
    page = await client.get(f"/@ana/{status['id']}/likes")
    assert page.status_code == 200 and "@ben" in page.text
