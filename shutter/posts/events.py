"""What happens to posts that feeds and notifications react to (shutter/infra/domain.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PostPublished:
    """A new top-level post (not a comment): its audience's feeds should get it."""

    post_id: int
    author_id: int


@dataclass(frozen=True)
class PostRemoved:
    post_id: int
    author_id: int


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
