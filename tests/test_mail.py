"""Mail delivery: the log by default, SMTP when configured, and retries while the SMTP
server is down. Each mail goes through a job, as in production."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.jobs import DEAD, QUEUED, Job
from shutter.infra.mail import SmtpServer, parse_smtp_url, sender
from shutter.infra.settings import SettingsError, load_settings
from tests.support.api import sign_up
from tests.support.credentials import log_in
from tests.support.live import free_port
from tests.support.mail import SMTP_USER, MailServer, mailing


async def test_without_smtp_the_mail_is_written_to_the_log_and_its_link_works(
    client: httpx.AsyncClient,
    run_jobs: Callable[[], Awaitable[int]],
    capfd: pytest.CaptureFixture[str],
) -> None:
    await sign_up(client, "ana")
    answer = await client.post("/api/v1/shutter/password/reset", data={"email": "ana@example.com"})
    assert answer.status_code == 202, answer.text
    capfd.readouterr()
    assert await run_jobs() == 1
    logged = [line for line in capfd.readouterr().out.splitlines() if "mail_not_sent" in line]
    assert len(logged) == 1, logged
    line = logged[0]
    assert "[warning" in line  # shown at the default level and above
    assert "to=ana@example.com" in line
    assert "Shutter <shutter@testserver>" in line
    assert "Shutter: reset your password" in line
    [link] = re.findall(r"http://testserver/auth/password/reset\?token=[\w-]+", line)
    page = await client.get(link)
    assert page.status_code == 200
    assert "New password" in page.text


# The test server takes a login over plain SMTP, on the loopback only.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_delivers_with_the_configured_login_and_sender(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    mail_server = MailServer(require_login=True)
    await mail_server.start()
    async with mailing(
        database_url, tmp_path, mail_server, mail_from="photos@mail.example.org"
    ) as api:
        ana = await sign_up(api.http, "ana")
        changed = await api.http.post(
            "/api/v1/shutter/password",
            headers=ana.headers,
            data={"current_password": "correct horse battery", "password": "a new passphrase"},
        )
        assert changed.status_code == 200, changed.text
        assert mail_server.received == []  # nothing is sent inside the request
        assert await api.run_jobs() == 1
    await mail_server.stop()
    [mail] = mail_server.received
    assert mail.login == SMTP_USER
    assert mail.envelope_from == "photos@mail.example.org"
    assert mail.envelope_to == ["ana@example.com"]
    assert mail.message["From"] == "Shutter <photos@mail.example.org>"
    assert mail.message["To"] == "ana@example.com"
    assert mail.subject == "Shutter: your password was changed"
    assert "@ana" in mail.text
    assert mail.message["Message-ID"].endswith("@testserver>")


async def test_a_mail_waits_and_is_retried_while_the_smtp_server_is_down(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    server = MailServer(port=free_port())  # not started yet: nothing listens there
    async with mailing(database_url, tmp_path, server) as api:
        await sign_up(api.http, "ana")
        await api.http.post("/api/v1/shutter/password/reset", data={"email": "ana@example.com"})
        assert await api.run_jobs() == 1
        async with ctx.db.read() as session:
            [job] = (await session.scalars(select(Job))).all()
        assert (job.kind, job.status, job.attempts) == ("accounts.send_link", QUEUED, 1)
        assert job.last_error and "SMTP" in job.last_error
        assert job.run_at > utcnow()  # backing off
        assert await api.run_jobs() == 0  # not due yet

        await server.start()
        try:
            async with ctx.db.write() as session:  # time passes
                await session.execute(update(Job).values(run_at=utcnow()))
            assert await api.run_jobs() == 1
        finally:
            await server.stop()
        async with ctx.db.read() as session:
            assert (await session.scalars(select(Job))).all() == []
        [mail] = server.to("ana@example.com")
        # The link of the retry works (the failed attempt's token was replaced).
        page = await api.http.get(mail.link("/auth/password/reset"))
        assert page.status_code == 200


async def test_a_mail_that_keeps_failing_ends_dead_not_lost(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    async with mailing(
        database_url, tmp_path, MailServer(port=free_port()), job_max_attempts=2
    ) as api:
        ana = await sign_up(api.http, "ana")
        await api.http.post(
            "/api/v1/shutter/password",
            headers=ana.headers,
            data={"current_password": "correct horse battery", "password": "a new passphrase"},
        )
        for _ in range(2):
            await api.run_jobs()
            async with ctx.db.write() as session:
                await session.execute(update(Job).values(run_at=utcnow()))
        async with ctx.db.read() as session:
            [job] = (await session.scalars(select(Job))).all()
        assert (job.kind, job.status, job.attempts) == ("mail.send", DEAD, 2)
        assert job.payload["to"] == "ana@example.com"  # an operator can retry it
        # The change itself stands.
        await log_in(api.http, "ana", "a new passphrase")


def test_smtp_urls() -> None:
    assert parse_smtp_url("smtp://mail.example.com") == SmtpServer(
        "mail.example.com", 25, None, None, use_tls=False, start_tls=None
    )
    assert parse_smtp_url("smtp://u%40x:p%3Aw@mail.example.com:587?starttls=true") == (
        SmtpServer("mail.example.com", 587, "u@x", "p:w", use_tls=False, start_tls=True)
    )
    assert parse_smtp_url("smtp://h:2525?starttls=false").start_tls is False
    assert parse_smtp_url("smtps://u:p@h") == SmtpServer(
        "h", 465, "u", "p", use_tls=True, start_tls=False
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://mail.example.com", "smtp:// or smtps://"),
        ("smtp://user:secret@", "must name a host"),
        ("smtp://user:secret@h:99999", "port"),
        ("smtp://h/path", "no path"),
        ("smtp://h?tls=yes", "only option is starttls"),
        ("smtp://h?starttls=maybe", "true or false"),
        ("smtps://h?starttls=true", "TLS already"),
    ],
)
def test_bad_smtp_urls_are_refused_at_start_without_echoing_them(url: str, problem: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(smtp_url=url)
    assert "SHUTTER_SMTP_URL" in str(refused.value)
    assert problem in str(refused.value)
    assert "secret" not in str(refused.value)


def test_the_sender_defaults_to_the_host_of_the_base_url(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path, base_url="https://photos.example.net/")
    assert sender(settings) == "Shutter <shutter@photos.example.net>"
    with pytest.raises(SettingsError, match="SHUTTER_MAIL_FROM"):
        load_settings(mail_from="Shutter <a@b.c>")
