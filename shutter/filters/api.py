"""Filter routes: Mastodon's v2 filters (with their keywords and statuses) and the v1
filters mapped onto them (shutter/filters/service.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.filters import service
from shutter.filters.schemas import (
    FilterParams,
    FilterStatusParams,
    KeywordParams,
    V1FilterParams,
    filter_json,
    filter_status_json,
    keyword_json,
    v1_filter_json,
)
from shutter.filters.service import v1
from shutter.infra.deps import ReadSession, WriteSession
from shutter.infra.http import json_response
from shutter.infra.params import params

router = APIRouter()

Reader = Annotated[Account, Depends(user("read:filters"))]
Writer = Annotated[Account, Depends(user("write:filters"))]


def _full(found: service.FullFilter) -> Response:
    return json_response(filter_json(found.filter, found.keywords, found.statuses))


# --- v2 ----------------------------------------------------------------------------------


@router.get("/api/v2/filters")
async def list_filters(session: ReadSession, me: Reader) -> Response:
    found = await service.list_filters(session, account=me)
    return json_response([filter_json(f.filter, f.keywords, f.statuses) for f in found])


@router.post("/api/v2/filters")
async def create_filter(
    session: WriteSession, me: Writer, body: FilterParams = params(FilterParams)
) -> Response:
    made = await service.do_create_filter(
        session,
        account=me,
        title=body.title,
        context=body.context,
        action=body.filter_action,
        expires_in=body.expires_in,
        keywords=body.keywords_attributes,
    )
    return _full(made)


@router.get("/api/v2/filters/{filter_id:id}")
async def get_filter(session: ReadSession, me: Reader, filter_id: int) -> Response:
    return _full(await service.get_filter(session, account=me, filter_id=filter_id))


@router.put("/api/v2/filters/{filter_id:id}")
async def update_filter(
    session: WriteSession, me: Writer, filter_id: int, body: FilterParams = params(FilterParams)
) -> Response:
    changed = await service.do_update_filter(
        session,
        account=me,
        filter_id=filter_id,
        fields=body.model_fields_set,
        title=body.title,
        context=body.context,
        action=body.filter_action,
        expires_in=body.expires_in,
        keywords=body.keywords_attributes,
    )
    return _full(changed)


@router.delete("/api/v2/filters/{filter_id:id}")
async def delete_filter(session: WriteSession, me: Writer, filter_id: int) -> Response:
    await service.do_delete_filter(session, account=me, filter_id=filter_id)
    return json_response({})


@router.get("/api/v2/filters/{filter_id:id}/keywords")
async def list_keywords(session: ReadSession, me: Reader, filter_id: int) -> Response:
    found = await service.access_filter(session, account=me, filter_id=filter_id)
    return json_response([keyword_json(k) for k in await service.keywords_of(session, [found.id])])


@router.post("/api/v2/filters/{filter_id:id}/keywords")
async def add_keyword(
    session: WriteSession, me: Writer, filter_id: int, body: KeywordParams = params(KeywordParams)
) -> Response:
    made = await service.do_add_keyword(
        session, account=me, filter_id=filter_id, keyword=body.keyword, whole_word=body.whole_word
    )
    return json_response(keyword_json(made))


@router.get("/api/v2/filters/keywords/{keyword_id:id}")
async def get_keyword(session: ReadSession, me: Reader, keyword_id: int) -> Response:
    found, _ = await service.access_keyword(session, account=me, keyword_id=keyword_id)
    return json_response(keyword_json(found))


@router.put("/api/v2/filters/keywords/{keyword_id:id}")
async def update_keyword(
    session: WriteSession, me: Writer, keyword_id: int, body: KeywordParams = params(KeywordParams)
) -> Response:
    changed = await service.do_update_keyword(
        session,
        account=me,
        keyword_id=keyword_id,
        keyword=body.keyword,
        whole_word=body.whole_word,
        fields=body.model_fields_set,
    )
    return json_response(keyword_json(changed))


@router.delete("/api/v2/filters/keywords/{keyword_id:id}")
async def delete_keyword(session: WriteSession, me: Writer, keyword_id: int) -> Response:
    await service.do_delete_keyword(session, account=me, keyword_id=keyword_id)
    return json_response({})


@router.get("/api/v2/filters/{filter_id:id}/statuses")
async def list_statuses(session: ReadSession, me: Reader, filter_id: int) -> Response:
    found = await service.access_filter(session, account=me, filter_id=filter_id)
    statuses = await service.statuses_of(session, [found.id])
    return json_response([filter_status_json(s) for s in statuses])


@router.post("/api/v2/filters/{filter_id:id}/statuses")
async def add_status(
    session: WriteSession,
    me: Writer,
    filter_id: int,
    body: FilterStatusParams = params(FilterStatusParams),
) -> Response:
    made = await service.do_add_status(
        session, account=me, filter_id=filter_id, status_id=body.status_id
    )
    return json_response(filter_status_json(made))


@router.get("/api/v2/filters/statuses/{status_filter_id:id}")
async def get_status(session: ReadSession, me: Reader, status_filter_id: int) -> Response:
    found = await service.access_filter_status(
        session, account=me, status_filter_id=status_filter_id
    )
    return json_response(filter_status_json(found))


@router.delete("/api/v2/filters/statuses/{status_filter_id:id}")
async def delete_status(session: WriteSession, me: Writer, status_filter_id: int) -> Response:
    await service.do_delete_status(session, account=me, status_filter_id=status_filter_id)
    return json_response({})


# --- v1 ----------------------------------------------------------------------------------


@router.get("/api/v1/filters")
async def list_v1(session: ReadSession, me: Reader) -> Response:
    found = await v1.list_v1(session, account=me)
    return json_response([v1_filter_json(k, f) for k, f in found])


@router.post("/api/v1/filters")
async def create_v1(
    session: WriteSession, me: Writer, body: V1FilterParams = params(V1FilterParams)
) -> Response:
    keyword, made = await v1.do_create_v1(
        session,
        account=me,
        phrase=body.phrase,
        context=body.context,
        irreversible=body.irreversible,
        whole_word=body.whole_word,
        expires_in=body.expires_in,
    )
    return json_response(v1_filter_json(keyword, made))


@router.get("/api/v1/filters/{keyword_id:id}")
async def get_v1(session: ReadSession, me: Reader, keyword_id: int) -> Response:
    keyword, found = await service.access_keyword(session, account=me, keyword_id=keyword_id)
    return json_response(v1_filter_json(keyword, found))


@router.put("/api/v1/filters/{keyword_id:id}")
async def update_v1(
    session: WriteSession,
    me: Writer,
    keyword_id: int,
    body: V1FilterParams = params(V1FilterParams),
) -> Response:
    keyword, found = await v1.do_update_v1(
        session,
        account=me,
        keyword_id=keyword_id,
        fields=body.model_fields_set,
        phrase=body.phrase,
        context=body.context,
        irreversible=body.irreversible,
        whole_word=body.whole_word,
        expires_in=body.expires_in,
    )
    return json_response(v1_filter_json(keyword, found))


@router.delete("/api/v1/filters/{keyword_id:id}")
async def delete_v1(session: WriteSession, me: Writer, keyword_id: int) -> Response:
    await v1.do_delete_v1(session, account=me, keyword_id=keyword_id)
    return json_response({})
