"""Exports: an account's archive made by a job and downloaded through the API.

An account with photos (one of them HEIC, which browsers cannot show), a video, a
comment, follows, followers, a block, a mute, a like and a bookmark is exported; the zip
is opened and each file checked: originals byte-identical to the uploads, the outbox in
Mastodon's archive format, Mastodon's CSVs, and an offline gallery that references only
files inside the zip and shows a hostile caption as text.
"""

from __future__ import annotations

import csv
import io
import posixpath
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import update

from shutter.app import create_app
from shutter.archive import jobs as archive_jobs
from shutter.archive.models import Export
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.jobs import Job, drain
from shutter.media.service import cleanup
from tests.conftest import BASE_URL
from tests.conftest import test_settings as make_settings
from tests.support.api import User, follow, sign_up
from tests.support.archive import Jobs, export_state, exported, request_export
from tests.support.fixtures_media import made
from tests.support.media import upload_ok
from tests.support.s3 import create_bucket, moto_server, s3_settings

PASSWORD = "correct horse battery"  # tests/support/api.sign_up's
HOSTILE = '<script>alert("caption")</script> & <img src=x onerror=alert(1)> #lake'
PHOTOS = ("landscape.jpg", "rotated.heic")
VIDEO = "clip.mp4"


@dataclass
class World:
    ana: User
    bob: User
    cy: User
    dan: User
    eve: User
    photo_post: str
    video_post: str
    bob_post: str
    uploads: dict[str, bytes]  # media id → the uploaded bytes


async def _post(client: httpx.AsyncClient, user: User, caption: str, media: list[str]) -> str:
    response = await client.post(
        "/api/v1/statuses", headers=user.headers, json={"status": caption, "media_ids": media}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def build_world(client: httpx.AsyncClient, run_jobs: Jobs) -> World:
    ana, bob, cy, dan, eve = [
        await sign_up(client, name) for name in ("ana", "bob", "cy", "dan", "eve")
    ]
    uploads: dict[str, bytes] = {}
    photo_ids = []
    for name in PHOTOS:
        media = await upload_ok(client, run_jobs, ana, made(name))
        uploads[media["id"]] = made(name).read_bytes()
        photo_ids.append(media["id"])
    described = await client.put(
        f"/api/v1/media/{photo_ids[0]}", headers=ana.headers, data={"description": "<b>alt</b>"}
    )
    assert described.status_code == 200, described.text
    video = await upload_ok(client, run_jobs, ana, made(VIDEO))
    uploads[video["id"]] = made(VIDEO).read_bytes()
    photo_post = await _post(client, ana, HOSTILE, photo_ids)
    video_post = await _post(client, ana, "a river", [video["id"]])
    bob_media = await upload_ok(client, run_jobs, bob, made("landscape.jpg"))
    bob_post = await _post(client, bob, "bob's hill", [bob_media["id"]])
    comment = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "lovely </p><script>x</script>", "in_reply_to_id": bob_post},
    )
    assert comment.status_code == 200, comment.text
    await follow(client, ana, bob)
    await follow(client, cy, ana)
    for path in (f"/api/v1/accounts/{dan.id}/block", f"/api/v1/accounts/{eve.id}/mute"):
        body = {"notifications": "false"} if path.endswith("mute") else {}
        assert (await client.post(path, headers=ana.headers, data=body)).status_code == 200
    for action in ("favourite", "bookmark"):
        url = f"/api/v1/statuses/{bob_post}/{action}"
        assert (await client.post(url, headers=ana.headers)).status_code == 200
    await run_jobs()
    return World(ana, bob, cy, dan, eve, photo_post, video_post, bob_post, uploads)


# --- checks of the archive's files ----------------------------------------------------------


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    return orjson.loads(archive.read(name))


def _csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode())))


