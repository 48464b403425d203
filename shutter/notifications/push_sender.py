"""Sending one Web Push message: HTTP to a push service, never to a private address.

A push endpoint is a URL a client chose, so sending to it is a request made on a
stranger's behalf from inside the instance's network (SSRF). The rules:

- only https, to a host whose every address is public (`ipaddress.is_global`); with
  SHUTTER_PUSH_ALLOW_INSECURE, also http or https to this machine's loopback (tests, a
  laptop), and still never to another private network;
- the name is resolved once, checked, and the connection made to the checked address
  (the Host header and TLS name stay the endpoint's), so a DNS answer that changes
  between check and connect (rebinding) reaches nothing it should not;
- no redirects, bounded time (SHUTTER_PUSH_TIMEOUT_SECONDS), the answer's body unread.

What the answer means (retry, drop the subscription, done) is the service's to decide
(`service/push.py`); this module only reports it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The endpoint is not one the instance may send to (a private address…)."""


class Unreachable(Exception):
    """The push service could not be reached (DNS, connection, timeout): worth a retry."""


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None = None


def endpoint_problem(endpoint: str, *, allow_insecure: bool) -> str | None:
    """Why `endpoint` cannot be a push endpoint (checked when subscribing), or None.

    Names are resolved only when sending; an address literal is checked at once.
    """
    if len(endpoint) > 2048:
        return "is longer than 2048 characters"
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return "is not a URL"
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return "is not an https URL"
    del port  # parsed only to refuse a bad one
    local = host in LOOPBACK_NAMES
    if parts.scheme == "http" and not (allow_insecure and local):
        return "is not an https URL"
    if local:
        return None if allow_insecure else "is not a public address"
    literal = _literal(host)
    if literal is not None and not _allowed(literal, allow_insecure=allow_insecure):
        return "is not a public address"
    return None


def _literal(host: str) -> _Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _allowed(address: _Address, *, allow_insecure: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return allow_insecure
    return address.is_global and not address.is_multicast


async def _resolve(host: str, port: int) -> list[_Address]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Unreachable(f"cannot resolve {host}: {exc}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def post(
    endpoint: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_insecure: bool,
    time_limit: float,
) -> Answer:
    """POST `body` to `endpoint` under the rules above; Refused or Unreachable if not sent."""
    problem = endpoint_problem(endpoint, allow_insecure=allow_insecure)
    if problem is not None:
        raise Refused(f"the endpoint {problem}")
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await _resolve(host, port)
    if not addresses or not all(_allowed(a, allow_insecure=allow_insecure) for a in addresses):
        raise Refused(f"{host} resolves to an address the instance does not send to")
    pinned = addresses[0]
    netloc = f"[{pinned}]" if pinned.version == 6 else str(pinned)
    url = urlunsplit((parts.scheme, f"{netloc}:{port}", parts.path or "/", parts.query, ""))
    headers = {**headers, "Host": parts.netloc.rsplit("@", 1)[-1]}
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    limits = httpx.Timeout(time_limit, connect=min(time_limit, 5.0))
    try:
        async with httpx.AsyncClient(
            timeout=limits, follow_redirects=False, trust_env=False
        ) as http:
            request = http.build_request("POST", url, content=body, headers=headers)
            request.extensions.update(extensions)
            response = await http.send(request, stream=True)
            await response.aclose()
    except httpx.HTTPError as exc:
        raise Unreachable(f"{type(exc).__name__}: {exc}") from None
    return Answer(response.status_code, response.headers.get("retry-after"))
