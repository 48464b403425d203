"""Hashtags and @mentions in captions and comments: finding them and rendering them as HTML.

Pure functions: parsing needs no database, and rendering needs only what the post stores
(the tags and the mentions that named real accounts), so the JSON can be cached.

A hashtag is `#` then letters, digits, underscores and combining marks of any script
(so #café, #東京 and #हिन्दी are whole tags), with at least one letter (#1 is not a tag).
Tags compare case-insensitively by their normalised form: NFKC, casefolded.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

MAX_TAG_CHARS = 100
# Zero-width joiners belong inside words of some scripts (Persian, Indic, emoji-free).
_JOINERS = {"\u200c", "\u200d"}
# @username (letters, digits, underscores, dots inside), optionally @this-host.
_MENTION = re.compile(r"@([A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?)(?:@([A-Za-z0-9.\-]+))?")


def _is_tag_char(char: str) -> bool:
    if char == "_" or char.isalnum() or char in _JOINERS:
        return True
    return unicodedata.category(char) in ("Mn", "Mc")


def _is_word_char(char: str) -> bool:
    return _is_tag_char(char) or char in "/&#@"


def normalize_tag(name: str) -> str:
    """The form tags are stored and compared by."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def is_tag_name(name: str) -> bool:
    return (
        0 < len(name) <= MAX_TAG_CHARS
        and all(_is_tag_char(c) for c in name)
        and any(c.isalpha() for c in name)
    )


@dataclass(frozen=True)
class Token:
    """A hashtag or mention found at text[start:end]; `value` is the name without # or @."""

    kind: str  # "tag" or "mention"
    start: int
    end: int
    value: str


def tokens(text: str, *, host: str) -> list[Token]:
    """Hashtags and local @mentions in `text`, in order; `host` is this server's name."""
    found: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "#@" and (i == 0 or not _is_word_char(text[i - 1])):
            token = _tag_at(text, i) if char == "#" else _mention_at(text, i, host)
            if token is not None:
                found.append(token)
                i = token.end
                continue
        i += 1
    return found


def _tag_at(text: str, start: int) -> Token | None:
    end = start + 1
    while end < len(text) and _is_tag_char(text[end]):
        end += 1
    name = text[start + 1 : end]
    if not is_tag_name(name):
        return None
    return Token("tag", start, end, name)


def _mention_at(text: str, start: int, host: str) -> Token | None:
    match = _MENTION.match(text, start)
    if match is None:
        return None
    domain = match.group(2)
    if domain and domain.lower() != host.lower():
        return None  # someone elsewhere: no federation, so plain text
    return Token("mention", start, match.end(), match.group(1))


def parse(text: str, *, host: str) -> tuple[list[str], list[str]]:
    """(tag display names, mentioned usernames), each de-duplicated case-insensitively."""
    tags: dict[str, str] = {}
    usernames: dict[str, str] = {}
    for token in tokens(text, host=host):
        if token.kind == "tag":
            tags.setdefault(normalize_tag(token.value), token.value)
        else:
            usernames.setdefault(token.value.lower(), token.value)
    return list(tags.values()), list(usernames.values())


def tag_url(base_url: str, name: str) -> str:
    return f"{base_url}/tags/{quote(normalize_tag(name))}"


def _link(token: Token, text: str, mentioned: dict[str, dict[str, Any]], base_url: str) -> str:
    """The HTML of one token, or its escaped text if it names no account."""
    if token.kind == "tag":
        return (
            f'<a href="{html.escape(tag_url(base_url, token.value))}" '
            f'class="mention hashtag" rel="tag">#<span>{html.escape(token.value)}</span></a>'
        )
    account = mentioned.get(token.value.lower())
    if account is None:
        return html.escape(text[token.start : token.end])
    username = html.escape(account["username"])
    return (
        f'<span class="h-card"><a href="{html.escape(base_url)}/@{username}" '
        f'class="u-url mention">@<span>{username}</span></a></span>'
    )


def _line_html(line: str, *, mentioned: dict[str, dict[str, Any]], base_url: str, host: str) -> str:
    out: list[str] = []
    position = 0
    for token in tokens(line, host=host):
        out.append(html.escape(line[position : token.start]))
        out.append(_link(token, line, mentioned, base_url))
        position = token.end
    out.append(html.escape(line[position:]))
    return "".join(out)


def caption_html(text: str, *, entities: dict[str, Any], base_url: str) -> str:
    """Mastodon's `content`: escaped paragraphs with hashtag and mention links."""
    if not text:
        return ""
    host = base_url.split("://", 1)[-1].split("/", 1)[0]
    mentioned = {m["username"].lower(): m for m in entities.get("mentions", [])}
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>"
        + "<br>".join(
            _line_html(line, mentioned=mentioned, base_url=base_url, host=host)
            for line in p.split("\n")
        )
        + "</p>"
        for p in paragraphs
    )