def check_outbox(archive: zipfile.ZipFile, world: World) -> dict[str, dict[str, Any]]:
    """The outbox as Mastodon's archive has it; returns the Notes by post id."""
    actor = _json(archive, "actor.json")
    assert actor["type"] == "Person" and actor["preferredUsername"] == "ana"
    assert actor["id"] == f"{BASE_URL}/users/ana"
    assert (actor["outbox"], actor["likes"], actor["bookmarks"]) == (
        "outbox.json",
        "likes.json",
        "bookmarks.json",
    )
    assert "https://www.w3.org/ns/activitystreams" in actor["@context"]
    outbox = _json(archive, "outbox.json")
    assert outbox["type"] == "OrderedCollection" and outbox["id"] == "outbox.json"
    assert "https://www.w3.org/ns/activitystreams" in outbox["@context"]
    items = outbox["orderedItems"]
    assert outbox["totalItems"] == len(items) == 3  # two posts and a comment
    notes: dict[str, dict[str, Any]] = {}
    for item in items:
        assert item["type"] == "Create" and item["actor"] == actor["id"]
        note = item["object"]
        assert item["id"] == f"{note['id']}/activity"
        assert note["type"] == "Note" and note["attributedTo"] == actor["id"]
        assert note["published"] == item["published"]
        assert isinstance(note["to"], list) and isinstance(note["cc"], list)
        assert "https://www.w3.org/ns/activitystreams#Public" in note["to"]
        for attachment in note["attachment"]:
            assert attachment["type"] == "Document"
            assert attachment["url"] in archive.namelist()  # a file inside the zip
            assert attachment["mediaType"].split("/")[0] in ("image", "video")
        notes[note["id"].rsplit("/", 1)[-1]] = note
    photo = notes[world.photo_post]
    assert "<script>" not in photo["content"] and "&lt;script&gt;" in photo["content"]
    assert photo["source"]["content"] == HOSTILE
    assert [a["name"] for a in photo["attachment"]] == ["<b>alt</b>", None]
    assert {"type": "Hashtag", "href": f"{BASE_URL}/tags/lake", "name": "#lake"} in photo["tag"]
    comment = next(n for n in notes.values() if n["inReplyTo"])
    assert comment["inReplyTo"] == f"{BASE_URL}/users/bob/statuses/{world.bob_post}"
    return notes


def check_originals(archive: zipfile.ZipFile, world: World, notes: dict[str, Any]) -> None:
    files = [a["url"] for note in notes.values() for a in note["attachment"]]
    assert len(files) == len(world.uploads) == 3
    for media_id, data in world.uploads.items():
        (name,) = [f for f in files if f.startswith(f"media_attachments/files/{media_id}/")]
        assert archive.read(name) == data  # byte-identical, EXIF and all
        assert archive.getinfo(name).compress_type == zipfile.ZIP_STORED


def check_lists(archive: zipfile.ZipFile, world: World) -> None:
    following = _csv(archive, "following_accounts.csv")
    assert following[0] == ["Account address", "Show boosts", "Notify on new posts", "Languages"]
    assert [row[0] for row in following[1:]] == ["bob@testserver"]
    assert _csv(archive, "followers.csv") == [["Account address"], ["cy@testserver"]]
    assert _csv(archive, "blocked_accounts.csv") == [["dan@testserver"]]
    assert _csv(archive, "muted_accounts.csv") == [
        ["Account address", "Hide notifications"],
        ["eve@testserver", "false"],
    ]
    bob_uri = f"{BASE_URL}/users/bob/statuses/{world.bob_post}"
    assert _csv(archive, "bookmarks.csv") == [[bob_uri]]
    for name in ("likes.json", "bookmarks.json"):
        collection = _json(archive, name)
        assert collection["type"] == "OrderedCollection"
        assert collection["orderedItems"] == [bob_uri] and collection["totalItems"] == 1


