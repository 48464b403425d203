"""Instance information, where Mastodon clients read the server's version and limits."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.responses import Response

from shutter import __version__
from shutter.infra.deps import Ctx
from shutter.infra.http import entity_response
from shutter.infra.settings import Settings
from shutter.instance.rules import rule_book
from shutter.media.service import SUPPORTED_MIME_TYPES
from shutter.notifications.webpush import vapid_key

router = APIRouter()

# Pixelfed's convention: a Mastodon version first, so clients enable the endpoints we have.
MASTODON_COMPAT = "4.3.0"


def version_string() -> str:
    return f"{MASTODON_COMPAT} (compatible; Shutter {__version__})"


def _host(settings: Settings) -> str:
    return settings.base_url.split("://", 1)[1]


def _contact_email(settings: Settings) -> str:
    """The published contact: the configured one, else the base URL host's postmaster.

    Clients read it as an email address (Mastodon's entity says `format: email`), so it
    is never empty; postmaster is the one mailbox RFC 5321 makes every mail domain accept.
    """
    if settings.contact_email:
        return settings.contact_email
    host = urlsplit(settings.base_url).hostname or "localhost"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"postmaster@{host}"
    # An address literal (RFC 5321 §4.1.3).
    return f"postmaster@[{'IPv6:' if address.version == 6 else ''}{host}]"


def _registrations(settings: Settings) -> dict[str, Any]:
    """What SHUTTER_REGISTRATIONS means to a client (invites are not counted: closed is
    closed to those without one, as on Mastodon)."""
    mode = settings.registrations
    return {
        "enabled": mode != "closed",
        "approval_required": mode == "approval",
        "reason_required": mode == "approval",
        "message": (settings.registrations_message or None) if mode == "closed" else None,
        "url": None,
    }


def _statuses(settings: Settings) -> dict[str, Any]:
    return {
        "max_characters": settings.max_caption_chars,
        "max_media_attachments": settings.max_media_per_post,
        "characters_reserved_per_url": 23,
    }


def _media(settings: Settings) -> dict[str, Any]:
    return {
        "supported_mime_types": list(SUPPORTED_MIME_TYPES),
        "image_size_limit": settings.max_image_bytes,
        "image_matrix_limit": settings.max_image_pixels,
        "video_size_limit": settings.max_video_bytes,
        "video_frame_rate_limit": int(settings.max_video_frame_rate),
        "video_matrix_limit": settings.max_video_pixels,
        "description_limit": settings.max_media_description_chars,
    }


@router.get("/api/v1/instance")
async def instance_v1(request: Request, ctx: Ctx) -> Response:
    s = ctx.settings
    host = _host(s)
    registrations = _registrations(s)
    return entity_response(
        request,
        {
            "uri": host,
            "title": s.instance_title,
            "short_description": s.instance_description,
            "description": s.instance_description,
            "email": _contact_email(s),
            "version": version_string(),
            "urls": {"streaming_api": s.base_url.replace("http", "ws", 1)},
            "stats": {"user_count": 0, "status_count": 0, "domain_count": 1},
            "thumbnail": None,
            "languages": ["en"],
            "registrations": registrations["enabled"],
            "approval_required": registrations["approval_required"],
            # Whether everyone may invite (accounts/service/invites.py): staff always may.
            "invites_enabled": s.registrations != "closed",
            "configuration": {
                "accounts": {"max_featured_tags": 0},
                "statuses": _statuses(s),
                "media_attachments": _media(s),
                "polls": {
                    "max_options": 0,
                    "max_characters_per_option": 0,
                    "min_expiration": 0,
                    "max_expiration": 0,
                },
            },
            "contact_account": None,
            "rules": await rule_book(ctx).current(ctx),
        },
    )


@router.get("/api/v2/instance")
async def instance_v2(request: Request, ctx: Ctx) -> Response:
    s = ctx.settings
    return entity_response(
        request,
        {
            "domain": _host(s),
            "title": s.instance_title,
            "version": version_string(),
            "source_url": "https://github.com/shutter-social/shutter",
            "description": s.instance_description,
            "usage": {"users": {"active_month": 0}},
            "thumbnail": {"url": f"{s.base_url}/static/missing-header.png"},
            "icon": [],
            "languages": ["en"],
            "api_versions": {"mastodon": 2},
            "configuration": {
                "urls": {"streaming": s.base_url.replace("http", "ws", 1), "status": None},
                "vapid": {"public_key": vapid_key(s).public_key},
                "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
                "statuses": _statuses(s),
                "media_attachments": _media(s) | {"image_matrix_limit": s.max_image_pixels},
                "polls": {
                    "max_options": 0,
                    "max_characters_per_option": 0,
                    "min_expiration": 0,
                    "max_expiration": 0,
                },
                "translation": {"enabled": False},
                "limited_federation": True,
            },
            "registrations": _registrations(s),
            "contact": {"email": _contact_email(s), "account": None},
            "rules": await rule_book(ctx).current(ctx),
        },
    )
