"""The website as the app mounts it: its routers and its static files."""

from __future__ import annotations

from fastapi import APIRouter

from shutter.web.assets import VersionedStatic
from shutter.web.pages import (
    admin,
    admin_actions,
    compose,
    discover,
    filters,
    followed_tags,
    home,
    home_live,
    landing,
    lists,
    messages,
    notification_requests,
    notifications,
    post_actions,
    post_page,
    profile_actions,
    profiles,
    pwa,
    sessions,
    settings,
    settings_account,
    suggestions,
)

# Matched before the API's routers (shutter/app.py): only GET /home, which no API
# path can be, so the most opened page does not walk every API route first.
FIRST: tuple[APIRouter, ...] = (home.router,)
# In matching order, after the API's routers; a new page module adds its router here.
ROUTERS: tuple[APIRouter, ...] = (
    home_live.router,
    post_actions.router,
    post_page.router,
    compose.router,
    landing.router,
    sessions.router,
    notifications.router,
    notification_requests.router,
    messages.router,
    settings.router,
    settings_account.router,
    filters.router,
    profiles.router,
    profile_actions.router,
    discover.router,
    followed_tags.router,
    suggestions.router,
    lists.router,
    pwa.router,
    admin.router,
    admin_actions.router,
)


def static_files() -> VersionedStatic:
    """/static: the website's assets (versioned URLs, immutable) and the API's images."""
    return VersionedStatic()
