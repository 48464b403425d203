"""Shutter's routes of an account's sessions and authorised apps (Mastodon has only web
pages for them): list each live token with its app, device, address and last use, and
end one, all the others, or every token of an app. Documented in docs/api.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from shutter.auth import sessions
from shutter.auth.deps import user_caller
from shutter.auth.models import App, Token
from shutter.auth.service import Caller
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.formats import iso
from shutter.infra.http import json_response
from shutter.infra.params import QueryParams, params

router = APIRouter(prefix="/api/v1/shutter")

Reader = Annotated[Caller, Depends(user_caller("read:accounts"))]
Revoker = Annotated[Caller, Depends(user_caller("write:accounts"))]


class RevokeAllParams(QueryParams):
    include_current: bool = False


def _app_json(app: App) -> dict[str, Any]:
    return {"id": str(app.id), "name": app.name, "website": app.website}


def session_json(token: Token, app: App, *, current_token_id: int) -> dict[str, Any]:
    return {
        "id": str(token.id),
        "app": _app_json(app),
        "scopes": token.scopes.split(),
        "created_at": iso(token.created_at),
        "issued_ip": token.issued_ip,
        "issued_user_agent": token.issued_user_agent,
        "last_used_at": iso(token.last_used_at),
        "last_ip": token.last_ip,
        "last_user_agent": token.last_user_agent,
        "current": token.id == current_token_id,
    }


def authorized_app_json(authorized: sessions.AuthorizedApp) -> dict[str, Any]:
    return _app_json(authorized.app) | {
        "scopes": authorized.scopes,
        "created_at": iso(authorized.authorized_at),
        "last_used_at": iso(authorized.last_used_at),
    }


def _account_id(caller: Caller) -> int:
    assert caller.account is not None  # user_caller() admits user tokens only
    return caller.account.id


@router.get("/sessions")
async def list_sessions(session: ReadSession, caller: Reader) -> Response:
    found = await sessions.list_sessions(session, account_id=_account_id(caller))
    return json_response(
        [session_json(token, app, current_token_id=caller.token_id) for token, app in found]
    )


@router.delete("/sessions/{token_id:id}")
async def revoke_session(
    ctx: Ctx, session: WriteSession, caller: Revoker, token_id: int
) -> Response:
    await sessions.do_revoke_session(
        session, events=ctx.events, account_id=_account_id(caller), token_id=token_id
    )
    return json_response({})


@router.delete("/sessions")
async def revoke_sessions(
    ctx: Ctx,
    session: WriteSession,
    caller: Revoker,
    query: RevokeAllParams = params(RevokeAllParams),
) -> Response:
    await sessions.do_end_access(
        session,
        events=ctx.events,
        account_id=_account_id(caller),
        keep_token_id=None if query.include_current else caller.token_id,
    )
    return json_response({})


@router.get("/authorized_apps")
async def list_authorized_apps(session: ReadSession, caller: Reader) -> Response:
    found = await sessions.list_sessions(session, account_id=_account_id(caller))
    return json_response([authorized_app_json(app) for app in sessions.group_by_app(found)])


@router.delete("/authorized_apps/{app_id:id}")
async def revoke_authorized_app(
    ctx: Ctx, session: WriteSession, caller: Revoker, app_id: int
) -> Response:
    await sessions.do_revoke_app(
        session, events=ctx.events, account_id=_account_id(caller), app_id=app_id
    )
    return json_response({})
