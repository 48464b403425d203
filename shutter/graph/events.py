"""What happens in the social graph that feeds and notifications react to.

Published inside the graph's write transaction (shutter/infra/domain.py); the feed and
notification services subscribe in their `jobs.py`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FollowStarted:
    follower_id: int
    target_id: int


@dataclass(frozen=True)
class FollowEnded:
    """`follower_id` no longer follows `target_id` (and must not see their posts in the
    feed). `by_follower` when they unfollowed; a block or a removal ends it otherwise, and
    is published even when no follow stood, since a fan-out may have raced it."""

    follower_id: int
    target_id: int
    by_follower: bool


@dataclass(frozen=True)
class FollowRequested:
    requester_id: int
    target_id: int


@dataclass(frozen=True)
class FollowRequestClosed:
    """A request was answered, withdrawn or severed: it asks nothing of the target now."""

    requester_id: int
    target_id: int