class _Page(HTMLParser):
    """Every reference of a page, its scripts, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)  # no event handlers
            if name in ("src", "href", "poster", "srcset", "action", "data") and value:
                self.references.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_gallery(archive: zipfile.ZipFile, world: World) -> None:
    names = set(archive.namelist())
    pages = [name for name in names if name.endswith(".html")]
    assert "index.html" in pages and len(pages) == 4  # the index, two posts, the comment
    shown: set[str] = set()
    for page_name in pages:
        page = _Page()
        page.feed(archive.read(page_name).decode())
        page.close()
        assert "script" not in page.tags and "link" not in page.tags
        for reference in page.references:
            assert "://" not in reference and not reference.startswith(("/", "data:")), reference
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page_name), reference))
            assert target in names, (page_name, reference)
            shown.add(target)
        if page_name.endswith(f"/{world.photo_post}.html"):
            assert HOSTILE in "".join(page.text)  # shown as text, inert
            assert "<b>alt</b>" in "".join(page.text)
    # Every original is linked; the HEIC shows its browser-readable variant.
    assert {name for name in names if name.startswith("media_attachments/")} <= shown
    assert any(name.startswith("gallery/display/") for name in shown)
    assert any(name.startswith("gallery/thumbs/") for name in shown)


async def test_export_of_an_account_with_photos_and_a_video(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    world = await build_world(client, run_jobs)
    export = await request_export(client, world.ana)
    queued = await export_state(client, world.ana, export["id"])
    assert queued["state"] == "queued" and queued["progress"] == {"done": 0, "total": 0}
    listed = await client.get("/api/v1/shutter/exports", headers=world.ana.headers)
    assert [item["id"] for item in listed.json()] == [export["id"]]

    done, archive = await exported_existing(client, run_jobs, world.ana, export["id"])
    assert done["progress"]["done"] == done["progress"]["total"] == 3 + 5
    assert done["finished_at"] and done["expires_at"] and done["size"] > 0
    assert done["url"] == f"{BASE_URL}/api/v1/shutter/exports/{export['id']}/download"
    assert archive.testzip() is None
    notes = check_outbox(archive, world)
    check_originals(archive, world, notes)
    check_lists(archive, world)
    check_gallery(archive, world)


async def exported_existing(
    client: httpx.AsyncClient, run_jobs: Jobs, user: User, export_id: str
) -> tuple[dict[str, Any], zipfile.ZipFile]:
    await run_jobs()
    done = await export_state(client, user, export_id)
    assert done["state"] == "done", done
    url = f"/api/v1/shutter/exports/{export_id}/download"
    response = await client.get(url, headers=user.headers)
    assert response.status_code == 200, response.text
    return done, zipfile.ZipFile(io.BytesIO(response.content))


async def test_one_export_at_a_time_and_one_a_day(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    export = await request_export(client, ana)
    again = await client.post("/api/v1/shutter/exports", headers=ana.headers)
    assert again.status_code == 422 and "already being made" in again.json()["error"]
    await run_jobs()
    assert (await export_state(client, ana, export["id"]))["state"] == "done"
    tomorrow = await client.post("/api/v1/shutter/exports", headers=ana.headers)
    assert tomorrow.status_code == 429, tomorrow.text
    assert "once a day" in tomorrow.json()["error"]
    assert 0 < int(tomorrow.headers["retry-after"]) <= 24 * 3600 + 1


async def test_only_the_owner_sees_and_downloads_an_export(
    client: httpx.AsyncClient, run_jobs: Jobs
) -> None:
    ana, bob = await sign_up(client, "ana"), await sign_up(client, "bob")
    export = await request_export(client, ana)
    not_ready = await client.get(
        f"/api/v1/shutter/exports/{export['id']}/download", headers=ana.headers
    )
    assert not_ready.status_code == 422
    await run_jobs()
    for path in ("", "/download"):
        url = f"/api/v1/shutter/exports/{export['id']}{path}"
        assert (await client.get(url, headers=bob.headers)).status_code == 404
        assert (await client.get(url)).status_code == 401
    assert (await client.get("/api/v1/shutter/exports", headers=bob.headers)).json() == []
    assert (await client.get("/api/v1/shutter/exports/123", headers=ana.headers)).status_code == 404


async def test_an_expired_archive_is_swept_from_storage(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    export = await request_export(client, ana)
    await run_jobs()
    key = f"archives/{export['id']}.zip"
    assert ctx.storage.exists(key)
    async with ctx.db.write() as session:
        await session.execute(update(Export).values(expires_at=utcnow() - timedelta(seconds=1)))
    gone = await client.get(f"/api/v1/shutter/exports/{export['id']}/download", headers=ana.headers)
    assert gone.status_code == 410 and "expired" in gone.json()["error"]
    # The media service's sweep of orphaned files leaves archives alone.
    await cleanup.sweep_orphans(ctx, now=utcnow() + timedelta(days=30))
    assert ctx.storage.exists(key)
    await archive_jobs.sweep_exports(ctx, {})
    assert not ctx.storage.exists(key)
    state = await export_state(client, ana, export["id"])
    assert state["expired"] is True and state["url"] is None


async def test_an_export_whose_job_was_lost_ends_failed(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ana = await sign_up(client, "ana")
    export = await request_export(client, ana)
    async with ctx.db.write() as session:
        await session.execute(
            update(Export).values(state="running", created_at=utcnow() - timedelta(days=1))
        )
    await archive_jobs.sweep_exports(ctx, {})
    state = await export_state(client, ana, export["id"])
    assert state["state"] == "failed" and "not finished" in state["error"]
    await request_export(client, ana)  # the owner may ask again


async def test_deleting_the_account_deletes_its_archives(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs
) -> None:
    ana = await sign_up(client, "ana")
    export = await request_export(client, ana)
    await run_jobs()
    key = f"archives/{export['id']}.zip"
    assert ctx.storage.exists(key)
    deleted = await client.post(
        "/api/v1/shutter/account/delete", headers=ana.headers, data={"password": PASSWORD}
    )
    assert deleted.status_code == 202, deleted.text
    await run_jobs()
    assert not ctx.storage.exists(key)
    async with ctx.db.read() as session:
        assert await session.get(Export, int(export["id"])) is None


async def test_a_failing_build_is_retried_then_marked_failed(
    client: httpx.AsyncClient, ctx: AppContext, run_jobs: Jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = await sign_up(client, "ana")

    def broken(key: str, path: Path) -> None:
        raise OSError("the bucket is full")

    monkeypatch.setattr(ctx.storage, "put_file", broken)
    export = await request_export(client, ana)
    await run_jobs()
    retrying = await export_state(client, ana, export["id"])
    assert retrying["state"] == "queued" and "the bucket is full" in retrying["error"]
    for _ in range(ctx.settings.job_max_attempts):
        async with ctx.db.write() as session:
            await session.execute(update(Job).values(run_at=utcnow()))
        await drain(ctx)
    failed = await export_state(client, ana, export["id"])
    assert failed["state"] == "failed" and "the bucket is full" in failed["error"]
    assert failed["finished_at"] is not None
    assert not ctx.storage.exists(f"archives/{export['id']}.zip")
    monkeypatch.undo()
    # A failed export does not count against the daily one.
    await request_export(client, ana)


# --- the S3 backend ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
async def s3_client(
    database_url: str, s3_endpoint: str, tmp_path: Path, ctx: AppContext
) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    """An app on S3 storage (its tables emptied by `ctx`, which shares the database)."""
    settings = make_settings(
        tmp_path / "var", database_url, **s3_settings(s3_endpoint, create_bucket(s3_endpoint))
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            yield http, app.state.ctx


async def test_export_on_s3_storage(s3_client: tuple[httpx.AsyncClient, AppContext]) -> None:
    http, context = s3_client

    async def jobs() -> int:
        return await drain(context)

    ana = await sign_up(http, "ana")
    media = await upload_ok(http, jobs, ana, made("landscape.jpg"))
    await _post(http, ana, "on s3", [media["id"]])
    done, archive = await exported(http, jobs, ana)
    assert context.storage.exists(f"archives/{done['id']}.zip")
    (original,) = [n for n in archive.namelist() if n.startswith("media_attachments/")]
    assert archive.read(original) == made("landscape.jpg").read_bytes()
    assert "index.html" in archive.namelist()
