"""Settings › Filters over HTTP, on SQLite and PostgreSQL: filters made, changed and
deleted through the forms are the API's filters; bad input (a blank title, no place, an
unknown action, too many keywords, someone else's filter) is a 4xx that writes nothing;
a form without its CSRF token is refused. Posts a `warn` filter matches show collapsed
under the filter's title on Home (inside a <details>, no script needed), the post page,
the profile grid and notifications; posts a `hide` filter matches are left out.

The browser test (tests/web/test_web_filters.py) makes a filter on the page and reveals
a collapsed post with "Show anyway".
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from shutter.infra.context import AppContext
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.credentials import PASSWORD

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
Form = list[tuple[str, str]]


async def _web_log_in(http: httpx.AsyncClient, login: str) -> str:
    """A web session through the log-in form; the CSRF token of its pages."""
    page = await http.get("/login")
    token = CSRF_META.search(page.text)
    assert token
    answer = await http.post(
        "/login",
        data={"csrf": token.group(1), "username": login, "password": PASSWORD, "next": "/home"},
    )
    assert answer.status_code == 303, answer.text
    return await _csrf(http, "/settings/filters")


async def _csrf(http: httpx.AsyncClient, page: str) -> str:
    found = CSRF_META.search((await http.get(page)).text)
    assert found
    return found.group(1)


def _form(
    csrf: str | None,
    *,
    title: str = "Spoilers",
    keywords: list[dict[str, str]] | None = None,
    contexts: tuple[str, ...] = ("home",),
    action: str = "warn",
    expires_in: str = "",
    **extra: str,
) -> Form:
    """The filter form's fields as a browser sends them."""
    fields: Form = [] if csrf is None else [("csrf", csrf)]
    fields += [("title", title), ("filter_action", action), ("expires_in", expires_in)]
    fields += [("context[]", c) for c in contexts]
    for index, row in enumerate(keywords or []):
        fields += [(f"keywords[{index}][{name}]", value) for name, value in row.items()]
    return fields + list(extra.items())


async def _filters(http: httpx.AsyncClient, user: User) -> list[dict[str, Any]]:
    answer = await http.get("/api/v2/filters", headers=user.headers)
    assert answer.status_code == 200, answer.text
    body: list[dict[str, Any]] = answer.json()
    return body


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _encoded(form: Form) -> bytes:
    # Sent as encoded bytes: a form's repeated fields (`context[]`) keep their order.
    return urlencode(form).encode()


async def _posted(http: httpx.AsyncClient, path: str, form: Form) -> httpx.Response:
    return await http.post(path, content=_encoded(form), headers=_FORM)


