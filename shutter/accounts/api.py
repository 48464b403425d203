"""Account routes: sign-up, own credentials, profiles and look-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts import service
from shutter.accounts.models import Account
from shutter.accounts.render import render_account
from shutter.accounts.schemas import (
    LookupParams,
    SignUpParams,
    UpdateCredentialsParams,
    credential_account_json,
    userinfo_json,
)
from shutter.accounts.service import registrations
from shutter.auth import service as auth
from shutter.auth.deps import app_token, user
from shutter.auth.schemas import token_json
from shutter.auth.service import Caller
from shutter.auth.usage import device_of
from shutter.emojis.catalog import current_emojis
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError
from shutter.infra.http import NO_STORE, entity_response, json_response
from shutter.infra.params import params

router = APIRouter(prefix="/api/v1/accounts")
# OpenID Connect's profile of the token's account lives with the other profiles.
oauth_router = APIRouter()


@router.post("")
async def sign_up(
    ctx: Ctx,
    request: Request,
    session: WriteSession,
    caller: Annotated[Caller, Depends(app_token("write:accounts"))],
    body: SignUpParams = params(SignUpParams),
) -> Response:
    if body.agreement is False:
        raise ApiError(422, "Validation failed: agreement must be accepted")
    account = await registrations.do_sign_up(
        session,
        settings=ctx.settings,
        username=body.username,
        email=body.email,
        password=body.password,
        reason=body.reason,
        invite_code=body.invite_code,
    )
    issued = await auth.issue_sign_up_token(
        session, caller=caller, account=account, device=device_of(request)
    )
    return json_response(token_json(issued.token, issued.raw, issued.raw_refresh), headers=NO_STORE)


@router.get("/verify_credentials")
async def verify_credentials(
    ctx: Ctx,
    session: ReadSession,
    me: Annotated[Account, Depends(user("read:accounts profile", unconfirmed=True))],
) -> Response:
    pending = await service.count_follow_requests(session, target_id=me.id)
    body = credential_account_json(me, ctx.settings, follow_requests_count=pending)
    return json_response((await current_emojis(ctx)).fill_account(body))


@router.patch("/update_credentials")
async def update_credentials(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("write:accounts"))],
    body: UpdateCredentialsParams = params(UpdateCredentialsParams),
) -> Response:
    account = await service.do_update_credentials(
        session,
        ctx=ctx,
        account=await session.merge(me),
        changes=service.ProfileChanges(
            display_name=body.display_name,
            note=body.note,
            locked=body.locked,
            website=body.website,
            privacy=body.source.privacy if body.source else None,
            sensitive=body.source.sensitive if body.source else None,
            language=body.source.language if body.source else None,
        ),
        avatar=body.avatar,
    )
    pending = await service.count_follow_requests(session, target_id=account.id)
    entity = credential_account_json(account, ctx.settings, follow_requests_count=pending)
    return json_response((await current_emojis(ctx)).fill_account(entity))


@router.get("/lookup")
async def lookup(
    request: Request, ctx: Ctx, session: ReadSession, query: LookupParams = params(LookupParams)
) -> Response:
    account = await service.lookup_account(session, query.acct)
    return entity_response(request, await render_account(ctx, account))


@router.get("/{account_id:id}")
async def get_account(
    request: Request, ctx: Ctx, session: ReadSession, account_id: int
) -> Response:
    # A suspended account answers as on Mastodon: `suspended: true`, its name only.
    account = await service.access_account_entity(session, account_id)
    return entity_response(request, await render_account(ctx, account))


@oauth_router.api_route("/oauth/userinfo", methods=["GET", "POST"])
async def userinfo(ctx: Ctx, me: Annotated[Account, Depends(user("profile"))]) -> Response:
    """OpenID Connect claims of the token's account (Mastodon 4.4), for `profile` tokens."""
    return json_response(userinfo_json(me, ctx.settings), headers=NO_STORE)
