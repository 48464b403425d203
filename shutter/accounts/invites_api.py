"""Invite links (Shutter-only routes: Mastodon has only web forms for them, docs/api.md),
and the page an invite link opens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import HTMLResponse, Response

from shutter.accounts import pages
from shutter.accounts.models import Account
from shutter.accounts.schemas import InviteParams
from shutter.accounts.service import invites
from shutter.auth.deps import user
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.params import params

router = APIRouter()


@router.post("/api/v1/shutter/invites")
async def create_invite(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("write:accounts"))],
    body: InviteParams = params(InviteParams),
) -> Response:
    invite = await invites.do_create_invite(
        session,
        settings=ctx.settings,
        account=me,
        max_uses=body.max_uses,
        expires_in=body.expires_in,
    )
    return json_response(invites.invite_json(invite, ctx.settings))


@router.get("/api/v1/shutter/invites")
async def list_invites(
    ctx: Ctx, session: ReadSession, me: Annotated[Account, Depends(user("read:accounts"))]
) -> Response:
    found = await invites.own_invites(session, account_id=me.id)
    return json_response([invites.invite_json(invite, ctx.settings) for invite in found])


@router.delete("/api/v1/shutter/invites/{invite_id:id}")
async def expire_invite(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("write:accounts"))],
    invite_id: int,
) -> Response:
    invite = await invites.do_expire_invite(session, account=me, invite_id=invite_id)
    return json_response(invites.invite_json(invite, ctx.settings))


@router.get("/invite/{code}")
async def invite_link(ctx: Ctx, session: ReadSession, code: str) -> Response:
    s = ctx.settings
    invite = await invites.find_usable_invite(session, code)
    html = pages.invite_page(
        title=s.instance_title,
        host=s.base_url.split("://", 1)[1],
        code=invite.code if invite is not None else None,
    )
    return HTMLResponse(html, status_code=200 if invite else 404, headers=pages.HEADERS)
