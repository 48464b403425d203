"""Each post's `<article>` rendered once per version of everything it shows.

A feed page is twenty posts; calling the post macro for each (and deriving its
`PostView`) cost more than the rest of the page. The article is a pure function of the
post's Status JSON (already patched for the viewer: counters, liked, saved), its
relative age ("5m"), where its forms come back to and whether its first image loads
eagerly, so it is kept under exactly those. Nothing is invalidated: an edit, a like, a
changed avatar or alt text, a hidden item changes the JSON, so the key; old entries age
out of the LRU. The key holds the viewer's own flags too, so a post has at most four
shapes per version (liked or not, saved or not).

The CSRF token is the only per-session part: the article is kept with a placeholder and
the page's token is put in on the way out.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from markupsafe import Markup, escape

from shutter.infra.db import utcnow
from shutter.web.filters import relative_time
from shutter.web.views import post_view

# About 5 KB each with its key: a few hundred feeds' first pages.
MAX_ENTRIES = 4096
# Markup, so the macro writes it as is; no user text can produce it, since escaping
# leaves no "<" in text (and a caption's HTML holds only posts/text.py's own tags).
_CSRF_SLOT = Markup("<csrf-slot>")

# Keyed by the JSON itself (about 1.5 KB): hashing it costs a third of a digest's time.
_Key = tuple[bytes, str, str, bool]
_articles: OrderedDict[_Key, str] = OrderedDict()


@lru_cache(maxsize=MAX_ENTRIES)
def _created(value: str) -> datetime:
    """A post's `created_at`, parsed once: its age is worked out for every page."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _render(status: dict[str, Any], return_to: str, eager: bool) -> str:
    # Imported here: templating imports the session machinery, which imports this.
    from shutter.web.templating import environment

    macro = environment().get_template("partials/post.html").module.post  # type: ignore[attr-defined]
    return str(macro(post_view(status), _CSRF_SLOT, return_to, eager=eager))


def article(status: dict[str, Any], csrf: str, return_to: str, eager: bool = False) -> Markup:
    """The post's `<article>` (partials/post.html's `post` macro) for this page."""
    return Markup(_article_html(status, str(escape(csrf)), return_to, eager, utcnow()))


def _article_html(
    status: dict[str, Any], token: str, return_to: str, eager: bool, now: datetime
) -> str:
    """The kept article with `token` (the page's CSRF token, escaped) in its forms."""
    age = relative_time(_created(status["created_at"]), now)
    key = (orjson.dumps(status), age, return_to, eager)
    html = _articles.get(key)
    if html is None:
        html = _render(status, return_to, eager)
        # Rendered across a minute's turn, the age shown would not be the key's.
        if f">{age}</time>" in html:
            _articles[key] = html
            if len(_articles) > MAX_ENTRIES:
                _articles.popitem(last=False)
    else:
        _articles.move_to_end(key)
    return html.replace(_CSRF_SLOT, token)


def articles(
    statuses: list[dict[str, Any]],
    csrf: str,
    return_to: str,
    eager: int,
    divider_before: str | None,
    divider: Markup,
) -> Markup:
    """A feed page's articles (the first `eager` load their image at once), with
    `divider` before the post `divider_before`: one call from the template instead of
    one per post, which cost more than finding the kept article."""
    parts: list[str] = []
    now = utcnow()
    token = str(escape(csrf))
    for index, status in enumerate(statuses):
        if divider_before is not None and status["id"] == divider_before:
            parts.append(divider)
        parts.append(_article_html(status, token, return_to, index < eager, now))
    return Markup("\n".join(parts))
