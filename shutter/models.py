"""Every service's tables, imported together so migrations see the whole schema."""

from shutter.accounts.models import Account, Credential
from shutter.auth.models import App, AuthorizationCode, Token
from shutter.feed.models import FeedEntry
from shutter.graph.models import Block, Follow, FollowRequest, Mute
from shutter.infra.db import Base
from shutter.infra.jobs import Job
from shutter.media.models import Media
from shutter.notifications.models import Marker, Notification
from shutter.posts.models import IdempotencyKey, Post, PostEdit

__all__ = [
    "Account",
    "App",
    "AuthorizationCode",
    "Base",
    "Block",
    "Credential",
    "FeedEntry",
    "Follow",
    "FollowRequest",
    "IdempotencyKey",
    "Job",
    "Marker",
    "Media",
    "Mute",
    "Notification",
    "Post",
    "PostEdit",
    "Token",
]
