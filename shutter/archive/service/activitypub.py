"""The archive's posts and profile in Mastodon's archive format (ActivityStreams 2.0).

As Mastodon's BackupService writes them: `outbox.json` is an OrderedCollection of
`Create` activities, each with its `Note`, whose attachments' `url` is the file's path
inside the archive; `actor.json` is the `Person`, its `outbox`, `likes` and `bookmarks`
naming the archive's files and its `icon` the avatar file beside them; `likes.json` and
`bookmarks.json` are OrderedCollections of post URIs.
"""

from __future__ import annotations

from typing import Any

from shutter.accounts.models import Account
from shutter.infra.formats import iso, text_to_html
from shutter.infra.storage import content_type_of
from shutter.media.models import Media
from shutter.posts.models import Post
from shutter.posts.text import caption_html

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "discoverable": "toot:discoverable",
    },
]


def actor_uri(base_url: str, username: str) -> str:
    return f"{base_url}/users/{username}"


def post_uri(base_url: str, username: str, post_id: int) -> str:
    return f"{actor_uri(base_url, username)}/statuses/{post_id}"


def _audience(post: Post, actor: str, mentioned: list[str]) -> tuple[list[str], list[str]]:
    """Mastodon's `to` and `cc` for each visibility."""
    followers = f"{actor}/followers"
    if post.visibility == "public":
        return [PUBLIC], [followers, *mentioned]
    if post.visibility == "unlisted":
        return [followers], [PUBLIC, *mentioned]
    if post.visibility == "private":
        return [followers], mentioned
    return mentioned, []


def attachment_json(media: Media, path: str) -> dict[str, Any]:
    """A Document whose `url` is `path`, the original's place inside the archive."""
    source = (media.meta or {}).get("source") or {}
    return {
        "type": "Document",
        "mediaType": content_type_of(path),
        "url": path,
        "name": media.description,
        "blurhash": media.blurhash,
        "focalPoint": [media.focus_x, media.focus_y],
        "width": source.get("width"),
        "height": source.get("height"),
    }


def create_activity(
    post: Post,
    *,
    author: Account,
    base_url: str,
    attachments: list[dict[str, Any]],
    in_reply_to: str | None,
) -> dict[str, Any]:
    """One item of the outbox: the post as a Note inside its Create."""
    actor = actor_uri(base_url, author.username)
    uri = post_uri(base_url, author.username, post.id)
    entities = post.entities or {}
    mentioned = [actor_uri(base_url, m["username"]) for m in entities.get("mentions", [])]
    to, cc = _audience(post, actor, mentioned)
    published = iso(post.created_at)
    tags: list[dict[str, Any]] = [
        {"type": "Mention", "href": address, "name": f"@{m['username']}"}
        for address, m in zip(mentioned, entities.get("mentions", []), strict=True)
    ]
    tags += [
        {"type": "Hashtag", "href": f"{base_url}/tags/{name}", "name": f"#{name}"}
        for name in entities.get("tags", [])
    ]
    note = {
        "id": uri,
        "type": "Note",
        "summary": post.spoiler_text or None,
        "inReplyTo": in_reply_to,
        "published": published,
        "updated": iso(post.edited_at),
        "url": f"{base_url}/@{author.username}/{post.id}",
        "attributedTo": actor,
        "to": to,
        "cc": cc,
        "sensitive": post.sensitive,
        "atomUri": uri,
        "content": caption_html(post.caption, entities=entities, base_url=base_url),
        "source": {"content": post.caption, "mediaType": "text/plain"},
        "attachment": attachments,
        "tag": tags,
    }
    if note["updated"] is None:
        del note["updated"]
    return {
        "id": f"{uri}/activity",
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": to,
        "cc": cc,
        "object": note,
    }


def outbox_head(total: int) -> dict[str, Any]:
    """The outbox without its items (the archive streams them in between)."""
    return {
        "@context": CONTEXT,
        "id": "outbox.json",
        "type": "OrderedCollection",
        "totalItems": total,
    }


def uri_collection(name: str, uris: list[str]) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": name,
        "type": "OrderedCollection",
        "totalItems": len(uris),
        "orderedItems": uris,
    }


def actor_json(account: Account, *, base_url: str, avatar: str | None) -> dict[str, Any]:
    actor = actor_uri(base_url, account.username)
    found: dict[str, Any] = {
        "@context": CONTEXT,
        "id": actor,
        "type": "Person",
        "following": f"{actor}/following",
        "followers": f"{actor}/followers",
        "inbox": f"{actor}/inbox",
        "outbox": "outbox.json",
        "likes": "likes.json",
        "bookmarks": "bookmarks.json",
        "preferredUsername": account.username,
        "name": account.display_name,
        "summary": text_to_html(account.note),
        "url": f"{base_url}/@{account.username}",
        "manuallyApprovesFollowers": account.locked,
        "discoverable": True,
        "published": iso(account.created_at),
    }
    if account.website:
        found["attachment"] = [
            {"type": "PropertyValue", "name": "Website", "value": account.website}
        ]
    if avatar:
        found["icon"] = {"type": "Image", "mediaType": content_type_of(avatar), "url": avatar}
    return found
