"""Custom emojis: admins upload and manage them through Shutter's admin routes, everyone
lists them (`GET /api/v1/custom_emojis`), and `:shortcode:` in a caption, a content
warning, a display name or a bio shows in the entity's `emojis`, also when the emoji was
added or removed after the entity was rendered and cached."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips

from shutter.app import create_app
from shutter.emojis.catalog import emoji_catalog
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.jobs import drain
from shutter.media.service import cleanup
from tests.conftest import BASE_URL
from tests.conftest import test_settings as make_settings
from tests.support.api import User, follow, post_photo, sign_up
from tests.support.live import run_shutter, shutter_env
from tests.support.roles import staff
from tests.support.s3 import create_bucket, moto_server, s3_settings
from tests.support.schema import assert_entity

ADMIN = "/api/v1/shutter/admin/custom_emojis"


def _still(colour: tuple[int, int, int] = (200, 30, 30), side: int = 24) -> bytes:
    data: bytes = (
        (pyvips.Image.black(side, side, bands=3) + list(colour)).cast("uchar").pngsave_buffer()
    )
    return data


def _animated() -> bytes:
    frames = [
        (pyvips.Image.black(24, 24, bands=3) + list(c)).cast("uchar")
        for c in ((200, 30, 30), (30, 200, 30))
    ]
    strip = pyvips.Image.arrayjoin(frames, across=1).copy()
    strip.set_type(pyvips.GValue.gint_type, "page-height", 24)
    data: bytes = strip.gifsave_buffer()
    return data


@pytest.fixture
async def fresh(ctx: AppContext) -> AsyncIterator[None]:
    """Tables are emptied before each test; so is this process's copy of the emojis."""
    emoji_catalog(ctx).forget()
    yield
    emoji_catalog(ctx).forget()


@pytest.fixture
async def admin(client: httpx.AsyncClient, ctx: AppContext, fresh: None) -> User:
    return await staff(client, ctx, "boss", "admin")


async def _add(
    client: httpx.AsyncClient,
    admin: User,
    shortcode: str,
    image: bytes | None = None,
    *,
    name: str = "emoji.png",
    **fields: str,
) -> httpx.Response:
    return await client.post(
        ADMIN,
        headers=admin.headers,
        data={"shortcode": shortcode, **fields},
        files={"image": (name, _still() if image is None else image, "image/png")},
    )


async def _added(
    client: httpx.AsyncClient, admin: User, shortcode: str, **kw: Any
) -> dict[str, Any]:
    response = await _add(client, admin, shortcode, **kw)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert_entity("CustomEmoji", body)
    return body


