"""Graph routes of an account's own records: personal notes, blocked domains, and the
followers it shares with others (familiar followers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.accounts.schemas import account_json
from shutter.auth.deps import user
from shutter.graph.schemas import RelationshipsParams
from shutter.graph.service import personal
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.pagination import WHOLE_NUMBER, PageParams, at_most, link_header
from shutter.infra.params import RequestParams, params

router = APIRouter()

NoteWriter = Annotated[Account, Depends(user("write:accounts"))]
BlockReader = Annotated[Account, Depends(user("read:blocks"))]
BlockWriter = Annotated[Account, Depends(user("write:blocks"))]
FollowReader = Annotated[Account, Depends(user("read:follows"))]


class NoteParams(RequestParams):
    # The length rule is the service's, so its 422 reads as Mastodon's.
    comment: str = ""


@router.post("/api/v1/accounts/{account_id:id}/note")
async def set_note(
    session: WriteSession,
    me: NoteWriter,
    account_id: int,
    body: NoteParams = params(NoteParams),
) -> Response:
    return json_response(
        await personal.do_set_note(
            session, account_id=me.id, target_id=account_id, comment=body.comment
        )
    )


class DomainBlocksPage(PageParams):
    """Mastodon's domain block list: 100 by default, 200 at most."""

    limit: Annotated[int, WHOLE_NUMBER, at_most(200)] = 100


class DomainParams(RequestParams):
    domain: str = Field(max_length=1000)


@router.get("/api/v1/domain_blocks")
async def domain_blocks(
    request: Request,
    session: ReadSession,
    me: BlockReader,
    page: DomainBlocksPage = params(DomainBlocksPage),
) -> Response:
    domains, cursors = await personal.list_domain_blocks(session, account_id=me.id, page=page)
    return json_response(domains, headers=link_header(request, cursors))


@router.post("/api/v1/domain_blocks")
async def block_domain(
    session: WriteSession, me: BlockWriter, body: DomainParams = params(DomainParams)
) -> Response:
    await personal.do_block_domain(session, account_id=me.id, domain=body.domain)
    return json_response({})


@router.delete("/api/v1/domain_blocks")
async def unblock_domain(
    session: WriteSession, me: BlockWriter, body: DomainParams = params(DomainParams)
) -> Response:
    await personal.do_unblock_domain(session, account_id=me.id, domain=body.domain)
    return json_response({})


@router.get("/api/v1/accounts/familiar_followers")
async def familiar_followers(
    ctx: Ctx,
    session: ReadSession,
    me: FollowReader,
    query: RelationshipsParams = params(RelationshipsParams),
) -> Response:
    found = await personal.familiar_followers(
        session, viewer_id=me.id, target_ids=query.account_ids()
    )
    return json_response(
        [
            {"id": str(target), "accounts": [account_json(a, ctx.settings) for a in people]}
            for target, people in found
        ]
    )
