"""Every service's tables, imported together so migrations see the whole schema."""

from shutter.accounts.models import Account, Credential, CredentialToken, Invite
from shutter.archive.models import Export, Import
from shutter.auth.models import App, AuthorizationCode, RecoveryCode, Token, TwoFactor
from shutter.feed.models import FeedEntry
from shutter.graph.models import Block, Follow, FollowRequest, Mute
from shutter.infra.db import Base
from shutter.infra.jobs import Job
from shutter.instance.models import Rule
from shutter.media.models import Media
from shutter.moderation.models import AccountWarning, ModerationAction, Report
from shutter.notifications.models import Marker, Notification
from shutter.posts.models import (
    Bookmark,
    IdempotencyKey,
    Like,
    Mention,
    Post,
    PostEdit,
    PostTag,
    Tag,
)

__all__ = [
    "Account",
    "AccountWarning",
    "App",
    "AuthorizationCode",
    "Base",
    "Block",
    "Bookmark",
    "Credential",
    "CredentialToken",
    "Export",
    "FeedEntry",
    "Follow",
    "FollowRequest",
    "IdempotencyKey",
    "Import",
    "Invite",
    "Job",
    "Like",
    "Marker",
    "Media",
    "Mention",
    "ModerationAction",
    "Mute",
    "Notification",
    "Post",
    "PostEdit",
    "PostTag",
    "RecoveryCode",
    "Report",
    "Rule",
    "Tag",
    "Token",
    "TwoFactor",
]
