"""Hostile text: NULs and lone surrogates, in any text parameter, a stored header, a form
in an odd charset or deep in nested JSON, are a 422 naming the field: PostgreSQL cannot
store either and SQLite's full-text parser stops at a NUL (shutter/infra/params.py). Odd
text in a secret (the log-in form's token) is a wrong secret, never a 500.

tests/test_hostile_sweep.py sends these and other hostile values to every text parameter
of every write route; this file pins the exact answers for each kind of request.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx

from tests.support.api import register_app, upload_photo
from tests.support.hostile import World, world

__all__ = ["world"]  # a fixture used by these tests


def _text_requests(w: World, media_id: str, app: dict[str, str], text: str) -> list[Any]:
    """(method, url, keyword arguments, who, the field named) for every kind of text."""
    oob = "urn:ietf:wg:oauth:2.0:oob"
    client = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    authorize = {"response_type": "code", "redirect_uri": oob, "scope": "read"}
    status = f"/api/v1/statuses/{w.status_id}"
    profile = "/api/v1/accounts/update_credentials"
    password = _form(grant_type="password", **client, username=text, password="x")
    credentials = _form(grant_type="client_credentials", client_id=text)
    media = f"/api/v1/media/{media_id}"
    post = "/api/v1/statuses"
    return [
        ("POST", post, _json(status=text, media_ids=[media_id]), w.ana, "status"),
        ("POST", post, _json(status=text, in_reply_to_id=w.status_id), w.bob, "status"),
        ("PUT", status, _json(status=text), w.ana, "status"),
        ("PATCH", profile, _form(display_name=text), w.ana, "display_name"),
        ("PATCH", profile, _form(note=text), w.ana, "note"),
        ("PUT", media, _form(description=text), w.ana, "description"),
        ("POST", "/api/v1/apps", _form(client_name=text, redirect_uris=oob), None, "client_name"),
        ("POST", "/oauth/token", password, None, "username"),
        ("POST", "/oauth/token", credentials, None, "client_id"),
        ("POST", "/oauth/revoke", _form(client_id=text, token="t"), None, "client_id"),
        ("GET", "/oauth/authorize", _query(**authorize, client_id=text), None, "client_id"),
        ("POST", "/oauth/authorize", _form(**authorize, **client, username=text), None, "username"),
        ("GET", "/api/v2/search", _query(q=text), None, "q"),
        ("GET", "/api/v2/search", _query(q="#" + text, type="hashtags"), w.ana, "q"),
        ("GET", "/api/v1/accounts/search", _query(q=text), w.ana, "q"),
        ("GET", "/api/v1/accounts/lookup", _query(acct=text), None, "acct"),
        ("GET", "/api/v1/notifications", _query(**{"types[]": text}), w.ana, "types"),
        ("GET", "/api/v1/timelines/tag/cats", _query(**{"any[]": text}), None, "any"),
    ]  # fmt: skip


def _json(**values: Any) -> dict[str, Any]:
    return {"json": values}


def _form(**values: Any) -> dict[str, Any]:
    return {"data": values}


def _query(**values: Any) -> dict[str, Any]:
    return {"params": values}


async def test_a_nul_in_any_text_parameter_is_422(client: httpx.AsyncClient, world: World) -> None:
    media = await upload_photo(client, world.ana)
    app = await register_app(client)
    for text in ("\x00", "ana\x00", "a\x00b"):
        for method, url, kwargs, who, field in _text_requests(world, media["id"], app, text):
            headers = who.headers if who else {}
            response = await client.request(method, url, headers=headers, **kwargs)
            assert response.status_code == 422, (url, kwargs, response.text)
            error = response.json()["error"]
            assert error.startswith("Validation failed: ") and field in error, error
            assert "NUL" in error, error


async def test_a_nul_in_a_header_that_is_stored_is_422(
    client: httpx.AsyncClient, world: World
) -> None:
    media = await upload_photo(client, world.ana)
    response = await client.post(
        "/api/v1/statuses",
        json={"status": "x", "media_ids": [media["id"]]},
        headers={**world.ana.headers, "Idempotency-Key": "key\x00"},
    )
    assert response.status_code == 422, response.text
    assert "Idempotency-Key" in response.json()["error"]
    # Client credentials in a Basic header: no client has a NUL in its id.
    basic = base64.b64encode(b"client\x00id:secret").decode()
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


async def test_lone_surrogates_are_422(client: httpx.AsyncClient, world: World) -> None:
    media = await upload_photo(client, world.ana)
    json_headers = {**world.ana.headers, "Content-Type": "application/json"}
    media_id = media["id"].encode()
    for raw, field in (
        (b'{"status": "a\\ud800b", "media_ids": ["%s"]}' % media_id, "status"),
        (b'{"status": "\\udfff", "media_ids": ["%s"]}' % media_id, "status"),
        (b'{"status": "x", "media_ids": ["%s"], "\\ud800": 1}' % media_id, "parameter name"),
    ):
        response = await client.post("/api/v1/statuses", content=raw, headers=json_headers)
        assert response.status_code == 422, (raw, response.text)
        assert field in response.json()["error"], response.text
    # A form whose declared charset (UTF-7) decodes to a lone surrogate.
    form = b'--b\r\nContent-Disposition: form-data; name="display_name"\r\n\r\n+2AA-\r\n--b--\r\n'
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        content=form,
        headers={
            **world.ana.headers,
            "Content-Type": "multipart/form-data; charset=utf-7; boundary=b",
        },
    )
    assert response.status_code == 422, response.text
    assert "display_name is not valid Unicode" in response.json()["error"]
    # Invalid JSON is still a 400.
    response = await client.post(
        "/api/v1/statuses", content=b'{"status": NaN}', headers=json_headers
    )
    assert response.status_code == 400, response.text


async def test_a_form_token_that_names_no_time_is_refused(client: httpx.AsyncClient) -> None:
    """The log-in form's token starts with the time it was issued: digits no ASCII
    number, too many of them, or non-ASCII text past them make a wrong token (400), never
    a 500 (int() and hmac.compare_digest raise on each)."""
    app = await register_app(client)
    form = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "scope": "read",
        "decision": "allow",
    }
    now = str(int(time.time()))
    for csrf in ("²", "²." + "0" * 64, "9" * 5000 + ".x", f"{now}.\u202e", f"{now}.é"):
        response = await client.post("/oauth/authorize", data={**form, "csrf": csrf})
        assert response.status_code == 400, (csrf, response.text)
        assert response.json()["error"] == "invalid_request", response.text


async def test_text_deep_in_nested_parameters_is_checked(
    client: httpx.AsyncClient, world: World
) -> None:
    """JSON nests as deep as the parser allows (past Python's recursion limit): the
    check on every text value reaches the bottom without failing itself."""
    for depth, text in ((1000, "\\u0000"), (500, "\\ud800")):
        body = '{"status": "x", "poll": ' + "[" * depth + f'"{text}"' + "]" * depth + "}"
        response = await client.post(
            "/api/v1/statuses",
            content=body.encode(),
            headers={**world.ana.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"].startswith("Validation failed: poll.0.0.0")
