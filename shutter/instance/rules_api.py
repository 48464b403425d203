"""The instance's rules: Mastodon's `GET /api/v1/instance/rules`, and Shutter-only
routes for admins to edit them (Mastodon edits them in its web admin only; docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.infra.context import AppContext
from shutter.infra.db import on_commit
from shutter.infra.deps import Ctx, WriteSession
from shutter.infra.errors import forbidden
from shutter.infra.http import json_response
from shutter.infra.params import RequestParams, params
from shutter.instance import rules
from shutter.instance.rules import rule_book, rule_json

router = APIRouter()


class RuleParams(RequestParams):
    text: str | None = None
    hint: str | None = None
    position: int | None = None


def _admin(account: Account) -> Account:
    """Rules are the admins' (Mastodon's `manage_rules` permission is theirs alone)."""
    if account.role != "admin":
        raise forbidden()
    return account


def _forget_after_commit(ctx: AppContext, session: AsyncSession) -> None:
    # After the commit: forgetting before it would let a concurrent read keep the old rules.
    on_commit(session, rule_book(ctx).forget)


@router.get("/api/v1/instance/rules")
async def list_rules(ctx: Ctx) -> Response:
    return json_response(await rule_book(ctx).current(ctx))


@router.post("/api/v1/shutter/admin/rules")
async def add_rule(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("admin:write"))],
    body: RuleParams = params(RuleParams),
) -> Response:
    _admin(me)
    rule = await rules.do_add_rule(session, text=body.text, hint=body.hint, position=body.position)
    _forget_after_commit(ctx, session)
    return json_response(rule_json(rule))


@router.put("/api/v1/shutter/admin/rules/{rule_id:id}")
async def edit_rule(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("admin:write"))],
    rule_id: int,
    body: RuleParams = params(RuleParams),
) -> Response:
    _admin(me)
    rule = await rules.do_edit_rule(
        session, rule_id=rule_id, text=body.text, hint=body.hint, position=body.position
    )
    _forget_after_commit(ctx, session)
    return json_response(rule_json(rule))


@router.delete("/api/v1/shutter/admin/rules/{rule_id:id}")
async def remove_rule(
    ctx: Ctx,
    session: WriteSession,
    me: Annotated[Account, Depends(user("admin:write"))],
    rule_id: int,
) -> Response:
    _admin(me)
    await rules.do_remove_rule(session, rule_id=rule_id)
    _forget_after_commit(ctx, session)
    return json_response({})
