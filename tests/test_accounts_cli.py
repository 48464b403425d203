"""`shutter accounts list|show|suspend|unsuspend|delete` as an operator runs them: real
processes on the embedded profile's database, and the API of a real server."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.live import run_shutter, shutter_env, start_server

PASSWORD = "correct horse battery"


def _grant(url: str, login: str) -> httpx.Response:
    app = httpx.post(
        f"{url}/api/v1/apps",
        data={"client_name": "cli", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
    ).json()
    return httpx.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": login,
            "password": PASSWORD,
            "scope": "read",
        },
    )


def _rows(listing: str) -> dict[str, list[str]]:
    """`accounts list`'s table by username: [role, state, created day, created time]."""
    rows = [line.split() for line in listing.splitlines()[1:] if line.strip()]
    return {row[0]: row[1:] for row in rows}


def test_an_operator_lists_shows_suspends_and_deletes_accounts(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = shutter_env("", var_dir)
    made = run_shutter(
        ["createadmin", "boss", "--email", "boss@example.com", "--password", PASSWORD], env
    )
    assert made.returncode == 0, made.stderr
    with start_server("", var_dir) as server:
        app = httpx.post(
            f"{server.url}/api/v1/apps",
            data={
                "client_name": "cli",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": "read write",
            },
        ).json()
        token = httpx.post(
            f"{server.url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "scope": "write",
            },
        ).json()["access_token"]
        signed_up = httpx.post(
            f"{server.url}/api/v1/accounts",
            headers={"Authorization": f"Bearer {token}"},
            data={
                "username": "ana",
                "email": "ana@example.com",
                "password": PASSWORD,
                "agreement": "true",
            },
        )
        assert signed_up.status_code == 200, signed_up.text

    listed = run_shutter(["accounts", "list"], env)
    assert listed.returncode == 0, listed.stderr
    rows = _rows(listed.stdout)
    assert rows["boss"][:2] == ["admin", "active"] and rows["ana"][:2] == ["user", "active"]
    assert set(_rows(run_shutter(["accounts", "list", "--role", "user"], env).stdout)) == {"ana"}

    suspended = run_shutter(["accounts", "suspend", "ana"], env)
    assert suspended.returncode == 0, suspended.stderr
    assert "Suspended @ana" in suspended.stdout
    assert run_shutter(["accounts", "suspend", "ana"], env).returncode == 0  # idempotent
    only = run_shutter(["accounts", "list", "--state", "suspended"], env).stdout
    assert set(_rows(only)) == {"ana"}
    shown = run_shutter(["accounts", "show", "@ana"], env)
    assert shown.returncode == 0, shown.stderr
    assert "state        suspended" in shown.stdout
    assert "suspended_at" not in shown.stdout and "suspended    20" in shown.stdout

    assert run_shutter(["accounts", "unsuspend", "ana"], env).returncode == 0
    assert _rows(run_shutter(["accounts", "list"], env).stdout)["ana"][1] == "active"

    # Unknown names and states are errors of the operator's, said plainly.
    missing = run_shutter(["accounts", "suspend", "nobody"], env)
    assert missing.returncode == 1 and "Account" in missing.stderr
    bogus = run_shutter(["accounts", "list", "--state", "sleepy"], env)
    assert bogus.returncode == 1 and "state must be one of" in bogus.stderr

    # Deleting asks first; a no changes nothing.
    declined = run_shutter(["accounts", "delete", "ana"], env, input="n\n")
    assert declined.returncode == 1 and "Nothing was deleted" in declined.stderr
    assert _rows(run_shutter(["accounts", "list"], env).stdout)["ana"][1] == "active"
    deleted = run_shutter(["accounts", "delete", "ana", "--yes"], env)
    assert deleted.returncode == 0, deleted.stderr
    assert "Deleted @ana" in deleted.stdout
    assert run_shutter(["worker", "--once"], env).returncode == 0  # the removal jobs
    assert _rows(run_shutter(["accounts", "list"], env).stdout)["ana"][1] == "deleted"

    with start_server("", var_dir) as server:
        assert _grant(server.url, "ana").status_code == 400
        assert _grant(server.url, "boss").status_code == 200
        tombstone = httpx.get(f"{server.url}/api/v1/accounts/lookup", params={"acct": "ana"})
        assert tombstone.json()["suspended"] is True
