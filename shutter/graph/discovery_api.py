"""Graph routes for finding people: endorsements, follow suggestions, the directory."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.accounts.render import render_accounts
from shutter.auth.deps import optional_user, user
from shutter.graph.schemas import AccountListParams
from shutter.graph.service import endorsements, suggestions
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import not_found
from shutter.infra.http import json_response
from shutter.infra.ids import parse_id
from shutter.infra.pagination import WHOLE_NUMBER, Limit80, Offset, at_most, link_header
from shutter.infra.params import QueryParams, params

router = APIRouter()

ProfileEditor = Annotated[Account, Depends(user("write:accounts"))]
ProfileReader = Annotated[Account, Depends(user("read:accounts"))]
Reader = Annotated[Account, Depends(user("read"))]
Viewer = Annotated[Account | None, Depends(optional_user("read:accounts"))]

# --- endorsements (Mastodon's `pin`, 4.4's `endorse`) --------------------------------------


async def _endorse(session: Any, me: Account, account_id: int) -> Response:
    return json_response(await endorsements.do_endorse(session, account=me, target_id=account_id))


async def _unendorse(session: Any, me: Account, account_id: int) -> Response:
    return json_response(await endorsements.do_unendorse(session, account=me, target_id=account_id))


@router.post("/api/v1/accounts/{account_id:id}/pin")
async def pin_account(session: WriteSession, me: ProfileEditor, account_id: int) -> Response:
    return await _endorse(session, me, account_id)


@router.post("/api/v1/accounts/{account_id:id}/endorse")
async def endorse_account(session: WriteSession, me: ProfileEditor, account_id: int) -> Response:
    return await _endorse(session, me, account_id)


@router.post("/api/v1/accounts/{account_id:id}/unpin")
async def unpin_account(session: WriteSession, me: ProfileEditor, account_id: int) -> Response:
    return await _unendorse(session, me, account_id)


@router.post("/api/v1/accounts/{account_id:id}/unendorse")
async def unendorse_account(session: WriteSession, me: ProfileEditor, account_id: int) -> Response:
    return await _unendorse(session, me, account_id)


@router.get("/api/v1/endorsements")
async def my_endorsements(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: ProfileReader,
    page: AccountListParams = params(AccountListParams),
) -> Response:
    found = await endorsements.list_endorsements(
        session, viewer_id=me.id, account_id=me.id, page=page
    )
    body = await render_accounts(ctx, found.accounts)
    return json_response(body, headers=link_header(request, found.cursor_ids))


@router.get("/api/v1/accounts/{account_id:id}/endorsements")
async def account_endorsements(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    account_id: int,
    page: AccountListParams = params(AccountListParams),
) -> Response:
    account = await accounts.access_account(session, account_id)
    found = await endorsements.list_endorsements(
        session, viewer_id=viewer.id if viewer else None, account_id=account.id, page=page
    )
    body = await render_accounts(ctx, found.accounts)
    return json_response(body, headers=link_header(request, found.cursor_ids))


# --- suggestions ---------------------------------------------------------------------------


class SuggestionsParams(QueryParams):
    limit: Limit80 = 40


# Mastodon 4.3 still sends the older single `source` beside `sources`.
_LEGACY_SOURCE = {
    suggestions.FRIENDS_OF_FRIENDS: "past_interactions",
    suggestions.MOST_FOLLOWED: "global",
}


@router.get("/api/v2/suggestions")
async def suggestions_v2(
    ctx: Ctx,
    session: ReadSession,
    me: Reader,
    query: SuggestionsParams = params(SuggestionsParams),
) -> Response:
    found = await suggestions.suggestions(session, viewer_id=me.id, limit=query.limit)
    bodies = await render_accounts(ctx, [s.account for s in found])
    return json_response(
        [
            {"source": _LEGACY_SOURCE[s.sources[0]], "sources": s.sources, "account": body}
            for s, body in zip(found, bodies, strict=True)
        ]
    )


@router.get("/api/v1/suggestions")
async def suggestions_v1(
    ctx: Ctx,
    session: ReadSession,
    me: Reader,
    query: SuggestionsParams = params(SuggestionsParams),
) -> Response:
    found = await suggestions.suggestions(session, viewer_id=me.id, limit=query.limit)
    return json_response(await render_accounts(ctx, [s.account for s in found]))


@router.delete("/api/v1/suggestions/{account_id}")
async def dismiss_suggestion(session: WriteSession, me: Reader, account_id: str) -> Response:
    target_id = parse_id(account_id)
    if target_id is None:
        raise not_found()
    await suggestions.do_dismiss(session, viewer_id=me.id, target_id=target_id)
    return json_response({})


# --- the profile directory -----------------------------------------------------------------


class DirectoryParams(QueryParams):
    limit: Annotated[int, WHOLE_NUMBER, at_most(80)] = 40
    offset: Offset = 0
    order: Literal["active", "new"] = "active"
    local: bool = False


@router.get("/api/v1/directory")
async def profile_directory(
    ctx: Ctx,
    session: ReadSession,
    viewer: Viewer,
    query: DirectoryParams = params(DirectoryParams),
) -> Response:
    """Every account is local (no federation), so `local` changes nothing."""
    found = await suggestions.directory(
        session,
        viewer_id=viewer.id if viewer else None,
        order=query.order,
        offset=query.offset,
        limit=query.limit,
    )
    return json_response(await render_accounts(ctx, found))
