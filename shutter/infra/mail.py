"""Mail to people (password resets, address confirmations, notices), through a backend.

Two backends (docs/decisions/0014-mail.md): by default a mail is written to the log, so a
ten-person instance works without a mail server and its operator can pass a link on by
hand; with `SHUTTER_SMTP_URL` it is sent by SMTP (aiosmtplib). Nothing is sent inside a
request: a mail leaves from a job, so an SMTP server that is down makes the job retry
with backoff (shutter/infra/jobs.py) instead of failing the request or losing the mail.

Ready-made mails go through the `mail.send` job here (`enqueue_mail`). A mail that
carries a single-use link is made by its service's own job, which creates the link's
token and then calls `deliver`: so the token itself is never stored, not even in a job's
payload.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.infra.jobs import JobKind, enqueue, handles

if TYPE_CHECKING:
    from shutter.infra.context import AppContext
    from shutter.infra.settings import Settings

log = structlog.get_logger("shutter.mail")

SMTP_TIMEOUT_SECONDS = 30.0
SEND = JobKind("mail.send", timeout_seconds=2 * SMTP_TIMEOUT_SECONDS)


@dataclass(frozen=True)
class Mail:
    """A plain-text mail to one address."""

    to: str
    subject: str
    text: str


class MailBackend(Protocol):
    async def send(self, mail: Mail, *, sender: str) -> None: ...


class LogBackend:
    """Writes each mail to the log instead of sending it (no mail server configured).

    At warning level: the mail was not delivered, and whoever reads the log is the only
    way it reaches its person (a log level of `warning` must not hide it).
    """

    async def send(self, mail: Mail, *, sender: str) -> None:
        log.warning(
            "mail_not_sent",
            reason="SHUTTER_SMTP_URL is not set; the mail is written here instead",
            sender=sender,
            to=mail.to,
            subject=mail.subject,
            text=mail.text,
        )


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send, from `SHUTTER_SMTP_URL`."""

    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # smtps://: TLS from the first byte
    start_tls: bool | None  # STARTTLS: required (True), never (False), if offered (None)


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://user:pass@host:port`, `smtps://…` (TLS), `?starttls=true|false`.

    Raises ValueError naming the problem; the message never repeats the URL, which may
    hold a password.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("must start with smtp:// or smtps://")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError("must name a host, as in smtp://user:password@mail.example.com:587")
    if parts.path not in ("", "/"):
        raise ValueError("must have no path; options go in the query (?starttls=true)")
    query = parse_qs(parts.query, keep_blank_values=True)
    if set(query) - {"starttls"}:
        raise ValueError("the only option is starttls")
    start_tls: bool | None = None
    if "starttls" in query:
        flag = query["starttls"][-1].lower()
        if flag not in ("true", "false"):
            raise ValueError("starttls must be true or false")
        start_tls = flag == "true"
    use_tls = parts.scheme == "smtps"
    if use_tls and start_tls:
        raise ValueError("smtps:// is TLS already; starttls=true is for smtp://")
    return SmtpServer(
        hostname=parts.hostname,
        port=port or (465 if use_tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        use_tls=use_tls,
        start_tls=False if use_tls else start_tls,
    )


class SmtpBackend:
    """Sends through one SMTP server, a connection per mail (mails are few)."""

    def __init__(self, server: SmtpServer, *, message_domain: str) -> None:
        self._server = server
        self._domain = message_domain

    async def send(self, mail: Mail, *, sender: str) -> None:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self._domain)
        message.set_content(mail.text)
        server = self._server
        await aiosmtplib.send(
            message,
            hostname=server.hostname,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.use_tls,
            start_tls=server.start_tls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )
        log.info("mail_sent", to=mail.to, subject=mail.subject)


def mail_host(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "localhost"


def sender(settings: Settings) -> str:
    """The From of every mail: the instance's title and `SHUTTER_MAIL_FROM`."""
    address = settings.mail_from or f"shutter@{mail_host(settings)}"
    return formataddr((settings.instance_title, address))


def mail_backend(settings: Settings) -> MailBackend:
    url = settings.smtp_url.get_secret_value() if settings.smtp_url else ""
    if not url:
        return LogBackend()
    return SmtpBackend(parse_smtp_url(url), message_domain=mail_host(settings))


async def deliver(settings: Settings, mail: Mail) -> None:
    """Send `mail` now; raises when the server refuses or cannot be reached.

    For jobs only: a request never waits on a mail server.
    """
    await mail_backend(settings).send(mail, sender=sender(settings))


def enqueue_mail(session: AsyncSession, mail: Mail) -> None:
    """Send `mail` from a job once the caller's transaction commits (never if it rolls
    back). For mails without secrets: the payload is stored until it is sent."""
    enqueue(session, SEND, asdict(mail))


@handles(SEND)
async def send_mail(ctx: AppContext, payload: dict[str, Any]) -> None:
    await deliver(
        ctx.settings, Mail(to=payload["to"], subject=payload["subject"], text=payload["text"])
    )
