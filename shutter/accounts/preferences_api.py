"""Mastodon's `GET /api/v1/preferences`: the account's posting defaults, which
`update_credentials` sets through `source[privacy]`, `source[sensitive]` and
`source[language]`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from shutter.accounts.models import Account
from shutter.auth.deps import user
from shutter.infra.http import json_response

router = APIRouter()


def preferences_json(account: Account) -> dict[str, Any]:
    """Mastodon's Preferences entity. Shutter has no reading settings: media and content
    warnings show as the client decides (Mastodon's defaults)."""
    return {
        "posting:default:visibility": account.privacy,
        "posting:default:sensitive": account.default_sensitive,
        "posting:default:language": account.default_language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }


@router.get("/api/v1/preferences")
async def preferences(me: Annotated[Account, Depends(user("read:accounts"))]) -> Response:
    return json_response(preferences_json(me))
