"""Shutter's routes of two-factor authentication (Mastodon has only web forms for it):
its state, setting it up, confirming, disabling, new recovery codes. Documented in
docs/api.md; the rules are in auth/service/two_factor.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.auth.service import two_factor
from shutter.auth.usage import device_of
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.formats import iso
from shutter.infra.http import NO_STORE, json_response
from shutter.infra.params import RequestParams, params

router = APIRouter(prefix="/api/v1/shutter/two_factor")

Reader = Annotated[Account, Depends(user("read:accounts"))]
Writer = Annotated[Account, Depends(user("write:accounts"))]

# A code as typed: six digits, or a recovery code with its dashes (and some spaces).
_CODE = Field(min_length=1, max_length=64)


class SetupParams(RequestParams):
    current_password: str = Field(max_length=4096)


class ConfirmParams(RequestParams):
    code: str = _CODE


class OwnerParams(RequestParams):
    current_password: str = Field(max_length=4096)
    code: str = _CODE


def status_json(status: two_factor.Status) -> dict[str, Any]:
    return {
        "enabled": status.enabled_at is not None,
        "enabled_at": iso(status.enabled_at),
        "recovery_codes_left": status.recovery_codes_left,
    }


def _address(request: Request) -> str | None:
    return device_of(request).ip


@router.get("")
async def show(session: ReadSession, me: Reader) -> Response:
    return json_response(status_json(await two_factor.status(session, me.id)))


@router.post("/setup")
async def setup(
    ctx: Ctx, session: WriteSession, me: Writer, body: SetupParams = params(SetupParams)
) -> Response:
    made = await two_factor.do_setup(session, ctx=ctx, account=me, password=body.current_password)
    return json_response(
        {"secret": made.secret, "uri": made.uri, "qr_code_svg": made.qr_svg, "enabled": False},
        headers=NO_STORE,
    )


@router.post("/confirm")
async def confirm(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    me: Writer,
    body: ConfirmParams = params(ConfirmParams),
) -> Response:
    codes = await two_factor.do_confirm(
        session, ctx=ctx, account=me, code=body.code, address=_address(request)
    )
    return json_response({"enabled": True, "recovery_codes": codes}, headers=NO_STORE)


@router.post("/disable")
async def disable(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    me: Writer,
    body: OwnerParams = params(OwnerParams),
) -> Response:
    await two_factor.do_disable(
        session,
        ctx=ctx,
        account=me,
        password=body.current_password,
        code=body.code,
        address=_address(request),
    )
    return json_response({"enabled": False, "enabled_at": None, "recovery_codes_left": 0})


@router.post("/recovery_codes")
async def regenerate_recovery_codes(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    me: Writer,
    body: OwnerParams = params(OwnerParams),
) -> Response:
    codes = await two_factor.do_regenerate_recovery_codes(
        session,
        ctx=ctx,
        account=me,
        password=body.current_password,
        code=body.code,
        address=_address(request),
    )
    return json_response({"recovery_codes": codes}, headers=NO_STORE)
