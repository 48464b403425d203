"""Status (post) entities as Mastodon clients read them, and the post route parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, field_validator

from shutter.accounts.models import Account
from shutter.accounts.schemas import account_json
from shutter.infra.formats import iso
from shutter.infra.params import IdListParam, IdParam, OptionalIdParam, RequestParams
from shutter.infra.settings import Settings
from shutter.media.models import Media
from shutter.media.schemas import media_json
from shutter.policies import effective_visibility
from shutter.posts.models import Post, PostEdit, ScheduledStatus
from shutter.posts.text import caption_html, tag_url


@dataclass
class HydratedPost:
    """A post with what its JSON needs, loaded in batches for a whole page."""

    post: Post
    author: Account
    media: list[Media] = field(default_factory=list)


def _mention_json(mention: dict[str, str], settings: Settings) -> dict[str, str]:
    return {
        "id": mention["id"],
        "username": mention["username"],
        "url": f"{settings.base_url}/@{mention['username']}",
        "acct": mention["username"],
    }


def tag_ref_json(name: str, settings: Settings) -> dict[str, str]:
    return {"name": name, "url": tag_url(settings.base_url, name)}


def status_json(
    item: HydratedPost, settings: Settings, *, with_source: bool = False
) -> dict[str, Any]:
    """The viewer-independent Status; `render` patches counters and the viewer's flags."""
    post, author = item.post, item.author
    entities = post.entities or {}
    url = f"{settings.base_url}/@{author.username}/{post.id}"
    body: dict[str, Any] = {
        "id": str(post.id),
        "created_at": iso(post.created_at),
        "edited_at": iso(post.edited_at),
        "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
        "in_reply_to_account_id": str(post.in_reply_to_account_id)
        if post.in_reply_to_account_id
        else None,
        # A sensitized author's media all show as sensitive (accounts/service/states.py);
        # the cached JSON is keyed by the author's `updated_at`, which that moves.
        "sensitive": post.sensitive or author.sensitized_at is not None,
        "spoiler_text": post.spoiler_text,
        "visibility": effective_visibility(post.visibility, author_locked=author.locked),
        "language": None,
        "uri": f"{settings.base_url}/users/{author.username}/statuses/{post.id}",
        "url": url,
        "replies_count": post.replies_count,
        "reblogs_count": 0,
        "favourites_count": post.favourites_count,
        "quotes_count": 0,
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "content": caption_html(post.caption, entities=entities, base_url=settings.base_url),
        "filtered": [],
        "reblog": None,
        "account": account_json(author, settings),
        "media_attachments": [media_json(m, settings) for m in item.media],
        "mentions": [_mention_json(m, settings) for m in entities.get("mentions", [])],
        "tags": [tag_ref_json(name, settings) for name in entities.get("tags", [])],
        "emojis": [],
        "card": None,
        "poll": None,
    }
    if with_source:
        body["text"] = post.caption
    return body


def edit_json(edit: PostEdit, item: HydratedPost, settings: Settings) -> dict[str, Any]:
    descriptions = edit.media_descriptions or {}
    attachments = []
    for media in item.media:
        attachment = media_json(media, settings)
        attachment["description"] = descriptions.get(str(media.id), attachment["description"])
        attachments.append(attachment)
    return {
        "content": caption_html(
            edit.caption, entities=item.post.entities or {}, base_url=settings.base_url
        ),
        "spoiler_text": item.post.spoiler_text,
        "sensitive": item.post.sensitive,
        "created_at": iso(edit.created_at),
        "account": account_json(item.author, settings),
        "poll": None,
        "media_attachments": attachments,
        "emojis": [],
    }


class CreatePostParams(RequestParams):
    status: str | None = None
    media_ids: IdListParam | None = None
    in_reply_to_id: OptionalIdParam = None
    sensitive: bool | None = None
    spoiler_text: str | None = None
    visibility: str | None = None
    language: str | None = None
    scheduled_at: str | None = None
    poll: Any = None
    quoted_status_id: str | None = None
    quote_approval_policy: str | None = None
    content_type: str | None = None

    @field_validator("poll")
    @classmethod
    def _no_polls(cls, value: Any) -> Any:
        return refuse_poll(value)


def refuse_poll(value: Any) -> Any:
    """Shutter has no polls: a post asking for one is refused rather than posted without."""
    if value not in (None, "", {}, []):
        raise ValueError("polls are not supported")
    return None


class MediaAttribute(RequestParams):
    id: IdParam
    description: str | None = Field(None, max_length=1500)
    focus: str | None = None
    thumbnail: Any = None


class EditPostParams(RequestParams):
    status: str | None = None
    media_ids: IdListParam | None = None
    media_attributes: list[MediaAttribute] | dict[str, MediaAttribute] | None = None
    sensitive: bool | None = None
    spoiler_text: str | None = None
    language: str | None = None
    poll: Any = None
    quote_approval_policy: str | None = None
    content_type: str | None = None

    @field_validator("poll")
    @classmethod
    def _no_polls(cls, value: Any) -> Any:
        return refuse_poll(value)


def scheduled_json(row: ScheduledStatus, media: list[Media], settings: Settings) -> dict[str, Any]:
    """A ScheduledStatus: the post's parameters as Mastodon lists them, and its media."""
    params = row.params or {}
    return {
        "id": str(row.id),
        "scheduled_at": iso(row.scheduled_at),
        "params": {
            "text": params.get("text") or "",
            "visibility": params.get("visibility") or "public",
            "media_ids": params.get("media_ids"),
            "in_reply_to_id": params.get("in_reply_to_id"),
            "sensitive": params.get("sensitive"),
            "spoiler_text": params.get("spoiler_text"),
            "idempotency": params.get("idempotency"),
            "application_id": params.get("application_id") or 0,
            "with_rate_limit": False,
            "scheduled_at": None,
            "poll": None,
            "language": None,
        },
        "media_attachments": [media_json(m, settings) for m in media],
    }


class ScheduleParams(RequestParams):
    scheduled_at: str | None = None
