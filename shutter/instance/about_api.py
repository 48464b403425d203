"""Instance routes beside `/api/v1/instance`: its pages (extended description, privacy
policy, terms of service), its activity, and the answers of a server without federation
(peers, domain blocks) or translation. Shutter-only routes let admins write the pages
(Mastodon edits them in its web admin only; docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.accounts.permissions import Permission, require
from shutter.auth.deps import user
from shutter.infra.deps import ReadSession, WriteSession
from shutter.infra.errors import ApiError, not_found
from shutter.infra.http import entity_response, json_response
from shutter.infra.params import RequestParams, params
from shutter.instance import texts
from shutter.instance.activity import weekly_activity

router = APIRouter()
ADMIN = "/api/v1/shutter/admin/instance"


class PageParams(RequestParams):
    text: str | None = None


class TermsParams(RequestParams):
    text: str | None = None
    effective_date: str | None = None


def _settings_admin(me: Account) -> Account:
    """The pages are the instance's settings (Mastodon's `manage_settings`)."""
    return require(me, Permission.MANAGE_SETTINGS)


Writer = Annotated[Account, Depends(user("admin:write"))]


@router.get("/api/v1/instance/extended_description")
async def extended_description(request: Request, session: ReadSession) -> Response:
    row = await texts.page(session, texts.EXTENDED_DESCRIPTION)
    return entity_response(request, texts.page_json(texts.EXTENDED_DESCRIPTION, row))


@router.get("/api/v1/instance/privacy_policy")
async def privacy_policy(request: Request, session: ReadSession) -> Response:
    row = await texts.page(session, texts.PRIVACY_POLICY)
    return entity_response(request, texts.page_json(texts.PRIVACY_POLICY, row))


@router.get("/api/v1/instance/terms_of_service")
async def terms_of_service(request: Request, session: ReadSession) -> Response:
    return entity_response(request, await texts.current_terms(session))


@router.get("/api/v1/instance/terms_of_service/{day}")
async def terms_of_service_on(request: Request, session: ReadSession, day: str) -> Response:
    try:
        on = texts.parse_date(day).isoformat()
    except ApiError:
        raise not_found("Terms of service") from None
    return entity_response(request, await texts.current_terms(session, on=on))


@router.get("/api/v1/instance/activity")
async def activity(request: Request, session: ReadSession) -> Response:
    return entity_response(request, await weekly_activity(session))


@router.get("/api/v1/instance/peers")
async def peers() -> Response:
    """No federation: no other server is known."""
    return json_response([])


@router.get("/api/v1/instance/domain_blocks")
async def domain_blocks() -> Response:
    """No federation: no server is blocked (there is none to talk to)."""
    return json_response([])


@router.get("/api/v1/instance/translation_languages")
async def translation_languages() -> Response:
    """No translation service: no language pairs."""
    return json_response({})


@router.put(ADMIN + "/{kind}")
async def set_page(
    session: WriteSession, me: Writer, kind: str, body: PageParams = params(PageParams)
) -> Response:
    _settings_admin(me)
    if kind not in texts.PAGES:
        raise not_found("Page")
    row = await texts.do_set_page(session, kind=kind, text=body.text)
    return json_response(texts.page_json(kind, row))


@router.post(ADMIN + "/terms_of_service")
async def set_terms(
    session: WriteSession, me: Writer, body: TermsParams = params(TermsParams)
) -> Response:
    _settings_admin(me)
    row = await texts.do_set_terms(session, text=body.text, effective_date=body.effective_date)
    return json_response(await texts.current_terms(session, on=row.effective_date))


@router.delete(ADMIN + "/terms_of_service/{day}")
async def remove_terms(session: WriteSession, me: Writer, day: str) -> Response:
    _settings_admin(me)
    await texts.do_remove_terms(session, effective_date=day)
    return json_response({})
