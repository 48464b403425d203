"""A Web Push service on 127.0.0.1 for tests: it checks and decrypts what arrives.

It plays both the push service and the browser behind it: it holds a real P-256 key
pair and auth secret (the subscription's `keys`), verifies the VAPID token of each
request against the instance's public key (RFC 8292), decrypts the body with `http_ece`
(an implementation independent of Shutter's, RFC 8291) and records the JSON. What it
answers is programmable (`answer`): 201 by default, or 410, 500… to drive the sender's
error paths. A request that fails a check is answered 400 and recorded in `errors`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]


@dataclass
class PushReceiver:
    server_key: str = ""  # the instance's VAPID public key, checked on every request
    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))
    deliveries: list[Delivery] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # next statuses; then 201
    requests: int = 0
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def endpoint(self, name: str = "device") -> str:
        return f"http://127.0.0.1:{self.port}/push/{name}"

    def answer(self, *statuses: int) -> None:
        self.answers.extend(statuses)

    async def start(self) -> PushReceiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests += 1
            status = self._check(method, path, headers, body)
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n".encode())
            await writer.drain()
        finally:
            writer.close()

    def _check(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        try:
            assert method == "POST", method
            assert headers.get("content-encoding") == "aes128gcm", headers
            assert int(headers["ttl"]) > 0
            assert headers.get("urgency") in ("very-low", "low", "normal", "high")
            self._check_vapid(headers.get("authorization", ""))
            plain = http_ece.decrypt(
                body, private_key=self.private, auth_secret=self.auth_secret, version="aes128gcm"
            )
            payload = json.loads(plain)
        except (AssertionError, KeyError, ValueError, InvalidSignature) as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return 400
        status = self.answers.pop(0) if self.answers else 201
        if 200 <= status < 300:
            self.deliveries.append(Delivery(path, headers, payload))
        return status

    def _check_vapid(self, authorization: str) -> None:
        scheme, _, rest = authorization.partition(" ")
        assert scheme == "vapid", authorization
        fields = dict(part.strip().split("=", 1) for part in rest.split(","))
        assert fields["k"] == self.server_key, "signed with another key than the instance's"
        header, claims, signature = fields["t"].split(".")
        assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
        raw = unb64url(signature)
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        values = json.loads(unb64url(claims))
        assert values["aud"] == f"http://127.0.0.1:{self.port}", values
        assert time.time() < values["exp"] <= time.time() + 24 * 3600, values
        assert str(values["sub"]).startswith(("mailto:", "https:", "http:")), values
