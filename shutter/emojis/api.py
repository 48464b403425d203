"""Mastodon's `GET /api/v1/custom_emojis`, and Shutter-only routes for admins to manage
the emojis (Mastodon manages them in its web admin only; docs/api.md)."""

# No `from __future__ import annotations`: the dependency's annotation names `checked`,
# a local that FastAPI could not resolve from a string.
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.emojis import service
from shutter.emojis.catalog import current_emojis
from shutter.emojis.schemas import (
    AddEmojiParams,
    AdminListParams,
    EditEmojiParams,
    admin_emoji_json,
)
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import forbidden
from shutter.infra.http import entity_response, json_response
from shutter.infra.params import params

router = APIRouter()
ADMIN = "/api/v1/shutter/admin/custom_emojis"


def _emoji_admin(scope: str) -> Callable[..., Coroutine[Any, Any, Account]]:
    """The caller, if its token holds `scope` and it is an admin: of the fixed roles only
    the admin's grants `manage_custom_emojis` (accounts/permissions.py, above this service,
    so the role is read here as instance/rules_api.py reads it)."""
    checked = Depends(user(scope))

    async def dependency(me: Annotated[Account, checked]) -> Account:
        if me.role != "admin":
            raise forbidden()
        return me

    return dependency


Reader = Annotated[Account, Depends(_emoji_admin("admin:read"))]
Writer = Annotated[Account, Depends(_emoji_admin("admin:write"))]


@router.get("/api/v1/custom_emojis")
async def list_custom_emojis(request: Request, ctx: Ctx) -> Response:
    """The picker's emojis: enabled and visible in the picker (Mastodon's `listed`)."""
    emojis = (await current_emojis(ctx)).by_shortcode.values()
    listed = sorted(
        (e for e in emojis if e["visible_in_picker"]),
        key=lambda e: (e["shortcode"].lower(), e["shortcode"]),
    )
    return entity_response(request, listed)


@router.get(ADMIN)
async def admin_list(
    ctx: Ctx,
    session: ReadSession,
    me: Reader,
    query: AdminListParams = params(AdminListParams),
) -> Response:
    emojis = await service.list_emojis(session, disabled=query.disabled)
    return json_response([admin_emoji_json(e, ctx.settings) for e in emojis])


@router.post(ADMIN)
async def admin_add(
    ctx: Ctx, session: WriteSession, me: Writer, body: AddEmojiParams = params(AddEmojiParams)
) -> Response:
    emoji = await service.do_add_emoji(
        session,
        ctx=ctx,
        shortcode=body.shortcode,
        image=body.image,
        category=body.category,
        visible_in_picker=body.visible_in_picker,
    )
    return json_response(admin_emoji_json(emoji, ctx.settings))


@router.api_route(ADMIN + "/{emoji_id:id}", methods=["PATCH", "PUT"])
async def admin_edit(
    ctx: Ctx,
    session: WriteSession,
    me: Writer,
    emoji_id: int,
    body: EditEmojiParams = params(EditEmojiParams),
) -> Response:
    emoji = await service.do_edit_emoji(
        session,
        ctx=ctx,
        emoji_id=emoji_id,
        category=body.category,
        visible_in_picker=body.visible_in_picker,
        disabled=body.disabled,
    )
    return json_response(admin_emoji_json(emoji, ctx.settings))


@router.delete(ADMIN + "/{emoji_id:id}")
async def admin_remove(ctx: Ctx, session: WriteSession, me: Writer, emoji_id: int) -> Response:
    await service.do_remove_emoji(session, ctx=ctx, emoji_id=emoji_id)
    return json_response({})
