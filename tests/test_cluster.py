"""Many instances behind nginx behave as one: tokens, rate limits, feeds, notifications and
streaming work whichever instance a request lands on.

Three `shutter serve` processes and one `shutter worker` share a PostgreSQL database and
Redis (tests/support/cluster.py); nginx balances round-robin over the three. Where a test
must know which instance answers, it talks to an instance's own port.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.support.api import User, follow, register_app, sign_up
from tests.support.clients import home_ids, name, post_small_photo, wait_for
from tests.support.cluster import Cluster, start_cluster
from tests.support.schema import assert_entity

pytestmark = pytest.mark.cluster

PASSWORD = "correct horse battery"  # sign_up's default
LIMIT = 12  # requests per account (and per anonymous IP) per window, in the limited cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with start_cluster(tmp_path_factory.mktemp("cluster"), apis=3) as running:
        yield running


@pytest.fixture
async def clients(cluster: Cluster) -> AsyncIterator[list[httpx.AsyncClient]]:
    """[through nginx, instance 0, instance 1, instance 2]."""
    urls = [cluster.url, *(server.url for server in cluster.apis)]
    made = [httpx.AsyncClient(base_url=url, timeout=10) for url in urls]
    yield made
    for client in made:
        await client.aclose()


async def test_a_token_made_on_one_instance_works_on_every_other(
    clients: list[httpx.AsyncClient],
) -> None:
    nginx, first, second, third = clients
    ana = await sign_up(first, name("ana"))  # app, token and account all made on instance 0
    for http in (nginx, second, third, nginx, nginx):
        me = await http.get("/api/v1/accounts/verify_credentials", headers=ana.headers)
        assert me.status_code == 200, me.text
        assert_entity("CredentialAccount", me.json())
        assert me.json()["id"] == ana.id
    # An app registered on instance 1, a log-in on instance 2, a revocation on instance 0.
    app = await register_app(second)
    login = await third.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": ana.username,
            "password": PASSWORD,
            "scope": "read",
        },
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for http in clients:  # every instance now knows the token (and may remember it)
        assert (await http.get("/api/v1/accounts/verify_credentials", headers=headers)).json()[
            "id"
        ] == ana.id
    revoked = await first.post(
        "/oauth/revoke",
        data={
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "token": login.json()["access_token"],
        },
    )
    assert revoked.status_code == 200, revoked.text
    for http in clients:
        refused = await http.get("/api/v1/accounts/verify_credentials", headers=headers)
        assert refused.status_code == 401, refused.text
    # ana's first token was not touched.
    assert (await nginx.get("/api/v1/accounts/verify_credentials", headers=ana.headers)).is_success


async def test_a_post_through_one_instance_reaches_a_follower_read_through_another(
    clients: list[httpx.AsyncClient],
) -> None:
    nginx, first, second, third = clients
    ana, bo = await sign_up(nginx, name("ana")), await sign_up(nginx, name("bo"))
    await follow(first, ana, bo)
    assert await home_ids(third, ana) == []  # ana's feed exists (and is empty) before the post
    status, _ = await post_small_photo(second, bo, "posted through instance 1")

    async def arrived() -> bool:
        return status["id"] in await home_ids(third, ana)

    await wait_for(arrived, within=15, what="the worker's fan-out reaching ana's home feed")
    # Every instance now serves the same feed, and through nginx too.
    for http in clients:
        assert (await home_ids(http, ana))[:1] == [status["id"]]
    # An unfollow through one instance empties the feed as read through the others.
    unfollowed = await nginx.post(f"/api/v1/accounts/{bo.id}/unfollow", headers=ana.headers)
    assert unfollowed.status_code == 200

    async def removed() -> bool:
        feeds = [await home_ids(http, ana) for http in clients]
        return all(status["id"] not in feed for feed in feeds)

    await wait_for(removed, within=15, what="the unfollow removing bo's post everywhere")


async def test_notifications_made_through_one_instance_are_read_through_another(
    clients: list[httpx.AsyncClient],
) -> None:
    nginx, first, second, third = clients
    ana, bo = await sign_up(first, name("ana")), await sign_up(second, name("bo"))
    status, _ = await post_small_photo(first, ana, "like this")
    await follow(second, bo, ana)
    liked = await third.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bo.headers)
    assert liked.status_code == 200, liked.text

    found: list[dict[str, Any]] = []

    async def both() -> bool:
        response = await first.get("/api/v1/notifications", headers=ana.headers)
        assert response.status_code == 200, response.text
        found[:] = response.json()
        return len(found) == 2

    await wait_for(both, within=15, what="the follow and like notifications")
    for notification in found:
        assert_entity("Notification", notification)
        assert notification["account"]["id"] == bo.id
    assert sorted(n["type"] for n in found) == ["favourite", "follow"]
    [favourite] = [n for n in found if n["type"] == "favourite"]
    assert favourite["status"]["id"] == status["id"]
    # Read state set through one instance is seen through the others.
    cleared = await second.post("/api/v1/notifications/clear", headers=ana.headers)
    assert cleared.status_code == 200
    for http in (nginx, third):
        assert (await http.get("/api/v1/notifications", headers=ana.headers)).json() == []


def _ws(url: str, token: str, stream: str) -> str:
    return (
        url.replace("http://", "ws://") + f"/api/v1/streaming?access_token={token}&stream={stream}"
    )


async def _next_event(socket: websockets.ClientConnection, wait: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), wait))


async def test_a_socket_on_one_instance_receives_events_caused_through_another(
    cluster: Cluster, clients: list[httpx.AsyncClient]
) -> None:
    nginx, first, second, third = clients
    ana = await sign_up(nginx, name("ana"))
    fans = [await sign_up(nginx, name("fan")) for _ in range(3)]
    # Directly on instance 0; the follow goes through instance 1 and its notification is
    # made by the worker, a third process: only Redis pub/sub can carry it to the socket.
    async with websockets.connect(
        _ws(cluster.apis[0].url, ana.token, "user:notification")
    ) as socket:
        await asyncio.sleep(0.3)  # subscribed in Redis before the action
        await follow(second, fans[0], ana)
        event = await _next_event(socket)
    assert event["event"] == "notification"
    payload = json.loads(event["payload"])
    assert_entity("Notification", payload)
    assert (payload["type"], payload["account"]["id"]) == ("follow", fans[0].id)

    # Through nginx (the WebSocket upgrade is proxied): the socket lives on one instance,
    # and follows made directly through each of the others all reach it.
    async with websockets.connect(_ws(cluster.url, ana.token, "user:notification")) as socket:
        await asyncio.sleep(0.3)
        for fan, http in zip(fans, (first, second, third), strict=True):
            if fan is fans[0]:
                await http.post(f"/api/v1/accounts/{ana.id}/unfollow", headers=fan.headers)
            await follow(http, fan, ana)
        seen = [json.loads((await _next_event(socket))["payload"]) for _ in fans]
    assert sorted(p["account"]["id"] for p in seen) == sorted(f.id for f in fans)


async def test_followers_sockets_hear_of_a_post_from_the_workers_fanout(
    cluster: Cluster, clients: list[httpx.AsyncClient]
) -> None:
    nginx, *_, third = clients
    author = await sign_up(nginx, name("author"))
    readers = [await sign_up(nginx, name("reader")) for _ in range(2)]
    for reader in readers:
        await follow(nginx, reader, author)
    # Sockets on two instances; the post goes through a third and the worker fans it out.
    sockets = [
        await websockets.connect(_ws(server.url, reader.token, "user"))
        for server, reader in zip(cluster.apis[:2], readers, strict=True)
    ]
    try:
        await asyncio.sleep(0.3)  # subscribed in Redis before the post
        status, _ = await post_small_photo(third, author, "heard everywhere")
        for socket in sockets:
            event = await _next_event(socket, wait=15)
            assert event["event"] == "update"
            payload = json.loads(event["payload"])
            assert_entity("Status", payload)
            assert payload["id"] == status["id"]
    finally:
        for socket in sockets:
            await socket.close()


# --- rate limits: a cluster of its own, with a small budget ----------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    budget = {
        "SHUTTER_RATE_LIMIT_REQUESTS": str(LIMIT),
        "SHUTTER_RATE_LIMIT_LOGIN_REQUESTS": "1000",
    }
    with start_cluster(
        tmp_path_factory.mktemp("limited"), apis=2, worker=False, extra_env=budget
    ) as running:
        yield running


def _from(address: str, base_url: str) -> httpx.AsyncClient:
    """A client whose connections leave from `address` (any 127.x.y.z is this machine)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=10)


