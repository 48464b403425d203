"""Mastodon.py, unchanged, against the real server over HTTP: a person reports another,
a moderator finds the account and the report, acts on the account for that report (which
resolves it), and resolves another — as Mastodon's own moderation apps do."""

from __future__ import annotations

from pathlib import Path

import pytest
from mastodon import Mastodon, MastodonAPIError
from sqlalchemy import update

from shutter.accounts.models import Account
from shutter.infra.context import AppContext
from tests.support.api import DEFAULT_PHOTO
from tests.support.live import start_server

USER_SCOPES = ["read", "write", "follow"]
STAFF_SCOPES = [*USER_SCOPES, "admin:read", "admin:write"]
PASSWORD = "correct horse battery"


def _sign_up(url: str, app: tuple[str, str], name: str, scopes: list[str]) -> Mastodon:
    client_id, secret = app
    anonymous = Mastodon(client_id=client_id, client_secret=secret, api_base_url=url)
    anonymous.create_account(name, PASSWORD, f"{name}@example.com", agreement=True, scopes=scopes)
    device = Mastodon(client_id=client_id, client_secret=secret, api_base_url=url)
    device.log_in(f"{name}@example.com", PASSWORD, scopes=scopes, allow_http=True)
    return device


async def _make_moderator(ctx: AppContext, username: str) -> None:
    # Before the moderator's first request: the server has nothing of them to remember.
    async with ctx.db.write() as session:
        await session.execute(
            update(Account).where(Account.username_lower == username).values(role="moderator")
        )


async def test_mastodon_py_reports_and_moderates(
    database_url: str, ctx: AppContext, tmp_path: Path
) -> None:
    with start_server(database_url, tmp_path) as server:
        app = Mastodon.create_app(
            "Mastodon.py moderation", api_base_url=server.url, scopes=STAFF_SCOPES
        )
        ana = _sign_up(server.url, app, "ana", USER_SCOPES)
        bob = _sign_up(server.url, app, "bob", USER_SCOPES)
        cy = _sign_up(server.url, app, "cy", USER_SCOPES)
        mod = _sign_up(server.url, app, "mod", STAFF_SCOPES)
        await _make_moderator(ctx, "mod")

        photo = ana.media_post(str(DEFAULT_PHOTO), mime_type="image/jpeg", synchronous=True)
        status = ana.status_post("buy followers here", media_ids=[photo])
        report = bob.report(ana.me(), status_ids=[status], comment="spam", category="spam")
        assert report.category == "spam" and report.status_ids == [status.id]
        assert report.target_account.username == "ana"
        other = bob.report(cy.me(), comment="rude", forward=False)

        # Bob is no moderator: the admin API refuses him.
        with pytest.raises(MastodonAPIError):
            bob.admin_reports()

        found = mod.admin_accounts_v2(username="ana")
        assert [a.username for a in found] == ["ana"]
        assert found[0].email == "ana@example.com" and found[0].silenced is False
        open_reports = mod.admin_reports()
        assert {r.id for r in open_reports} == {report.id, other.id}
        assert mod.admin_reports(target_account_id=ana.me())[0].statuses[0].id == status.id

        mod.admin_account_moderate(
            found[0], action="silence", report_id=report.id, text="no spam, please"
        )
        assert mod.admin_account(found[0]).silenced is True
        assert [r.id for r in mod.admin_reports()] == [other.id]

        resolved = mod.admin_report_resolve(other)
        assert resolved.action_taken is True and resolved.action_taken_by_account.username == "mod"
        assert mod.admin_reports() == []
        assert {r.id for r in mod.admin_reports(resolved=True)} == {report.id, other.id}

        measures = mod.admin_measures(
            start_at=resolved.created_at, end_at=resolved.created_at, new_users=True
        )
        assert measures[0].key == "new_users" and measures[0].total == "4"

        warned = [n for n in ana.notifications() if n.type == "moderation_warning"]
        assert warned and warned[0].moderation_warning.action == "silence"
        assert warned[0].moderation_warning.text == "no spam, please"
