"""Small formatting rules every serializer shares (dates, HTML text, URLs)."""

from __future__ import annotations

import html
from datetime import datetime


def iso(moment: datetime | None) -> str | None:
    """Mastodon's timestamp form: 2016-03-16T14:34:26.392Z."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def text_to_html(text: str) -> str:
    """Plain text as the HTML Mastodon clients render: escaped, paragraphs and line breaks."""
    if not text:
        return ""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


def link_html(url: str) -> str:
    """A link to `url` as Mastodon renders a profile field: the address shown, escaped."""
    shown = url.split("://", 1)[-1]
    return (
        f'<a href="{html.escape(url, quote=True)}" target="_blank" '
        f'rel="nofollow noopener noreferrer me" translate="no">{html.escape(shown)}</a>'
    )