async def test_create_edit_and_delete_through_the_forms(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    csrf = await _web_log_in(client, "ana")
    settings = await client.get("/settings")
    assert '<a href="/settings/filters">Filters</a>' in settings.text
    empty = await client.get("/settings/filters")
    assert empty.status_code == 200 and "No filters yet" in empty.text
    new = await client.get("/settings/filters/new")
    assert new.status_code == 200 and 'action="/web/settings/filters"' in new.text
    assert '<option value="" selected>Never</option>' in new.text

    made = await _posted(
        client,
        "/web/settings/filters",
        _form(
            csrf,
            title="TV & <b>spoilers</b>",
            keywords=[{"keyword": "finale", "whole_word": "true"}, {"keyword": "ending"}],
            contexts=("home", "thread"),
            expires_in="3600",
        ),
    )
    assert made.status_code == 303, made.text
    assert made.headers["location"] == "/settings/filters?done=created"
    [saved] = await _filters(client, ana)
    assert saved["title"] == "TV & <b>spoilers</b>"
    assert saved["context"] == ["home", "thread"] and saved["filter_action"] == "warn"
    assert [(k["keyword"], k["whole_word"]) for k in saved["keywords"]] == [
        ("finale", True),
        ("ending", False),
    ]
    expires = datetime.fromisoformat(saved["expires_at"].replace("Z", "+00:00"))
    assert 3500 < (expires - datetime.now(UTC)).total_seconds() <= 3600

    listed = (await client.get("/settings/filters?done=created")).text
    assert "Your filter is saved." in listed
    assert "TV &amp; &lt;b&gt;spoilers&lt;/b&gt;" in listed and "<b>spoilers" not in listed
    assert "2 keywords" in listed and ">Warn<" in listed
    assert "In Home, Post pages" in listed and "Expires in 1 hour" in listed

    edit = (await client.get(f"/settings/filters/{saved['id']}")).text
    assert 'value="finale"' in edit and 'value="ending"' in edit
    assert '<option value="keep" selected>Keep as is (expires in 1 hour)</option>' in edit
    finale, ending = saved["keywords"]
    changed = await _posted(
        client,
        f"/web/settings/filters/{saved['id']}",
        _form(
            csrf,
            title="TV",
            keywords=[
                {"id": finale["id"], "keyword": "finale"},  # whole word unticked
                {"id": ending["id"], "keyword": "ending", "remove": "true"},
                {"keyword": "season", "whole_word": "true"},
                {"keyword": "  "},  # a blank new row adds nothing
            ],
            contexts=("home", "account"),
            action="hide",
            expires_in="keep",
        ),
    )
    assert changed.status_code == 303, changed.text
    assert changed.headers["location"] == "/settings/filters?done=saved"
    [after] = await _filters(client, ana)
    assert after["title"] == "TV" and after["filter_action"] == "hide"
    assert after["context"] == ["home", "account"]
    assert after["expires_at"] == saved["expires_at"]  # kept as it was
    assert [(k["keyword"], k["whole_word"]) for k in after["keywords"]] == [
        ("finale", False),
        ("season", True),
    ]
    never = await _posted(
        client,
        f"/web/settings/filters/{saved['id']}",
        _form(csrf, title="TV", contexts=("home",), expires_in=""),
    )
    assert never.status_code == 303
    [cleared] = await _filters(client, ana)
    assert cleared["expires_at"] is None and len(cleared["keywords"]) == 2  # rows not sent stay

    # Deleting asks first without scripts; a script's request gets JSON.
    asked = await client.post(f"/web/settings/filters/{saved['id']}/delete", data={"csrf": csrf})
    assert asked.status_code == 200 and "Delete filter?" in asked.text
    assert "Yes, delete filter" in asked.text and len(await _filters(client, ana)) == 1
    gone = await client.post(
        f"/web/settings/filters/{saved['id']}/delete", data={"csrf": csrf, "confirmed": "true"}
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/settings/filters?done=deleted"
    assert await _filters(client, ana) == []
    scripted = await client.post(
        "/web/settings/filters",
        content=_encoded(_form(csrf, keywords=[{"keyword": "finale"}])),
        headers={**_FORM, "Accept": "application/json"},
    )
    assert scripted.status_code == 200 and scripted.json()["title"] == "Spoilers"


async def test_bad_input_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    theirs = await client.post(
        "/api/v2/filters",
        headers=bo.headers,
        json={"title": "Bo's", "context": ["home"], "keywords_attributes": [{"keyword": "x"}]},
    )
    assert theirs.status_code == 200
    their_id, their_keyword = theirs.json()["id"], theirs.json()["keywords"][0]["id"]
    csrf = await _web_log_in(client, "ana")

    blank = await _posted(
        client, "/web/settings/filters", _form(csrf, title=" ", keywords=[{"keyword": "kept"}])
    )
    assert blank.status_code == 422 and 'role="alert"' in blank.text
    assert "Title can&#39;t be blank." in blank.text
    assert 'value="kept"' in blank.text  # what was typed is shown again
    nowhere = await _posted(client, "/web/settings/filters", _form(csrf, contexts=()))
    assert nowhere.status_code == 422 and "Choose at least one place to filter." in nowhere.text
    unknown = await _posted(client, "/web/settings/filters", _form(csrf, action="delete"))
    assert unknown.status_code == 422
    too_many = [{"keyword": f"word{i}"} for i in range(201)]
    crowded = await _posted(client, "/web/settings/filters", _form(csrf, keywords=too_many))
    assert crowded.status_code == 422 and "at most 200 keywords" in crowded.text
    assert await _filters(client, ana) == []

    # Without the CSRF token: refused, nothing made.
    forged = await _posted(client, "/web/settings/filters", _form(None))
    assert forged.status_code == 403
    assert await _filters(client, ana) == []

    # "Add keyword" shows the form again with one more row and saves nothing.
    more = await _posted(
        client,
        "/web/settings/filters",
        _form(csrf, title="", keywords=[{"keyword": "one"}], add_keyword="true"),
    )
    assert more.status_code == 200 and 'value="one"' in more.text
    assert 'name="keywords[2][keyword]"' in more.text
    assert await _filters(client, ana) == []

    # One of ana's, changed with too many keywords: refused whole, as it was.
    made = await _posted(client, "/web/settings/filters", _form(csrf, keywords=[{"keyword": "a"}]))
    assert made.status_code == 303
    [mine] = await _filters(client, ana)
    over = await _posted(
        client, f"/web/settings/filters/{mine['id']}", _form(csrf, title="New", keywords=too_many)
    )
    assert over.status_code == 422 and "at most 200 keywords" in over.text
    assert await _filters(client, ana) == [mine]

    # Someone else's filter, or a keyword of theirs, is not there.
    assert (await client.get(f"/settings/filters/{their_id}")).status_code == 404
    other = await _posted(client, f"/web/settings/filters/{their_id}", _form(csrf, title="Mine"))
    assert other.status_code == 404
    stolen = await _posted(
        client,
        f"/web/settings/filters/{mine['id']}",
        _form(csrf, keywords=[{"id": their_keyword, "keyword": "y", "remove": "true"}]),
    )
    assert stolen.status_code == 404
    for confirmed in ("false", "true"):
        deleted = await client.post(
            f"/web/settings/filters/{their_id}/delete",
            data={"csrf": csrf, "confirmed": confirmed},
        )
        assert deleted.status_code == 404
    assert [f["title"] for f in await _filters(client, bo)] == ["Bo's"]
    assert (await _filters(client, bo))[0]["keywords"][0]["keyword"] == "x"
    assert await _filters(client, ana) == [mine]
    assert (await client.get("/settings/filters/not-an-id")).status_code == 404


async def test_warned_posts_collapse_and_hidden_ones_are_left_out(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    await follow(client, ana, bo)
    plain = await post_photo(client, bo, "morning coffee")
    hidden = await post_photo(client, bo, "Election results tonight")
    warned = await post_photo(client, bo, "a spoiler for the finale")
    await post_photo(client, bo, "@ana did you watch the finale?")
    await run_jobs()
    csrf = await _web_log_in(client, "ana")
    everywhere = ("home", "notifications", "public", "thread", "account")
    for form in (
        _form(csrf, title="TV <i>", keywords=[{"keyword": "finale"}], contexts=everywhere),
        _form(csrf, title="Politics", keywords=[{"keyword": "election"}], action="hide"),
    ):
        assert (await _posted(client, "/web/settings/filters", form)).status_code == 303

    home = (await client.get("/home")).text
    assert f'id="post-{hidden["id"]}"' not in home
    article = _article(home, warned["id"])
    assert "Hidden by your filter: TV &lt;i&gt;" in article
    assert ">Show anyway</span>" in article
    # The post, its Like and Save buttons and Comment link are inside the <details>.
    collapsed = article.split('<details class="post-filtered">', 1)[1]
    assert "</details>" in collapsed
    inside = collapsed.split("</summary>", 1)[1]
    assert 'aria-pressed="false"' in inside and ">Like</span>" in inside
    assert ">Save</span>" in inside and ">Comment</span>" in inside
    assert "spoiler for the finale" in inside
    # The author stays outside, naming the article.
    assert f'id="post-{warned["id"]}-author" href="/@bo">bo</a>' in article.split("<details")[0]
    assert '<details class="post-filtered">' not in _article(home, plain["id"])

    post_page = (await client.get(f"/@bo/{warned['id']}")).text
    assert "Hidden by your filter: TV &lt;i&gt;" in post_page
    profile = (await client.get("/@bo")).text
    assert profile.count("Hidden by your filter: TV &lt;i&gt;") == 2  # and the mention
    # Hidden in Home only: on the profile its tile is a photo like the plain post's.
    assert profile.count('class="tile"') == 4
    notes = (await client.get("/notifications")).text
    assert "Hidden by your filter: TV &lt;i&gt;" in notes
    assert "did you watch" not in notes  # the mention's words stay behind the filter


async def test_the_post_pages_comments_follow_the_thread_filters(
    client: httpx.AsyncClient,
) -> None:
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    post = await post_photo(client, ana, "Lake at dusk")
    for words in ("Lovely light", "the finale was a let-down", "Election tonight"):
        answer = await client.post(
            "/api/v1/statuses",
            headers=bo.headers,
            json={"status": words, "in_reply_to_id": post["id"]},
        )
        assert answer.status_code == 200, answer.text
    csrf = await _web_log_in(client, "ana")
    for form in (
        _form(csrf, title="TV", keywords=[{"keyword": "finale"}], contexts=("thread",)),
        _form(
            csrf,
            title="Politics",
            keywords=[{"keyword": "election"}],
            contexts=("thread",),
            action="hide",
        ),
        _form(csrf, title="Home only", keywords=[{"keyword": "lovely"}], contexts=("home",)),
    ):
        assert (await _posted(client, "/web/settings/filters", form)).status_code == 303
    page = (await client.get(f"/@ana/{post['id']}")).text
    comments = page.split('id="comments"', 1)[1]
    assert "Election tonight" not in comments
    assert comments.count("<details") == 1
    warned = comments.split("<details", 1)[1].split("</details>", 1)[0]
    assert "A comment hidden by your filter: TV" in warned and "the finale" in warned
    assert "Lovely light" in comments.split("<details", 1)[0]  # filtered on Home only


def _article(html: str, post_id: str) -> str:
    start = html.index(f'<article class="post" id="post-{post_id}"')
    return html[start : html.index("</article>", start)]
