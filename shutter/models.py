"""Every service's tables, imported together so migrations see the whole schema."""

from shutter.accounts.models import Account, Credential, CredentialToken, Invite
from shutter.archive.models import Export, Import
from shutter.auth.models import App, AuthorizationCode, RecoveryCode, Token, TwoFactor
from shutter.conversations.models import Conversation, ConversationStatus
from shutter.emojis.models import CustomEmoji
from shutter.feed.models import FeedEntry
from shutter.filters.models import Filter, FilterKeyword, FilterStatus
from shutter.graph.models import (
    AccountNote,
    Block,
    DomainBlock,
    Endorsement,
    Follow,
    FollowRequest,
    Mute,
    SuggestionDismissal,
)
from shutter.infra.db import Base
from shutter.infra.jobs import Job
from shutter.instance.models import (
    Announcement,
    AnnouncementDismissal,
    AnnouncementReaction,
    InstanceText,
    Rule,
)
from shutter.lists.models import List, ListAccount
from shutter.media.models import Media
from shutter.moderation.models import AccountWarning, ModerationAction, Report
from shutter.notifications.models import Marker, Notification
from shutter.posts.models import (
    Bookmark,
    ConversationMute,
    FeaturedTag,
    IdempotencyKey,
    Like,
    Mention,
    Pin,
    Post,
    PostEdit,
    PostTag,
    ScheduledStatus,
    Tag,
    TagFollow,
)

__all__ = [
    "Account",
    "AccountNote",
    "AccountWarning",
    "Announcement",
    "AnnouncementDismissal",
    "AnnouncementReaction",
    "App",
    "AuthorizationCode",
    "Base",
    "Block",
    "Bookmark",
    "Conversation",
    "ConversationMute",
    "ConversationStatus",
    "Credential",
    "CredentialToken",
    "CustomEmoji",
    "DomainBlock",
    "Endorsement",
    "Export",
    "FeaturedTag",
    "FeedEntry",
    "Filter",
    "FilterKeyword",
    "FilterStatus",
    "Follow",
    "FollowRequest",
    "IdempotencyKey",
    "Import",
    "InstanceText",
    "Invite",
    "Job",
    "Like",
    "List",
    "ListAccount",
    "Marker",
    "Media",
    "Mention",
    "ModerationAction",
    "Mute",
    "Notification",
    "Pin",
    "Post",
    "PostEdit",
    "PostTag",
    "RecoveryCode",
    "Report",
    "Rule",
    "ScheduledStatus",
    "SuggestionDismissal",
    "Tag",
    "TagFollow",
    "Token",
    "TwoFactor",
]
