"""Home's kept post articles (shutter/web/fragments.py) never show a stale post, on SQLite
and PostgreSQL: a like (the count and the pressed state), an edit of the caption and
the alt text, a new display name, a post marked sensitive or deleted, and each viewer's
own CSRF token and like state though the article is kept once for everyone.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx

from shutter.web import fragments
from tests.support.api import follow, post_photo, sign_up
from tests.support.credentials import PASSWORD

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def _log_in(http: httpx.AsyncClient, login: str) -> str:
    """A fresh web session for `login` (the client's cookies are this browser's)."""
    http.cookies.clear()
    found = CSRF_META.search((await http.get("/login")).text)
    assert found
    answer = await http.post(
        "/login", data={"csrf": found.group(1), "username": login, "password": PASSWORD}
    )
    assert answer.status_code == 303, answer.text
    page = (await http.get("/home")).text
    token = CSRF_META.search(page)
    assert token
    return token.group(1)


def _article(page: str, post_id: str) -> str:
    start = page.index(f'<article class="post" id="post-{post_id}"')
    return page[start : page.index("</article>", start)]


async def _home_article(http: httpx.AsyncClient, post_id: str) -> str:
    answer = await http.get("/home")
    assert answer.status_code == 200
    return _article(answer.text, post_id)


async def test_likes_edits_names_and_deletions_show_at_once(
    client: httpx.AsyncClient, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana = await sign_up(client, "ana")
    bob = await sign_up(client, "bob")
    cat = await sign_up(client, "cat")
    await follow(client, ana, bob)
    post = await post_photo(client, bob, "First light #hills")
    other = await post_photo(client, bob, "Second")
    await run_jobs()
    await _log_in(client, "ana")
    before = await _home_article(client, post["id"])
    assert "0 likes" in before and 'aria-pressed="false"' in before
    assert before == await _home_article(client, post["id"])  # kept, and the same

    # Someone else's like: the count moves.
    liked = await client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=cat.headers)
    assert liked.status_code == 200
    assert "1 like<" in await _home_article(client, post["id"])

    # The viewer's own like and save: pressed, then unpressed again.
    await client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=ana.headers)
    await client.post(f"/api/v1/statuses/{post['id']}/bookmark", headers=ana.headers)
    mine = await _home_article(client, post["id"])
    assert "2 likes" in mine
    assert re.search(r'name="liked" value="false" aria-pressed="true"', mine)
    assert re.search(r'name="saved" value="false" aria-pressed="true"', mine)
    await client.post(f"/api/v1/statuses/{post['id']}/unfavourite", headers=ana.headers)
    undone = await _home_article(client, post["id"])
    assert "1 like<" in undone and 'name="liked" value="true" aria-pressed="false"' in undone

    # An edit of the caption and of the alt text.
    media_id = post["media_attachments"][0]["id"]
    edited = await client.put(
        f"/api/v1/statuses/{post['id']}",
        headers=bob.headers,
        json={
            "status": "Last light <b>#hills</b>",
            "media_ids": [media_id],
            "media_attributes": [{"id": media_id, "description": "Hills in the last light"}],
        },
    )
    assert edited.status_code == 200, edited.text
    shown = await _home_article(client, post["id"])
    assert "Last light &lt;b&gt;" in shown and "First light" not in shown
    assert "Hills in the last light" in shown

    # The author's new display name.
    renamed = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=bob.headers,
        data={"display_name": "Bob <i>the</i> Builder"},
    )
    assert renamed.status_code == 200
    assert "Bob &lt;i&gt;the&lt;/i&gt; Builder" in await _home_article(client, post["id"])

    # A deleted post leaves the page; its neighbour stays.
    deleted = await client.delete(f"/api/v1/statuses/{post['id']}", headers=bob.headers)
    assert deleted.status_code == 200
    await run_jobs()
    page = (await client.get("/home")).text
    assert f'id="post-{post["id"]}"' not in page and f'id="post-{other["id"]}"' in page


async def test_each_viewer_gets_their_own_token_and_state(
    client: httpx.AsyncClient, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana = await sign_up(client, "ana")
    cat = await sign_up(client, "cat")
    bob = await sign_up(client, "bob")
    for viewer in (ana, cat):
        await follow(client, viewer, bob)
    post = await post_photo(client, bob, "Shared")
    await run_jobs()
    await client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=ana.headers)

    ana_csrf = await _log_in(client, "ana")
    ana_sees = await _home_article(client, post["id"])
    cat_csrf = await _log_in(client, "cat")
    cat_sees = await _home_article(client, post["id"])
    assert ana_csrf != cat_csrf
    assert ana_sees.count(f'value="{ana_csrf}"') == 2 and ana_csrf not in cat_sees
    assert cat_sees.count(f'value="{cat_csrf}"') == 2 and "<csrf-slot>" not in cat_sees
    assert 'aria-pressed="true"' in ana_sees.split('class="icon-button save"')[0]
    assert 'aria-pressed="true"' not in cat_sees

    # The token in the article is the session's: a like through the form works.
    form = await client.post(
        f"/web/posts/{post['id']}/like", data={"csrf": cat_csrf, "liked": "true", "next": "/home"}
    )
    assert form.status_code == 303
    assert "2 likes" in await _home_article(client, post["id"])


async def test_a_post_marked_sensitive_is_rendered_again(
    client: httpx.AsyncClient, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana = await sign_up(client, "ana")
    bob = await sign_up(client, "bob")
    await follow(client, ana, bob)
    post = await post_photo(client, bob, "Plain")
    await run_jobs()
    await _log_in(client, "ana")
    status = (await client.get(f"/api/v1/statuses/{post['id']}", headers=ana.headers)).json()
    csrf = "token-of-this-test"
    plain = fragments.article(status, csrf, "/home")
    assert fragments.article(status, csrf, "/home") == plain
    # Whatever in the Status changes (here the flag a moderator sets) is a new article:
    # the key is the whole JSON, not a version someone must remember to bump.
    marked = fragments.article(status | {"sensitive": True, "content": "<p>x</p>"}, csrf, "/")
    assert marked != plain and "<p>x</p>" in marked
    assert 'value="/"' in marked and csrf in marked


async def test_home_reads_the_navigation_counts_as_every_page_does(
    client: httpx.AsyncClient, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana = await sign_up(client, "ana")
    bob = await sign_up(client, "bob")
    await follow(client, bob, ana)  # a notification for ana
    message = await client.post(
        "/api/v1/statuses",
        headers=bob.headers,
        json={"status": "@ana see you at <b>eight</b>", "visibility": "direct"},
    )
    assert message.status_code == 200, message.text
    await run_jobs()
    await _log_in(client, "ana")

    def counts(page: str) -> list[str]:
        """The navigation's names and badges (the current link's icon differs)."""
        start = page.index('<nav class="nav"')
        shown = page[start : page.index("</nav>", start)]
        return re.findall(r'aria-label="[^"]*"|data-unread[-a-z]*="\d+"', shown)

    empty_home = counts((await client.get("/home")).text)  # read on their own
    assert 'aria-label="Notifications, 1 new"' in empty_home
    assert 'aria-label="Messages, 1 new"' in empty_home
    assert empty_home == counts((await client.get("/search")).text)

    await post_photo(client, ana, "Mine")  # a feed page now: read along its statement
    await run_jobs()
    assert counts((await client.get("/home")).text) == empty_home
