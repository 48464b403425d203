"""Domain blocks: kept, normalised and listed as Mastodon does (with no federation they
hide nobody), refused with a 422 for anything that is not a domain name."""

from __future__ import annotations

import httpx

from tests.support.api import User, post_photo, sign_up


async def _list(client: httpx.AsyncClient, user: User, **query: str) -> httpx.Response:
    response = await client.get("/api/v1/domain_blocks", headers=user.headers, params=query)
    assert response.status_code == 200, response.text
    return response


async def _block(client: httpx.AsyncClient, user: User, domain: object) -> httpx.Response:
    return await client.post("/api/v1/domain_blocks", headers=user.headers, json={"domain": domain})


async def test_block_list_and_unblock(client: httpx.AsyncClient) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    for domain in ("spam.example", "Loud.Example.", "bücher.example", "https://x.example/about"):
        response = await _block(client, ana, domain)
        assert response.status_code == 200, (domain, response.text)
        assert response.json() == {}
    assert (await _block(client, ana, "spam.example")).status_code == 200  # twice: one block
    listed = (await _list(client, ana)).json()
    # Newest first, lowercase, internationalised names in their ASCII form.
    assert listed == ["x.example", "xn--bcher-kva.example", "loud.example", "spam.example"]
    assert (await _list(client, bob)).json() == []
    # A query parameter works as well as a body, as clients send either.
    gone = await client.request(
        "DELETE", "/api/v1/domain_blocks", headers=ana.headers, params={"domain": "LOUD.example"}
    )
    assert gone.status_code == 200 and gone.json() == {}
    again = await client.request(
        "DELETE", "/api/v1/domain_blocks", headers=ana.headers, data={"domain": "never.example"}
    )
    assert again.status_code == 200
    assert "loud.example" not in (await _list(client, ana)).json()
    # Nothing is hidden: every account lives on this instance's domain.
    status = await post_photo(client, bob, "still here")
    seen = await client.get(f"/api/v1/statuses/{status['id']}", headers=ana.headers)
    assert seen.status_code == 200
    relationship = await client.get(
        "/api/v1/accounts/relationships", params={"id[]": bob.id}, headers=ana.headers
    )
    assert relationship.json()[0]["domain_blocking"] is False


async def test_pages_with_link_headers(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    for n in range(5):
        assert (await _block(client, ana, f"d{n}.example")).status_code == 200
    first = await _list(client, ana, limit="2")
    assert first.json() == ["d4.example", "d3.example"]
    assert 'rel="next"' in first.headers["link"]
    next_url = first.headers["link"].split(";")[0].strip("<>")
    second = await client.get(next_url, headers=ana.headers)
    assert second.json() == ["d2.example", "d1.example"]
    assert (await _list(client, ana, limit="1000")).json()[-1] == "d0.example"
    assert (
        await client.get("/api/v1/domain_blocks", headers=ana.headers, params={"max_id": "x"})
    ).status_code == 422


async def test_nonsense_is_refused_and_changes_nothing(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana")
    await _block(client, ana, "kept.example")
    for domain in (
        "",
        "   ",
        "not a domain",
        "-bad.example",
        "bad-.example",
        "a..b",
        "a/b",
        "x" * 64 + ".example",
        ("a" * 60 + ".") * 5 + "example",
        "semi;colon.example",
        "nul\x00.example",
        "tab\t.example",
        ["list.example"],
        {"a": "b"},
        "x" * 2000,
    ):
        response = await _block(client, ana, domain)
        assert 400 <= response.status_code < 500 and response.status_code != 404, (
            domain,
            response.text,
        )
        assert "error" in response.json()
    missing = await client.post("/api/v1/domain_blocks", headers=ana.headers, json={})
    assert missing.status_code == 422
    assert (await client.get("/api/v1/domain_blocks")).status_code == 401
    assert (
        await client.post("/api/v1/domain_blocks", json={"domain": "a.example"})
    ).status_code == 401
    assert (await _list(client, ana)).json() == ["kept.example"]
