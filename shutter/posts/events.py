"""What happens to posts that feeds and notifications react to (shutter/infra/domain.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PostPublished:
    """A new top-level post (not a comment): its audience's feeds should get it."""

    post_id: int
    author_id: int


@dataclass(frozen=True)
class CommentPosted:
    """A new comment (a reply) that is not `direct`: places that show comments, such as
    list timelines, may stream it. `in_reply_to_account_id` is whom it answers."""

    post_id: int
    author_id: int
    in_reply_to_account_id: int


@dataclass(frozen=True)
class PostEdited:
    """A post or comment's caption, content warning or media changed: the streams that
    carried it hear Mastodon's `status.update`."""

    post_id: int
    author_id: int
    is_comment: bool


@dataclass(frozen=True)
class PostRemoved:
    post_id: int
    author_id: int


@dataclass(frozen=True)
class DirectPosted:
    """A `direct` post or comment: the accounts in `participant_ids` (its author among
    them) may read it; their conversations take it."""

    post_id: int
    author_id: int
    participant_ids: tuple[int, ...]


@dataclass(frozen=True)
class StatusesDeleted:
    """Posts or comments deleted (a post takes its comments with it): what kept them, such
    as conversations, lets go of them."""

    post_ids: tuple[int, ...]


@dataclass(frozen=True)
class Mentioned:
    """`account_id` is addressed by `post_id` (a mention, or a comment on their post)."""

    post_id: int
    author_id: int
    account_id: int


@dataclass(frozen=True)
class Unmentioned:
    """An edit or a deletion took back what `Mentioned` said."""

    post_id: int
    author_id: int
    account_id: int


@dataclass(frozen=True)
class Favourited:
    post_id: int
    author_id: int
    actor_id: int


@dataclass(frozen=True)
class Unfavourited:
    post_id: int
    author_id: int
    actor_id: int


@dataclass(frozen=True)
class TagUnfollowed:
    """`account_id` stopped following a hashtag: posts it brought may leave the home feed."""

    account_id: int
    tag_id: int
