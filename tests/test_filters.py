"""Filters v1 and v2 through HTTP: the routes, hostile input, and their application on the
read paths (notifications, thread, account, public and tag timelines). The home feed on
every feed store is tests/test_filters_home.py; streams are tests/test_filters_stream.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select, update

from shutter.filters.models import Filter, FilterKeyword, FilterStatus
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from tests.support.api import User, follow, post_photo, sign_up, upload_photo
from tests.support.credentials import password_grant
from tests.support.schema import assert_entity

RunJobs = Callable[[], Awaitable[int]]


async def make_filter(client: httpx.AsyncClient, user: User, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v2/filters", headers=user.headers, json=body)
    assert response.status_code == 200, response.text
    assert_entity("Filter", response.json())
    return response.json()


async def _counts(ctx: AppContext) -> tuple[int, int, int]:
    async with ctx.db.read() as session:
        return (
            await session.scalar(select(func.count()).select_from(Filter)) or 0,
            await session.scalar(select(func.count()).select_from(FilterKeyword)) or 0,
            await session.scalar(select(func.count()).select_from(FilterStatus)) or 0,
        )


# --- the v2 routes ------------------------------------------------------------------------


async def test_v2_filter_with_keywords_is_created_read_changed_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    ana = await sign_up(client, "ana")
    made = await make_filter(
        client,
        ana,
        title="Spoilers",
        context=["home", "public", "home"],
        filter_action="hide",
        expires_in=3600,
        keywords_attributes=[{"keyword": "finale"}, {"keyword": "ending", "whole_word": False}],
    )
    assert made["title"] == "Spoilers"
    assert made["context"] == ["home", "public"]
    assert made["filter_action"] == "hide"
    assert made["expires_at"] is not None
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [
        ("finale", True),
        ("ending", False),
    ]
    assert made["statuses"] == []
    listed = (await client.get("/api/v2/filters", headers=ana.headers)).json()
    assert listed == [made]
    got = await client.get(f"/api/v2/filters/{made['id']}", headers=ana.headers)
    assert got.json() == made
    finale, ending = made["keywords"]
    changed = await client.put(
        f"/api/v2/filters/{made['id']}",
        headers=ana.headers,
        json={
            "title": "Show spoilers",
            "filter_action": "warn",
            "expires_in": "",
            "keywords_attributes": [
                {"id": finale["id"], "keyword": "Finale", "whole_word": False},
                {"id": ending["id"], "_destroy": True},
                {"keyword": "twist"},
            ],
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert_entity("Filter", body)
    assert (body["title"], body["filter_action"], body["expires_at"]) == (
        "Show spoilers",
        "warn",
        None,
    )
    assert body["context"] == ["home", "public"]  # not sent, kept
    assert [(k["keyword"], k["whole_word"]) for k in body["keywords"]] == [
        ("Finale", False),
        ("twist", True),
    ]
    gone = await client.delete(f"/api/v2/filters/{made['id']}", headers=ana.headers)
    assert (gone.status_code, gone.json()) == (200, {})
    assert (
        await client.get(f"/api/v2/filters/{made['id']}", headers=ana.headers)
    ).status_code == 404
    assert (await client.get("/api/v2/filters", headers=ana.headers)).json() == []


async def test_nested_keywords_as_form_fields(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    # Rails' way: field after field, a repeated field starting the next keyword.
    fields = [
        ("title", "form"),
        ("context[]", "home"),
        ("context[]", "thread"),
        ("keywords_attributes[][keyword]", "one"),
        ("keywords_attributes[][whole_word]", "false"),
        ("keywords_attributes[][keyword]", "two"),
    ]
    response = await client.post(
        "/api/v2/filters",
        headers=ana.headers | {"Content-Type": "application/x-www-form-urlencoded"},
        content=urlencode(fields),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert_entity("Filter", body)
    assert body["context"] == ["home", "thread"]
    assert [(k["keyword"], k["whole_word"]) for k in body["keywords"]] == [
        ("one", False),
        ("two", True),
    ]
    indexed = await client.post(
        "/api/v2/filters",
        headers=ana.headers,
        data={
            "title": "indexed",
            "context[]": "home",
            "keywords_attributes[0][keyword]": "alpha",
            "keywords_attributes[0][whole_word]": "false",
            "keywords_attributes[1][keyword]": "beta",
        },
    )
    assert indexed.status_code == 200, indexed.text
    assert [(k["keyword"], k["whole_word"]) for k in indexed.json()["keywords"]] == [
        ("alpha", False),
        ("beta", True),
    ]


async def test_keyword_and_status_routes(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    status = await post_photo(client, bo, "a post to hide")
    made = await make_filter(client, ana, title="t", context=["home"])
    base = f"/api/v2/filters/{made['id']}"
    added = await client.post(f"{base}/keywords", headers=ana.headers, json={"keyword": "kw"})
    assert added.status_code == 200, added.text
    keyword = added.json()
    assert_entity("FilterKeyword", keyword)
    assert keyword["whole_word"] is True
    assert (await client.get(f"{base}/keywords", headers=ana.headers)).json() == [keyword]
    one = await client.get(f"/api/v2/filters/keywords/{keyword['id']}", headers=ana.headers)
    assert one.json() == keyword
    edited = await client.put(
        f"/api/v2/filters/keywords/{keyword['id']}",
        headers=ana.headers,
        json={"keyword": "other", "whole_word": False},
    )
    assert edited.json() == {"id": keyword["id"], "keyword": "other", "whole_word": False}
    filtered = await client.post(
        f"{base}/statuses", headers=ana.headers, json={"status_id": status["id"]}
    )
    assert filtered.status_code == 200, filtered.text
    assert_entity("FilterStatus", filtered.json())
    assert filtered.json()["status_id"] == status["id"]
    again = await client.post(
        f"{base}/statuses", headers=ana.headers, json={"status_id": status["id"]}
    )
    assert again.status_code == 422
    assert (await client.get(f"{base}/statuses", headers=ana.headers)).json() == [filtered.json()]
    sid = filtered.json()["id"]
    got = await client.get(f"/api/v2/filters/statuses/{sid}", headers=ana.headers)
    assert got.json() == filtered.json()
    full = (await client.get(base, headers=ana.headers)).json()
    assert full["statuses"] == [filtered.json()]
    assert (await _counts(ctx)) == (1, 1, 1)
    assert (
        await client.delete(f"/api/v2/filters/statuses/{sid}", headers=ana.headers)
    ).json() == {}
    assert (
        await client.delete(f"/api/v2/filters/keywords/{keyword['id']}", headers=ana.headers)
    ).json() == {}
    assert (await _counts(ctx)) == (1, 0, 0)
    # A deleted post leaves the filters that named it.
    await client.post(f"{base}/statuses", headers=ana.headers, json={"status_id": status["id"]})
    assert (
        await client.delete(f"/api/v1/statuses/{status['id']}", headers=bo.headers)
    ).status_code == 200
    assert (await client.get(f"{base}/statuses", headers=ana.headers)).json() == []


# --- the v1 routes ------------------------------------------------------------------------


async def test_v1_filters_are_keywords_of_v2_filters(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    response = await client.post(
        "/api/v1/filters",
        headers=ana.headers,
        data={
            "phrase": "Politics",
            "context[]": ["home", "notifications"],
            "irreversible": "true",
            "whole_word": "false",
            "expires_in": "86400",
        },
    )
    assert response.status_code == 200, response.text
    v1 = response.json()
    assert_entity("V1Filter", v1)
    assert (v1["phrase"], v1["context"], v1["irreversible"], v1["whole_word"]) == (
        "Politics",
        ["home", "notifications"],
        True,
        False,
    )
    assert v1["expires_at"] is not None
    [v2] = (await client.get("/api/v2/filters", headers=ana.headers)).json()
    assert (v2["title"], v2["filter_action"]) == ("Politics", "hide")
    assert [k["id"] for k in v2["keywords"]] == [v1["id"]]  # the v1 id is the keyword's
    assert (await client.get("/api/v1/filters", headers=ana.headers)).json() == [v1]
    assert (await client.get(f"/api/v1/filters/{v1['id']}", headers=ana.headers)).json() == v1
    changed = await client.put(
        f"/api/v1/filters/{v1['id']}",
        headers=ana.headers,
        json={"phrase": "elections", "context": ["public"], "irreversible": False},
    )
    assert changed.status_code == 200, changed.text
    assert_entity("V1Filter", changed.json())
    assert (changed.json()["phrase"], changed.json()["context"]) == ("elections", ["public"])
    assert changed.json()["irreversible"] is False
    # A second keyword: the filter's settings can no longer change through v1.
    await client.post(
        f"/api/v2/filters/{v2['id']}/keywords", headers=ana.headers, json={"keyword": "vote"}
    )
    refused = await client.put(
        f"/api/v1/filters/{v1['id']}", headers=ana.headers, json={"context": ["home"]}
    )
    assert refused.status_code == 422
    assert (await client.get(f"/api/v1/filters/{v1['id']}", headers=ana.headers)).json()[
        "context"
    ] == ["public"]
    assert len((await client.get("/api/v1/filters", headers=ana.headers)).json()) == 2
    gone = await client.delete(f"/api/v1/filters/{v1['id']}", headers=ana.headers)
    assert (gone.status_code, gone.json()) == (200, {})
    assert [
        f["phrase"] for f in (await client.get("/api/v1/filters", headers=ana.headers)).json()
    ] == ["vote"]


# --- hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"title": "", "context": ["home"]},
        {"title": "   ", "context": ["home"]},
        {"context": ["home"]},
        {"title": "t"},
        {"title": "t", "context": []},
        {"title": "t", "context": ["home", "everywhere"]},
        {"title": "t", "context": "bogus"},
        {"title": "t", "context": ["home"], "filter_action": "blur"},
        {"title": "t", "context": ["home"], "filter_action": "delete"},
        {"title": "t", "context": ["home"], "expires_in": -5},
        {"title": "t", "context": ["home"], "expires_in": 0},
        {"title": "t", "context": ["home"], "expires_in": "soon"},
        {"title": "t", "context": ["home"], "expires_in": "1e3"},
        {"title": "t", "context": ["home"], "expires_in": 10**30},
        {"title": "t", "context": ["home"], "expires_in": True},
        {"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": ""}]},
        {"title": "t", "context": ["home"], "keywords_attributes": [{"whole_word": True}]},
        {"title": "t", "context": ["home"], "keywords_attributes": "x"},
        {"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": "a\u0000"}]},
        {"title": "x" * 5000, "context": ["home"]},
        {"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": "k" * 5000}]},
        {"title": "t", "context": [["home"]]},
    ],
)
async def test_bad_filters_are_refused_and_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext, body: dict[str, Any]
) -> None:
    ana = await sign_up(client, "ana")
    response = await client.post("/api/v2/filters", headers=ana.headers, json=body)
    assert response.status_code == 422, response.text
    assert "error" in response.json()
    assert await _counts(ctx) == (0, 0, 0)


@pytest.mark.parametrize(
    "body",
    [
        {"phrase": "", "context": ["home"]},
        {"phrase": " ", "context": ["home"]},
        {"context": ["home"]},
        {"phrase": "p", "context": ["nowhere"]},
        {"phrase": "p", "context": ["home"], "expires_in": "-1"},
        {"phrase": "p", "context": ["home"], "expires_in": "abc"},
        {"phrase": "p", "context": ["home"], "irreversible": "perhaps"},
    ],
)
async def test_bad_v1_filters_are_refused(
    client: httpx.AsyncClient, ctx: AppContext, body: dict[str, Any]
) -> None:
    ana = await sign_up(client, "ana")
    response = await client.post("/api/v1/filters", headers=ana.headers, json=body)
    assert response.status_code == 422, response.text
    assert await _counts(ctx) == (0, 0, 0)


async def test_bad_changes_are_refused_and_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    made = await make_filter(
        client, ana, title="t", context=["home"], keywords_attributes=[{"keyword": "k"}]
    )
    other = await make_filter(
        client, ana, title="o", context=["home"], keywords_attributes=[{"keyword": "o"}]
    )
    url = f"/api/v2/filters/{made['id']}"
    bodies: list[dict[str, Any]] = [
        {"title": ""},
        {"context": []},
        {"context": ["nope"]},
        {"filter_action": "blur"},
        {"expires_in": "-3"},
        # A keyword of another filter, and a valid change sent with it: neither is applied.
        {
            "title": "new",
            "keywords_attributes": [{"id": other["keywords"][0]["id"], "keyword": "x"}],
        },
        {"title": "new", "keywords_attributes": [{"keyword": "   "}]},
    ]
    for body in bodies:
        response = await client.put(url, headers=ana.headers, json=body)
        assert response.status_code in (404, 422), (body, response.text)
    assert (await client.get(url, headers=ana.headers)).json() == made
    assert (await client.get(f"/api/v2/filters/{other['id']}", headers=ana.headers)).json() == other
    keyword_url = f"/api/v2/filters/keywords/{made['keywords'][0]['id']}"
    assert (
        await client.put(keyword_url, headers=ana.headers, json={"keyword": ""})
    ).status_code == 422
    for status_id in ("999999", "abc", "", "-1"):
        response = await client.post(
            f"{url}/statuses", headers=ana.headers, json={"status_id": status_id}
        )
        assert response.status_code == 422, response.text
    assert await _counts(ctx) == (2, 2, 0)


async def test_someone_elses_filters_are_not_found(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    post = await post_photo(client, ana, "mine")
    made = await make_filter(
        client, ana, title="t", context=["home"], keywords_attributes=[{"keyword": "k"}]
    )
    kid = made["keywords"][0]["id"]
    status = await client.post(
        f"/api/v2/filters/{made['id']}/statuses",
        headers=ana.headers,
        json={"status_id": post["id"]},
    )
    sid = status.json()["id"]
    fid = made["id"]
    for method, path, body in (
        ("GET", f"/api/v2/filters/{fid}", None),
        ("PUT", f"/api/v2/filters/{fid}", {"title": "mine now"}),
        ("DELETE", f"/api/v2/filters/{fid}", None),
        ("GET", f"/api/v2/filters/{fid}/keywords", None),
        ("POST", f"/api/v2/filters/{fid}/keywords", {"keyword": "x"}),
        ("GET", f"/api/v2/filters/keywords/{kid}", None),
        ("PUT", f"/api/v2/filters/keywords/{kid}", {"keyword": "x"}),
        ("DELETE", f"/api/v2/filters/keywords/{kid}", None),
        ("GET", f"/api/v2/filters/{fid}/statuses", None),
        ("POST", f"/api/v2/filters/{fid}/statuses", {"status_id": post["id"]}),
        ("GET", f"/api/v2/filters/statuses/{sid}", None),
        ("DELETE", f"/api/v2/filters/statuses/{sid}", None),
        ("GET", f"/api/v1/filters/{kid}", None),
        ("PUT", f"/api/v1/filters/{kid}", {"phrase": "x"}),
        ("DELETE", f"/api/v1/filters/{kid}", None),
        ("GET", "/api/v2/filters/99999999999", None),
        ("GET", "/api/v1/filters/99999999999", None),
        ("GET", "/api/v2/filters/99999999999999999999999", None),
    ):
        response = await client.request(method, path, headers=bo.headers, json=body)
        assert response.status_code == 404, (method, path, response.text)
    assert (await client.get("/api/v2/filters", headers=bo.headers)).json() == []
    assert (await client.get("/api/v1/filters", headers=bo.headers)).json() == []
    assert (await client.get(f"/api/v2/filters/{fid}", headers=ana.headers)).json()["title"] == "t"
    assert await _counts(ctx) == (1, 1, 1)


async def test_scopes(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    assert (await client.get("/api/v2/filters")).status_code == 401
    token = await password_grant(client, "ana@example.com", "correct horse battery", scope="read")
    assert token.status_code == 200, token.text
    reader = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await client.get("/api/v2/filters", headers=reader)).status_code == 200
    assert (await client.get("/api/v1/filters", headers=reader)).status_code == 200
    refused = await client.post(
        "/api/v2/filters", headers=reader, json={"title": "t", "context": ["home"]}
    )
    assert refused.status_code == 403
    assert (await client.get("/api/v2/filters", headers=ana.headers)).json() == []


# --- application ------------------------------------------------------------------------------


def _matches(status: dict[str, Any]) -> list[tuple[str, list[str] | None, list[str] | None]]:
    return [
        (r["filter"]["title"], r["keyword_matches"], r["status_matches"])
        for r in status.get("filtered") or []
    ]


async def test_keyword_matching_rules(client: httpx.AsyncClient, ctx: AppContext) -> None:
    """Case-insensitive; whole words only between word boundaries; spoiler text and media
    descriptions count; expired filters and other contexts do not; own posts are filtered."""
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    posts: dict[str, dict[str, Any]] = {
        "cat": await post_photo(client, bo, "My CAT sleeps"),
        "category": await post_photo(client, bo, "a category of its own"),
        "described": await _described_post(client, bo, "alt: a Dog on a sofa"),
        "spoiler": await _spoiler_post(client, bo, "Finale inside", "nothing here"),
        "own": await post_photo(client, ana, "my own cat picture"),
        "html": await post_photo(client, bo, "fish & chips <b>"),
    }
    await make_filter(
        client, ana, title="cats", context=["account"], keywords_attributes=[{"keyword": "cat"}]
    )
    await make_filter(
        client,
        ana,
        title="cat-ish",
        context=["account"],
        keywords_attributes=[{"keyword": "categ", "whole_word": False}],
    )
    await make_filter(
        client,
        ana,
        title="dogs",
        context=["account"],
        keywords_attributes=[{"keyword": "dog", "whole_word": True}, {"keyword": "finale"}],
    )
    await make_filter(
        client,
        ana,
        title="chips",
        context=["account"],
        keywords_attributes=[{"keyword": "& chips <b>"}],
    )
    await make_filter(  # another context: no effect on profiles
        client,
        ana,
        title="home only",
        context=["home"],
        keywords_attributes=[{"keyword": "sleeps"}],
    )
    expired = await make_filter(
        client, ana, title="old", context=["account"], keywords_attributes=[{"keyword": "own"}]
    )
    async with ctx.db.write() as session:
        await session.execute(
            update(Filter)
            .where(Filter.id == int(expired["id"]))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )

    async def profile(user: User) -> dict[str, dict[str, Any]]:
        response = await client.get(f"/api/v1/accounts/{user.id}/statuses", headers=ana.headers)
        assert response.status_code == 200, response.text
        return {s["id"]: s for s in response.json()}

    seen = await profile(bo) | await profile(ana)
    for status in seen.values():
        assert_entity("Status", status)
    assert _matches(seen[posts["cat"]["id"]]) == [("cats", ["CAT"], None)]
    assert _matches(seen[posts["category"]["id"]]) == [("cat-ish", ["categ"], None)]
    assert _matches(seen[posts["described"]["id"]]) == [("dogs", ["Dog"], None)]
    assert _matches(seen[posts["spoiler"]["id"]]) == [("dogs", ["Finale"], None)]
    assert _matches(seen[posts["own"]["id"]]) == [("cats", ["cat"], None)]
    assert _matches(seen[posts["html"]["id"]]) == [("chips", ["& chips <b>"], None)]
    result = seen[posts["cat"]["id"]]["filtered"][0]
    assert_entity("FilterResult", result)
    assert "keywords" not in result["filter"]
    # Anonymous readers see no matches.
    anonymous = (await client.get(f"/api/v1/accounts/{bo.id}/statuses")).json()
    assert all(s["filtered"] == [] for s in anonymous)


async def _described_post(
    client: httpx.AsyncClient, user: User, description: str
) -> dict[str, Any]:
    media = await upload_photo(client, user, description=description)
    response = await client.post(
        "/api/v1/statuses", headers=user.headers, json={"status": "", "media_ids": [media["id"]]}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _spoiler_post(
    client: httpx.AsyncClient, user: User, spoiler: str, caption: str
) -> dict[str, Any]:
    media = await upload_photo(client, user)
    response = await client.post(
        "/api/v1/statuses",
        headers=user.headers,
        json={"status": caption, "spoiler_text": spoiler, "media_ids": [media["id"]]},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_thread_context_and_status_page(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    root = await post_photo(client, bo, "a quiet lake")
    replies = []
    for text in ("lovely", "spam spam", "rude words here"):
        response = await client.post(
            "/api/v1/statuses",
            headers=bo.headers,
            json={"status": text, "in_reply_to_id": root["id"]},
        )
        assert response.status_code == 200, response.text
        replies.append(response.json())
    await make_filter(
        client,
        ana,
        title="spam",
        context=["thread"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "spam"}],
    )
    await make_filter(
        client, ana, title="rude", context=["thread"], keywords_attributes=[{"keyword": "rude"}]
    )
    context = await client.get(f"/api/v1/statuses/{root['id']}/context", headers=ana.headers)
    assert context.status_code == 200, context.text
    descendants = context.json()["descendants"]
    for status in descendants:
        assert_entity("Status", status)
    assert [s["id"] for s in descendants] == [replies[0]["id"], replies[2]["id"]]
    assert _matches(descendants[1]) == [("rude", ["rude"], None)]
    assert descendants[0]["filtered"] == []
    # The status page shows what was asked for, marked with every match (hide too).
    page = await client.get(f"/api/v1/statuses/{replies[1]['id']}", headers=ana.headers)
    assert page.status_code == 200
    assert_entity("Status", page.json())
    assert [r["filter"]["filter_action"] for r in page.json()["filtered"]] == ["hide"]
    # Someone else's view is untouched.
    other = await client.get(f"/api/v1/statuses/{root['id']}/context", headers=bo.headers)
    assert len(other.json()["descendants"]) == 3


async def test_public_and_tag_timelines(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    kept = await post_photo(client, bo, "sunset #sky")
    hidden = await post_photo(client, bo, "crypto giveaway #sky")
    warned = await post_photo(client, bo, "storm clouds #sky")
    await make_filter(
        client,
        ana,
        title="scams",
        context=["public"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "crypto"}],
    )
    storm = await make_filter(client, ana, title="storms", context=["public"])
    response = await client.post(
        f"/api/v2/filters/{storm['id']}/statuses",
        headers=ana.headers,
        json={"status_id": warned["id"]},
    )
    assert response.status_code == 200
    for path in ("/api/v1/timelines/tag/sky", "/api/v1/timelines/public"):
        page = await client.get(path, headers=ana.headers)
        assert page.status_code == 200, page.text
        ids = [s["id"] for s in page.json()]
        assert ids == [warned["id"], kept["id"]], path
        assert _matches(page.json()[0]) == [("storms", None, [warned["id"]])]
        assert_entity("Status", page.json()[0])
        anonymous = [s["id"] for s in (await client.get(path)).json()]
        assert hidden["id"] in anonymous


async def test_notifications_are_filtered(client: httpx.AsyncClient, run_jobs: RunJobs) -> None:
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    await follow(client, bo, ana)
    hidden = await post_photo(client, ana, "my secret recipe")
    warned = await post_photo(client, ana, "my spicy curry")
    plain = await post_photo(client, ana, "my garden")
    for status in (hidden, warned, plain):
        liked = await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bo.headers)
        assert liked.status_code == 200
    await run_jobs()
    await make_filter(
        client,
        ana,
        title="secrets",
        context=["notifications"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "secret"}],
    )
    await make_filter(
        client,
        ana,
        title="spice",
        context=["notifications"],
        keywords_attributes=[{"keyword": "spicy"}],
    )
    v1 = await client.get("/api/v1/notifications?types[]=favourite", headers=ana.headers)
    assert v1.status_code == 200, v1.text
    by_status = {n["status"]["id"]: n for n in v1.json()}
    assert set(by_status) == {warned["id"], plain["id"]}
    for notification in v1.json():
        assert_entity("Notification", notification)
    assert _matches(by_status[warned["id"]]["status"]) == [("spice", ["spicy"], None)]
    assert by_status[plain["id"]]["status"]["filtered"] == []
    v2 = await client.get("/api/v2/notifications", headers=ana.headers)
    assert v2.status_code == 200, v2.text
    statuses = {s["id"]: s for s in v2.json()["statuses"]}
    assert set(statuses) == {warned["id"], plain["id"]}
    assert _matches(statuses[warned["id"]]) == [("spice", ["spicy"], None)]
    groups = v2.json()["notification_groups"]
    assert {g.get("status_id") for g in groups if g["type"] == "favourite"} == {
        warned["id"],
        plain["id"],
    }
    # A follow notification has no status: filters leave it alone.
    follows = await client.get("/api/v1/notifications?types[]=follow", headers=ana.headers)
    assert len(follows.json()) == 1


async def test_a_deleted_accounts_filters_go_with_it(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs
) -> None:
    ana = await sign_up(client, "ana")
    bo = await sign_up(client, "bo")
    post = await post_photo(client, bo, "something")
    made = await make_filter(
        client, ana, title="t", context=["home"], keywords_attributes=[{"keyword": "k"}]
    )
    await client.post(
        f"/api/v2/filters/{made['id']}/statuses",
        headers=ana.headers,
        json={"status_id": post["id"]},
    )
    await make_filter(
        client, bo, title="b", context=["home"], keywords_attributes=[{"keyword": "b"}]
    )
    assert await _counts(ctx) == (2, 2, 1)
    gone = await client.post(
        "/api/v1/shutter/account/delete",
        headers=ana.headers,
        data={"password": "correct horse battery"},
    )
    assert gone.status_code == 202, gone.text
    await run_jobs()
    assert await _counts(ctx) == (1, 1, 0)