async def _listed(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/custom_emojis")  # no token: public
    assert response.status_code == 200
    emojis: list[dict[str, Any]] = response.json()
    for emoji in emojis:
        assert_entity("CustomEmoji", emoji)
    return emojis


async def _admin_list(client: httpx.AsyncClient, admin: User) -> list[dict[str, Any]]:
    response = await client.get(ADMIN, headers=admin.headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def _file(client: httpx.AsyncClient, url: str) -> bytes:
    response = await client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200, url
    return response.content


async def test_admins_add_emojis_everyone_lists_them(
    client: httpx.AsyncClient, admin: User, ctx: AppContext
) -> None:
    assert await _listed(client) == []
    still = _still()
    blob = await _added(client, admin, "blobcat", image=still, category="Blobs")
    assert (blob["shortcode"], blob["category"], blob["visible_in_picker"]) == (
        "blobcat",
        "Blobs",
        True,
    )
    assert await _file(client, blob["url"]) == still
    assert (await _file(client, blob["static_url"])).startswith(b"\x89PNG")

    party = await _added(client, admin, "Party_Parrot", image=_animated(), name="party.gif")
    assert party["url"].endswith(".gif") and party["static_url"].endswith(".png")
    static = pyvips.Image.new_from_buffer(await _file(client, party["static_url"]), "")
    assert (static.width, static.height) == (24, 24)
    pages = static.get("n-pages") if "n-pages" in static.get_fields() else 1
    assert pages == 1

    # Shortcodes are case-sensitive, as Mastodon's: another case is another emoji.
    await _added(client, admin, "BlobCat", image=_still((1, 2, 3)))
    assert [e["shortcode"] for e in await _listed(client)] == ["BlobCat", "blobcat", "Party_Parrot"]

    hidden = await client.patch(
        f"{ADMIN}/{party['id']}",
        headers=admin.headers,
        data={"visible_in_picker": "false", "category": "Birds"},
    )
    assert hidden.status_code == 200, hidden.text
    assert (hidden.json()["visible_in_picker"], hidden.json()["category"]) == (False, "Birds")
    # Mastodon lists the picker's emojis only.
    assert [e["shortcode"] for e in await _listed(client)] == ["BlobCat", "blobcat"]

    disabled = await client.put(
        f"{ADMIN}/{blob['id']}", headers=admin.headers, data={"disabled": "true"}
    )
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert [e["shortcode"] for e in await _listed(client)] == ["BlobCat"]
    assert len(await _admin_list(client, admin)) == 3

    removed = await client.delete(f"{ADMIN}/{blob['id']}", headers=admin.headers)
    assert removed.status_code == 200
    assert len(await _admin_list(client, admin)) == 2
    gone = await client.delete(f"{ADMIN}/{blob['id']}", headers=admin.headers)
    assert gone.status_code == 404


async def test_removing_an_emoji_deletes_its_files(
    client: httpx.AsyncClient,
    admin: User,
    ctx: AppContext,
    run_jobs: Callable[[], Awaitable[int]],
) -> None:
    one = await _added(client, admin, "one", image=_still((9, 9, 9)))
    # The same picture under another shortcode shares the files, which stay for it.
    two = await _added(client, admin, "two", image=_still((9, 9, 9)))
    assert one["url"] == two["url"]
    assert (await client.delete(f"{ADMIN}/{one['id']}", headers=admin.headers)).status_code == 200
    await run_jobs()
    await _file(client, two["url"])
    assert (await client.delete(f"{ADMIN}/{two['id']}", headers=admin.headers)).status_code == 200
    await run_jobs()
    keys = {url.split("/media/", 1)[1] for url in (two["url"], two["static_url"])}
    assert not keys & set(ctx.storage.keys("e/"))
    assert (await client.get(two["url"].removeprefix("http://testserver"))).status_code == 404


async def test_hostile_uploads_and_shortcodes_change_nothing(
    client: httpx.AsyncClient, admin: User, ctx: AppContext
) -> None:
    await _added(client, admin, "kept")
    before = await _admin_list(client, admin)
    files_before = ctx.storage.keys("e/")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    jpeg = pyvips.Image.black(8, 8).cast("uchar").jpegsave_buffer()
    oversized = _still() + b"\x00" * (256 * 1024)
    bad = [
        ("a", None),  # too short
        ("has-dash", None),
        ("has space", None),
        ("x" * 101, None),
        ("", None),
        ("::", None),
        ("ünïcode", None),
        ("kept", None),  # taken
        ("fine", b"hello, not an image"),
        ("fine", svg),
        ("fine", jpeg),  # Mastodon takes PNG, GIF and WebP only
        ("fine", oversized),
        ("fine", _still()[:40]),  # truncated
        ("fine", b""),
    ]
    for shortcode, image in bad:
        response = await _add(client, admin, shortcode, image)
        assert response.status_code == 422, (shortcode, response.text)
        assert "error" in response.json()
    no_file = await client.post(ADMIN, headers=admin.headers, data={"shortcode": "fine"})
    assert no_file.status_code == 422
    assert await _admin_list(client, admin) == before
    assert ctx.storage.keys("e/") == files_before
    assert [e["shortcode"] for e in await _listed(client)] == ["kept"]

    long_category = await client.patch(
        f"{ADMIN}/{before[0]['id']}", headers=admin.headers, data={"category": "c" * 101}
    )
    assert long_category.status_code == 422
    for method in ("PATCH", "DELETE"):
        missing = await client.request(method, f"{ADMIN}/123456789", headers=admin.headers)
        assert missing.status_code == 404
        assert (
            await client.request(method, f"{ADMIN}/nope", headers=admin.headers)
        ).status_code == 404
    assert await _admin_list(client, admin) == before


async def test_only_admins_manage_emojis(
    client: httpx.AsyncClient, admin: User, ctx: AppContext
) -> None:
    kept = await _added(client, admin, "kept")
    files_before = ctx.storage.keys("e/")
    ana = await sign_up(client, "ana")
    moderator = await staff(client, ctx, "mod", "moderator")
    for intruder, status in ((ana, 403), (moderator, 403)):
        assert (await _add(client, intruder, "sneaky")).status_code == status
        assert (await client.get(ADMIN, headers=intruder.headers)).status_code == status
        edit = await client.patch(
            f"{ADMIN}/{kept['id']}", headers=intruder.headers, data={"disabled": "true"}
        )
        assert edit.status_code == status
        assert (
            await client.delete(f"{ADMIN}/{kept['id']}", headers=intruder.headers)
        ).status_code == status
    anonymous = await client.post(
        ADMIN, data={"shortcode": "x1"}, files={"image": ("e.png", _still())}
    )
    assert anonymous.status_code == 401
    assert [e["shortcode"] for e in await _listed(client)] == ["kept"]
    [row] = await _admin_list(client, admin)
    assert row["disabled"] is False
    assert ctx.storage.keys("e/") == files_before


async def test_shortcodes_render_in_statuses_and_accounts(
    client: httpx.AsyncClient, admin: User
) -> None:
    ana = await sign_up(client, "ana")
    profile = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=ana.headers,
        data={"display_name": ":blobcat: Ana", "note": "I like :party: and :nope:"},
    )
    assert profile.status_code == 200
    status = await post_photo(client, ana, "hello :blobcat: and :party:, not a:blobcat:")
    path = f"/api/v1/statuses/{status['id']}"
    # Rendered (and cached) before any emoji exists.
    first = (await client.get(path)).json()
    assert first["emojis"] == [] and first["account"]["emojis"] == []

    blob = await _added(client, admin, "blobcat")
    party = await _added(client, admin, "party", image=_animated(), name="p.gif")
    public = {
        k: blob[k] for k in ("shortcode", "url", "static_url", "visible_in_picker", "category")
    }
    party_public = {k: party[k] for k in public}

    shown = (await client.get(path)).json()
    assert_entity("Status", shown)
    assert shown["emojis"] == [public, party_public]
    assert ":blobcat:" in shown["content"]  # the text keeps the shortcode
    assert shown["account"]["emojis"] == [public, party_public]
    account = (await client.get(f"/api/v1/accounts/{ana.id}")).json()
    assert_entity("Account", account)
    assert [e["shortcode"] for e in account["emojis"]] == ["blobcat", "party"]
    me = (await client.get("/api/v1/accounts/verify_credentials", headers=ana.headers)).json()
    assert_entity("CredentialAccount", me)
    assert [e["shortcode"] for e in me["emojis"]] == ["blobcat", "party"]
    timeline = (await client.get(f"/api/v1/accounts/{ana.id}/statuses")).json()
    assert [e["shortcode"] for e in timeline[0]["emojis"]] == ["blobcat", "party"]
    # Lists of accounts too: who someone follows, who liked a post.
    bo = await sign_up(client, "bo")
    await follow(client, bo, ana)
    liked = await client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bo.headers)
    assert liked.status_code == 200
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=bo.headers, data={"note": ":party:"}
    )
    following = (await client.get(f"/api/v1/accounts/{bo.id}/following")).json()
    assert [e["shortcode"] for e in following[0]["emojis"]] == ["blobcat", "party"]
    likers = (await client.get(f"/api/v1/statuses/{status['id']}/favourited_by")).json()
    assert [e["shortcode"] for e in likers[0]["emojis"]] == ["party"]

    # Disabled: no longer rendered anywhere, though the cached JSON is the same.
    off = await client.patch(
        f"{ADMIN}/{party['id']}", headers=admin.headers, data={"disabled": "1"}
    )
    assert off.status_code == 200
    shown = (await client.get(path)).json()
    assert [e["shortcode"] for e in shown["emojis"]] == ["blobcat"]
    assert [e["shortcode"] for e in shown["account"]["emojis"]] == ["blobcat"]
    removed = await client.delete(f"{ADMIN}/{blob['id']}", headers=admin.headers)
    assert removed.status_code == 200
    shown = (await client.get(path)).json()
    assert shown["emojis"] == [] and shown["account"]["emojis"] == []
    account = (await client.get(f"/api/v1/accounts/{ana.id}")).json()
    assert account["emojis"] == []


