"""From Conversation and Status JSON to what the Messages pages show.

Messages are Mastodon `direct` posts, addressed by mentions: "@bo see you at 6" is how a
message to bo is written, and how the website writes one. A chat shows who wrote, not
whom they addressed, so the mentions that open a message and name the conversation's
people are left out of its bubble and its excerpt (as Instagram shows no address line);
any other mention stays. Only whole mention links of posts/text.caption_html's own
markup are removed, so what remains is still its escaped HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from shutter.web.views import MediaView, local_path, media_view, plain_text

# One mention link as posts/text.caption_html writes it, then the spaces after it.
_MENTION = re.compile(
    r'<span class="h-card"><a href="[^"<>]*" class="u-url mention">@<span>([^<>]*)</span>'
    r"</a></span>(?: |&nbsp;)*"
)
EXCERPT_CHARS = 80


@dataclass
class Person:
    id: str
    username: str
    name: str
    path: str
    avatar: str


@dataclass
class Message:
    id: str
    own: bool
    author: Person
    at: str
    content: Markup  # escaped HTML (caption_html), opening mentions left out
    media: list[MediaView] = field(default_factory=list)
    path: str = ""  # the post page


@dataclass
class InboxItem:
    id: str
    unread: bool
    people: list[Person]
    title: str
    excerpt: str
    at: str | None


def person(account: dict[str, Any]) -> Person:
    return Person(
        id=account["id"],
        username=account["username"],
        name=account.get("display_name") or account["username"],
        path=local_path(account["url"]),
        avatar=account.get("avatar_static") or account.get("avatar") or "",
    )


def without_address(content: str, usernames: set[str]) -> str:
    """`content` without the mentions of `usernames` (lower case) that open it."""
    if not content.startswith("<p>"):
        return content
    position = 3
    while match := _MENTION.match(content, position):
        if match.group(1).lower() not in usernames:
            break
        position = match.end()
    rest = content[position:]
    if position == 3:
        return content
    if rest.startswith("<br>"):
        rest = rest[4:]
    if rest.startswith("</p>"):  # the first paragraph held only the address
        return rest[4:]
    return "<p>" + rest


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def message(status: dict[str, Any], *, viewer_id: str, usernames: set[str]) -> Message:
    return Message(
        id=status["id"],
        own=status["account"]["id"] == viewer_id,
        author=person(status["account"]),
        at=status["created_at"],
        content=Markup(without_address(status.get("content") or "", usernames)),
        media=[media_view(m) for m in status.get("media_attachments") or []],
        path=local_path(status["url"]),
    )


def addressed(conversation: dict[str, Any], viewer: dict[str, Any]) -> set[str]:
    """The usernames a message in this conversation may open with (its people's)."""
    return {a["username"].lower() for a in conversation["accounts"]} | {viewer["username"].lower()}


def title_of(people: list[Person]) -> str:
    return ", ".join(p.name for p in people) if people else "No one"


def inbox_item(conversation: dict[str, Any], *, viewer: dict[str, Any]) -> InboxItem:
    people = [person(a) for a in conversation["accounts"]]
    last = conversation.get("last_status")
    summary, at = "", None
    if last is not None:
        at = last["created_at"]
        text = plain_text(
            without_address(last.get("content") or "", addressed(conversation, viewer))
        )
        if not text and last.get("media_attachments"):
            text = "Sent a photo"
        summary = excerpt(text)
        if last["account"]["id"] == viewer["id"]:
            summary = f"You: {summary}"
    return InboxItem(
        id=conversation["id"],
        unread=conversation["unread"],
        people=people,
        title=title_of(people),
        excerpt=summary,
        at=at,
    )
