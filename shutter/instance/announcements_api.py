"""Mastodon's announcement routes (read, dismiss, react), and Shutter-only routes for
admins to write them (Mastodon writes them in its web admin only; docs/api.md)."""

# No `from __future__ import annotations`: the dependency's annotation names `checked`,
# a local that FastAPI could not resolve from a string.
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.accounts.permissions import Permission, require
from shutter.auth.deps import user
from shutter.emojis.catalog import current_emojis
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.params import QueryParams, RequestParams, params
from shutter.instance import announcements as service
from shutter.instance.announcement_render import render_announcements
from shutter.instance.models import Announcement

router = APIRouter()
ADMIN = "/api/v1/shutter/admin/announcements"


class ListParams(QueryParams):
    with_dismissed: bool = False


class AnnouncementParams(RequestParams):
    text: str | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    all_day: bool | None = None
    published: bool | None = None


def _changes(body: AnnouncementParams) -> service.Changes:
    """What the admin sent: an absent field is left as it is, a blank time clears it."""
    sent = body.model_fields_set
    values: dict[str, Any] = {}
    if "text" in sent:
        values["text"] = body.text
    for name in ("starts_at", "ends_at"):
        raw = getattr(body, name)
        if name in sent:
            values[name] = service.parse_time(raw or "", field=name)
    if body.all_day is not None:
        values["all_day"] = body.all_day
    if body.published is not None:
        values["published"] = body.published
    return service.Changes(**values)


def _announcer(scope: str) -> Callable[..., Coroutine[Any, Any, Account]]:
    checked = Depends(user(scope))

    async def dependency(me: Annotated[Account, checked]) -> Account:
        return require(me, Permission.MANAGE_ANNOUNCEMENTS)

    return dependency


Reader = Annotated[Account, Depends(_announcer("admin:read"))]
Writer = Annotated[Account, Depends(_announcer("admin:write"))]


def _admin_json(announcement: Announcement, body: dict[str, Any]) -> dict[str, Any]:
    """The entity with what admins also need: whether it is published, its text."""
    return body | {
        "published": announcement.published_at is not None,
        "published_at": body["published_at"] if announcement.published_at else None,
        "text": announcement.text,
    }


async def _admin_bodies(
    ctx: Ctx, session: AsyncSession, listed: list[Announcement]
) -> list[dict[str, Any]]:
    bodies = await render_announcements(
        session, listed, emojis=await current_emojis(ctx), viewer_id=None
    )
    return [_admin_json(a, body) for a, body in zip(listed, bodies, strict=True)]


@router.get("/api/v1/announcements")
async def list_announcements(
    ctx: Ctx,
    session: ReadSession,
    me: Annotated[Account, Depends(user("read"))],
    query: ListParams = params(ListParams),
) -> Response:
    listed = await service.shown_announcements(
        session, viewer_id=me.id, with_dismissed=query.with_dismissed
    )
    return json_response(
        await render_announcements(
            session, listed, emojis=await current_emojis(ctx), viewer_id=me.id
        )
    )


@router.post("/api/v1/announcements/{announcement_id:id}/dismiss")
async def dismiss(
    session: WriteSession,
    me: Annotated[Account, Depends(user("write:accounts"))],
    announcement_id: int,
) -> Response:
    await service.do_dismiss(session, account_id=me.id, announcement_id=announcement_id)
    return json_response({})


@router.put("/api/v1/announcements/{announcement_id:id}/reactions/{name}")
async def react(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("write:favourites"))],
    announcement_id: int,
    name: str,
) -> Response:
    await service.do_react(
        session, ctx=ctx, account_id=me.id, announcement_id=announcement_id, name=name
    )
    return json_response({})


@router.delete("/api/v1/announcements/{announcement_id:id}/reactions/{name}")
async def unreact(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("write:favourites"))],
    announcement_id: int,
    name: str,
) -> Response:
    await service.do_unreact(
        session, ctx=ctx, account_id=me.id, announcement_id=announcement_id, name=name
    )
    return json_response({})


@router.get(ADMIN)
async def admin_list(ctx: Ctx, session: ReadSession, me: Reader) -> Response:
    listed = await service.all_announcements(session)
    return json_response(await _admin_bodies(ctx, session, listed))


@router.post(ADMIN)
async def admin_create(
    ctx: Ctx,
    session: WriteSession,
    me: Writer,
    body: AnnouncementParams = params(AnnouncementParams),
) -> Response:
    announcement = await service.do_create(session, ctx=ctx, changes=_changes(body))
    return json_response((await _admin_bodies(ctx, session, [announcement]))[0])


@router.api_route(ADMIN + "/{announcement_id:id}", methods=["PUT", "PATCH"])
async def admin_edit(
    ctx: Ctx,
    session: WriteSession,
    me: Writer,
    announcement_id: int,
    body: AnnouncementParams = params(AnnouncementParams),
) -> Response:
    announcement = await service.do_edit(
        session, ctx=ctx, announcement_id=announcement_id, changes=_changes(body)
    )
    return json_response((await _admin_bodies(ctx, session, [announcement]))[0])


@router.delete(ADMIN + "/{announcement_id:id}")
async def admin_delete(
    ctx: Ctx, session: WriteSession, me: Writer, announcement_id: int
) -> Response:
    await service.do_delete(session, ctx=ctx, announcement_id=announcement_id)
    return json_response({})
