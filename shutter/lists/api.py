"""List routes: lists, their members, the lists holding an account, list timelines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.accounts.render import render_accounts
from shutter.auth.deps import user
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.pagination import PageParams, link_header
from shutter.infra.params import params
from shutter.lists import service, timeline
from shutter.lists.schemas import ListParams, ListUpdateParams, MemberPageParams, MembersParams

router = APIRouter()

ReadLists = Annotated[Account, Depends(user("read:lists"))]
WriteLists = Annotated[Account, Depends(user("write:lists"))]


@router.get("/api/v1/lists")
async def lists(session: ReadSession, me: ReadLists) -> Response:
    found = await service.lists_of(session, owner_id=me.id)
    return json_response([service.list_json(item) for item in found])


@router.post("/api/v1/lists")
async def create_list(
    session: WriteSession, me: WriteLists, body: ListParams = params(ListParams)
) -> Response:
    created = await service.do_create_list(
        session,
        owner_id=me.id,
        title=body.title,
        replies_policy=body.replies_policy,
        exclusive=body.exclusive,
    )
    return json_response(service.list_json(created))


@router.get("/api/v1/lists/{list_id:id}")
async def show_list(session: ReadSession, me: ReadLists, list_id: int) -> Response:
    found = await service.owned_list(session, owner_id=me.id, list_id=list_id)
    return json_response(service.list_json(found))


@router.put("/api/v1/lists/{list_id:id}")
async def update_list(
    session: WriteSession,
    me: WriteLists,
    list_id: int,
    body: ListUpdateParams = params(ListUpdateParams),
) -> Response:
    updated = await service.do_update_list(
        session,
        owner_id=me.id,
        list_id=list_id,
        title=body.title,
        replies_policy=body.replies_policy,
        exclusive=body.exclusive,
    )
    return json_response(service.list_json(updated))


@router.delete("/api/v1/lists/{list_id:id}")
async def delete_list(session: WriteSession, me: WriteLists, list_id: int) -> Response:
    await service.do_delete_list(session, owner_id=me.id, list_id=list_id)
    return json_response({})


@router.get("/api/v1/lists/{list_id:id}/accounts")
async def list_members(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: ReadLists,
    list_id: int,
    page: MemberPageParams = params(MemberPageParams),
) -> Response:
    found = await service.members_page(
        session, owner_id=me.id, list_id=list_id, page=page if page.limit else None
    )
    body = await render_accounts(ctx, found.accounts)
    # Every member at once (limit=0) has no further page, so no Link (as Mastodon).
    headers = link_header(request, found.cursor_ids) if page.limit else {}
    return json_response(body, headers=headers)


@router.post("/api/v1/lists/{list_id:id}/accounts")
async def add_members(
    session: WriteSession,
    me: WriteLists,
    list_id: int,
    body: MembersParams = params(MembersParams),
) -> Response:
    await service.do_add_members(session, owner_id=me.id, list_id=list_id, account_ids=body.ids())
    return json_response({})


@router.delete("/api/v1/lists/{list_id:id}/accounts")
async def remove_members(
    session: WriteSession,
    me: WriteLists,
    list_id: int,
    body: MembersParams = params(MembersParams),
) -> Response:
    await service.do_remove_members(
        session, owner_id=me.id, list_id=list_id, account_ids=body.ids()
    )
    return json_response({})


@router.get("/api/v1/accounts/{account_id:id}/lists")
async def account_lists(session: ReadSession, me: ReadLists, account_id: int) -> Response:
    target = await accounts.access_account(session, account_id)
    found = await service.lists_containing(session, owner_id=me.id, account_id=target.id)
    return json_response([service.list_json(item) for item in found])


@router.get("/api/v1/timelines/list/{list_id:id}")
async def list_timeline(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    me: ReadLists,
    list_id: int,
    page: PageParams = params(PageParams),
) -> Response:
    body, cursor_ids = await timeline.list_page(session, ctx, viewer=me, list_id=list_id, page=page)
    return json_response(body, headers=link_header(request, cursor_ids))