async def test_an_accounts_budget_is_shared_by_every_instance(limited: Cluster) -> None:
    urls = [server.url for server in limited.apis]
    async with _from("127.0.0.2", limited.url) as nginx:
        # Signing up spends the anonymous budget of 127.0.0.2 and one request of ana's.
        ana: User = await sign_up(nginx, name("ana"))
    remaining: list[int] = []
    async with httpx.AsyncClient(timeout=10) as http:
        for n in range(LIMIT * 2):
            response = await http.get(
                f"{urls[n % 2]}/api/v1/accounts/verify_credentials", headers=ana.headers
            )
            if response.status_code == 429:
                break
            assert response.status_code == 200, response.text
            remaining.append(int(response.headers["X-RateLimit-Remaining"]))
        # The account's requests on both instances were counted against one budget:
        # sign-up's verify_credentials plus these make exactly LIMIT.
        assert len(remaining) == LIMIT - 1, remaining
        assert remaining[-1] == 0
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1
        for url in (*urls, limited.url):  # refused everywhere now
            refused = await http.get(
                f"{url}/api/v1/accounts/verify_credentials", headers=ana.headers
            )
            assert refused.status_code == 429
            assert refused.json() == {"error": "Too many requests"}


async def test_anonymous_budgets_follow_the_client_address_through_nginx(limited: Cluster) -> None:
    async with _from("127.0.0.3", limited.url) as one, _from("127.0.0.4", limited.url) as other:
        answers = [await one.get("/api/v1/instance") for _ in range(LIMIT + 1)]
        statuses = [a.status_code for a in answers]
        # Round-robin spread these over both instances; the budget is still one.
        assert statuses == [200] * LIMIT + [429], [
            a.headers.get("X-RateLimit-Remaining") for a in answers
        ]
        # Another client address behind the same nginx has its own budget: nginx passes
        # the address in X-Forwarded-For and the instances believe it from 127.0.0.1 only.
        fresh = await other.get("/api/v1/instance")
        assert fresh.status_code == 200
        assert int(fresh.headers["X-RateLimit-Remaining"]) == LIMIT - 1
        # A client cannot pick its own bucket: nginx overwrites the header it sends.
        spoofed = await one.get("/api/v1/instance", headers={"X-Forwarded-For": "10.9.8.7"})
        assert spoofed.status_code == 429
