"""A real SMTP server (aiosmtpd) on a free 127.0.0.1 port, in the tests' event loop, and
an app instance that mails through it.

    async with mailing(database_url, tmp_path, mail_server) as api:
        await api.http.post(...)
        await api.run_jobs()            # the instance's jobs, so its SMTP settings
        link = mail_server.last_to("ana@example.com").link("/auth/confirmation")
        await api.http.get(link)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from shutter.infra.jobs import drain
from tests.conftest import BASE_URL
from tests.support.instances import Instance
from tests.support.live import free_port

SMTP_USER, SMTP_PASSWORD = "shutter", "p@ss word/ok"  # characters a URL must quote
_URL = re.compile(r"https?://\S+")


@dataclass
class Received:
    """One mail as the server got it: envelope, message, and who logged in to send it."""

    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage
    login: str | None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None, "a plain-text mail"
        return str(body.get_content())

    def link(self, path: str) -> str:
        """The mail's link to `path` of the instance (the test app's base URL)."""
        found = [url for url in _URL.findall(self.text) if url.startswith(BASE_URL + path + "?")]
        assert len(found) == 1, f"one link to {path} expected in:\n{self.text}"
        return found[0]


@dataclass
class MailServer:
    """aiosmtpd serving in this event loop; `received` fills as mails arrive."""

    port: int = field(default_factory=free_port)
    require_login: bool = False
    received: list[Received] = field(default_factory=list)
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """The SHUTTER_SMTP_URL that reaches this server (with its login if it asks one)."""
        if not self.require_login:
            return f"smtp://127.0.0.1:{self.port}"
        return f"smtp://shutter:p%40ss%20word%2Fok@127.0.0.1:{self.port}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            return SMTP(
                self,
                hostname="mail.test",
                auth_required=self.require_login,
                auth_require_tls=False,  # tests speak plain SMTP on the loopback
                authenticator=self._authenticate,
                loop=loop,
            )

        self._server = await loop.create_server(protocol, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _authenticate(
        self, _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        return AuthResult(success=ok, auth_data=data if ok else None)

    async def handle_DATA(self, _server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        auth = session.auth_data
        self.received.append(
            Received(
                envelope_from=str(envelope.mail_from),
                envelope_to=list(envelope.rcpt_tos),
                message=message,
                login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
            )
        )
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [mail for mail in self.received if address in mail.envelope_to]

    def last_to(self, address: str) -> Received:
        mails = self.to(address)
        assert mails, f"no mail to {address}; got {[m.envelope_to for m in self.received]}"
        return mails[-1]


@pytest.fixture
async def mail_server() -> AsyncIterator[MailServer]:
    server = MailServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class MailingApi:
    """An app instance whose mails go to a test SMTP server."""

    instance: Instance
    http: httpx.AsyncClient

    async def run_jobs(self) -> int:
        """Run this instance's due jobs (with its settings: its SMTP server)."""
        return await drain(self.instance.ctx)


@asynccontextmanager
async def mailing(
    database_url: str, var_dir: Path, server: MailServer | None, **overrides: Any
) -> AsyncIterator[MailingApi]:
    """An instance on the test database that mails through `server` (None: the log)."""
    if server is not None:
        overrides.setdefault("smtp_url", server.url)
    instance = Instance(database_url, var_dir, **overrides)
    async with instance as http:
        yield MailingApi(instance, http)
