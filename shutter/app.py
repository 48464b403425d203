"""The ASGI application: routes of every service, error shapes, and in-process workers."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.responses import Response

from shutter import __version__
from shutter.accounts.api import oauth_router as userinfo_router
from shutter.accounts.api import router as accounts_router
from shutter.accounts.credentials_api import router as credentials_router
from shutter.accounts.invites_api import router as invites_router
from shutter.accounts.leaving_api import router as leaving_router
from shutter.accounts.preferences_api import router as preferences_router
from shutter.accounts.profile_api import router as profile_router
from shutter.archive.api import router as archive_router
from shutter.assembly import create_context
from shutter.auth.api import router as auth_router
from shutter.auth.gate import GateMiddleware
from shutter.auth.sessions_api import router as sessions_router
from shutter.auth.two_factor_api import router as two_factor_router
from shutter.conversations.api import router as conversations_router
from shutter.emojis.api import router as emojis_router
from shutter.feed.api import router as feed_router
from shutter.filters.api import router as filters_router
from shutter.graph.api import router as graph_router
from shutter.infra.bodies import BodyLimitMiddleware
from shutter.infra.cors import CorsMiddleware
from shutter.infra.errors import install_error_handlers
from shutter.infra.headers import SecurityHeadersMiddleware
from shutter.infra.health import install_unavailable_handlers, readyz
from shutter.infra.http import json_response
from shutter.infra.jobs import run_worker
from shutter.infra.logging import configure_logging
from shutter.infra.settings import Settings, load_settings
from shutter.instance.about_api import router as instance_about_router
from shutter.instance.announcements_api import router as announcements_router
from shutter.instance.api import router as instance_router
from shutter.instance.rules_api import router as rules_router
from shutter.lists.api import router as lists_router
from shutter.media.api import router as media_router
from shutter.moderation.api import router as moderation_router
from shutter.moderation.reports_api import router as reports_router
from shutter.notifications.api import router as notifications_router
from shutter.notifications.push_api import router as push_router
from shutter.notifications.requests_api import router as notification_requests_router
from shutter.notifications.streaming import router as streaming_router
from shutter.posts.api import router as posts_router
from shutter.search.api import router as search_router
from shutter.web import site as web_site


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = create_context(settings)
        app.state.ctx = ctx
        # What start-up made lives as long as the process: keep it out of the collector's
        # full passes, and collect the young generation less often. A request allocates
        # many short-lived objects; default thresholds made full collections, which scan
        # the entity cache, show up as latency spikes.
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        stop = asyncio.Event()
        workers = [
            asyncio.create_task(run_worker(ctx, stop)) for _ in range(settings.embedded_workers)
        ]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
            await ctx.close()

    app = FastAPI(
        title="Shutter",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_error_handlers(app)
    install_unavailable_handlers(app)
    # Added innermost first: a request passes the security headers, CORS (a preflight is
    # answered there, before the gate counts it), the body limit, then the gate.
    app.add_middleware(GateMiddleware)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(CorsMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)

    @app.get("/api/v1/shutter/hello", include_in_schema=False)
    async def hello() -> Response:
        """The cheapest route of this server: the yardstick benchmarks compare against."""
        return json_response({"hello": "world"})

    # The website's Home before them all: matched after every API route, the page
    # people open most walked some three hundred routes first (web/site.py FIRST).
    for router in web_site.FIRST:
        app.include_router(router)
    # Routes are matched in order, one by one: the most requested come first (a home
    # read otherwise walked some sixty routes before its own).
    for router in (
        feed_router,
        posts_router,
        accounts_router,
        notification_requests_router,  # before notifications_router: /policy is no group key
        notifications_router,
        media_router,
        graph_router,
        auth_router,
        credentials_router,
        sessions_router,
        two_factor_router,
        userinfo_router,
        streaming_router,
        instance_router,
        rules_router,
        preferences_router,
        emojis_router,
        instance_about_router,
        announcements_router,
        invites_router,
        leaving_router,
        profile_router,
        archive_router,
        search_router,
        reports_router,
        moderation_router,
        push_router,
        lists_router,
        conversations_router,
        filters_router,
    ):
        app.include_router(router)
    # The website's pages after every API route (the API is what is requested most).
    for router in web_site.ROUTERS:
        app.include_router(router)
    app.mount("/static", web_site.static_files(), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        """Liveness: the process answers (readiness, with its dependencies, is /readyz)."""
        return json_response({"status": "ok"})

    app.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)

    @app.get("/health", include_in_schema=False)
    async def health() -> Response:
        """Mastodon's liveness check, which monitoring made for Mastodon polls."""
        return Response("OK", media_type="text/plain")

    return app
