"""Putting a process together: the context with every service's parts, and every
service's job handlers and event subscribers registered.

Every process (the API, a worker, the CLI, a benchmark) starts here, so all of them
handle the same jobs and react to the same domain events (shutter/infra/domain.py).
"""

from __future__ import annotations

from shutter.accounts import jobs as _account_jobs  # noqa: F401  (job handlers)
from shutter.archive import jobs as _archive_jobs  # noqa: F401  (exports, imports)
from shutter.auth.callers import CALLERS, CallerCache
from shutter.conversations import jobs as _conversation_jobs  # noqa: F401  (subscribers)
from shutter.emojis.catalog import EMOJIS, EmojiCatalog
from shutter.feed import jobs as _feed_jobs  # noqa: F401  (job handlers, event subscribers)
from shutter.feed.store import FEED_STORE, create_feed_store
from shutter.filters import jobs as _filter_jobs  # noqa: F401  (subscribers)
from shutter.graph import jobs as _graph_jobs  # noqa: F401
from shutter.infra import mail as _mail  # noqa: F401  (the mail.send job)
from shutter.infra.context import AppContext
from shutter.infra.settings import Settings
from shutter.instance.rules import RULES, RuleBook
from shutter.lists import jobs as _list_jobs  # noqa: F401  (subscribers, list streams)
from shutter.media import jobs as _media_jobs  # noqa: F401
from shutter.moderation import jobs as _moderation_jobs  # noqa: F401  (subscribers, renderers)
from shutter.notifications import jobs as _notification_jobs  # noqa: F401
from shutter.posts import jobs as _post_jobs  # noqa: F401


def create_context(settings: Settings) -> AppContext:
    """The infrastructure and what services keep for the life of a process."""
    ctx = AppContext.create(settings)
    callers = CallerCache(settings)
    ctx.db.on_callers_changed = callers.callers_changed
    ctx.provide(CALLERS, callers)
    ctx.provide(FEED_STORE, create_feed_store(settings))
    ctx.provide(RULES, RuleBook())
    ctx.provide(EMOJIS, EmojiCatalog(settings))
    return ctx