async def test_a_content_warning_uses_emojis_too(client: httpx.AsyncClient, admin: User) -> None:
    await _added(client, admin, "warn_sign")
    ana = await sign_up(client, "ana")
    photo = await post_photo(client, ana, "nothing here")
    edited = await client.put(
        f"/api/v1/statuses/{photo['id']}",
        headers=ana.headers,
        json={
            "status": "nothing here",
            "spoiler_text": "careful :warn_sign:",
            "media_ids": [m["id"] for m in photo["media_attachments"]],
        },
    )
    assert edited.status_code == 200, edited.text
    assert [e["shortcode"] for e in edited.json()["emojis"]] == ["warn_sign"]


async def test_edit_history_and_conversations_use_emojis_too(
    client: httpx.AsyncClient, admin: User, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    await _added(client, admin, "blobcat")
    ana, bo = await sign_up(client, "ana"), await sign_up(client, "bo")
    named = await client.patch(
        "/api/v1/accounts/update_credentials", headers=ana.headers, data={"note": ":blobcat:"}
    )
    assert named.status_code == 200
    photo = await post_photo(client, ana, "before")
    edited = await client.put(
        f"/api/v1/statuses/{photo['id']}",
        headers=ana.headers,
        json={
            "status": "after :blobcat:",
            "media_ids": [m["id"] for m in photo["media_attachments"]],
        },
    )
    assert edited.status_code == 200, edited.text
    history = (await client.get(f"/api/v1/statuses/{photo['id']}/history")).json()
    for version in history:
        assert_entity("StatusEdit", version)
    assert [[e["shortcode"] for e in v["emojis"]] for v in history] == [[], ["blobcat"]]
    assert [e["shortcode"] for e in history[0]["account"]["emojis"]] == ["blobcat"]

    sent = await client.post(
        "/api/v1/statuses",
        headers=ana.headers,
        json={"status": "@bo :blobcat: tonight?", "visibility": "direct"},
    )
    assert sent.status_code == 200, sent.text
    await run_jobs()
    [conversation] = (await client.get("/api/v1/conversations", headers=bo.headers)).json()
    assert_entity("Conversation", conversation)
    assert [e["shortcode"] for e in conversation["last_status"]["emojis"]] == ["blobcat"]
    [with_ana] = conversation["accounts"]
    assert [e["shortcode"] for e in with_ana["emojis"]] == ["blobcat"]


async def test_the_media_sweep_leaves_emoji_files_alone(
    client: httpx.AsyncClient, admin: User, ctx: AppContext
) -> None:
    emoji = await _added(client, admin, "kept_file", image=_animated(), name="k.gif")
    later = utcnow() + timedelta(days=30)
    await cleanup.sweep_orphans(ctx, now=later)
    await _file(client, emoji["url"])
    await _file(client, emoji["static_url"])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
async def s3_app(
    database_url: str,
    s3_endpoint: str,
    tmp_path_factory: pytest.TempPathFactory,
    ctx: AppContext,  # empties the tables
) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    settings = make_settings(
        tmp_path_factory.mktemp("var-s3"),
        database_url,
        **s3_settings(s3_endpoint, create_bucket(s3_endpoint)),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            yield http, app.state.ctx


async def test_emojis_are_stored_in_an_s3_bucket(
    s3_app: tuple[httpx.AsyncClient, AppContext],
) -> None:
    http, s3_ctx = s3_app
    admin = await staff(http, s3_ctx, "boss", "admin")
    image = _animated()
    emoji = await _added(http, admin, "in_bucket", image=image, name="b.gif")
    keys = [emoji[k].split("/media/", 1)[1] for k in ("url", "static_url")]
    assert s3_ctx.storage.get(keys[0]) == image
    assert s3_ctx.storage.get(keys[1]).startswith(b"\x89PNG")
    served = await http.get(emoji["url"].removeprefix(BASE_URL))
    assert served.status_code == 307  # to a presigned URL of the bucket
    removed = await http.delete(f"{ADMIN}/{emoji['id']}", headers=admin.headers)
    assert removed.status_code == 200
    await drain(s3_ctx)
    assert not any(s3_ctx.storage.exists(key) for key in keys)


def test_operators_manage_emojis_from_the_command_line(tmp_path: Path) -> None:
    env = shutter_env("", tmp_path / "var")
    image = tmp_path / "blob.png"
    image.write_bytes(_still())
    added = run_shutter(["emojis", "add", "blobcat", str(image), "--category", "Blobs"], env)
    assert added.returncode == 0, added.stderr
    animated = tmp_path / "party.gif"
    animated.write_bytes(_animated())
    hidden = run_shutter(["emojis", "add", "party", str(animated), "--hidden"], env)
    assert hidden.returncode == 0, hidden.stderr
    listed = run_shutter(["emojis", "list"], env).stdout.splitlines()
    assert listed == [":blobcat:  Blobs", ":party:    hidden"]
    files = sorted(p.name for p in (tmp_path / "var" / "media" / "e").iterdir())
    assert len(files) == 4  # each image and its still

    taken = run_shutter(["emojis", "add", "blobcat", str(image)], env)
    assert taken.returncode == 1 and "already been taken" in taken.stderr
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    refused = run_shutter(["emojis", "add", "notes", str(text)], env)
    assert refused.returncode == 1 and "not a supported image" in refused.stderr

    assert run_shutter(["emojis", "remove", ":party:"], env).returncode == 0
    assert run_shutter(["emojis", "list"], env).stdout.splitlines() == [":blobcat:  Blobs"]
