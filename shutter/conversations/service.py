"""Direct-message conversations, Instagram's inbox over Mastodon's `/api/v1/conversations`.

Each account has one conversation per set of other people it exchanged `direct` posts or
comments with (`conversations.participant_key`). Posts publishes `DirectPosted` and
`StatusesDeleted` (posts/events.py); the subscribers in jobs.py call this module in the
publishing transaction, so a message and its place in every inbox commit together:

- a new message becomes the `last_status` of each participant's conversation (made if
  needed: also after its owner removed it, as on Mastodon), unread for all but its
  author; a participant who blocks the author, is blocked by them or mutes them gets
  nothing;
- a deleted message leaves its conversations: `last_status` moves back to the one
  before, and a conversation left with no message is dropped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, exists, func, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from shutter import policies
from shutter.accounts.models import Account
from shutter.conversations.models import Conversation, ConversationStatus
from shutter.graph.models import Block, Mute
from shutter.infra.db import insert_ignoring_conflicts, utcnow
from shutter.infra.errors import forbidden, not_found, unprocessable
from shutter.infra.ids import ids, parse_id, shard_of
from shutter.infra.jobs import JobKind
from shutter.posts.models import Mention, Post

# A deleted account's own inbox (accounts.events.AccountDeleted).
REMOVE_ACCOUNT = JobKind("conversations.remove_account", timeout_seconds=60)


def participant_key(others: list[int]) -> str:
    return ",".join(str(account_id) for account_id in sorted(set(others)))


async def _refusing(session: AsyncSession, *, author_id: int, accounts: list[int]) -> set[int]:
    """Those of `accounts` who block the author, are blocked by them or mute them."""
    if not accounts:
        return set()
    query = union(
        select(Block.account_id).where(
            (Block.target_account_id == author_id) & Block.account_id.in_(accounts)
        ),
        select(Block.target_account_id).where(
            (Block.account_id == author_id) & Block.target_account_id.in_(accounts)
        ),
        select(Mute.account_id).where(
            (Mute.target_account_id == author_id)
            & Mute.account_id.in_(accounts)
            & policies.mute_active()
        ),
    )
    return set(await session.scalars(query))


async def do_take_message(
    session: AsyncSession, *, post_id: int, author_id: int, participant_ids: tuple[int, ...]
) -> list[Conversation]:
    """File a new direct message in its participants' conversations; returns those changed."""
    participants = sorted(set(participant_ids) | {author_id})
    refusing = await _refusing(
        session, author_id=author_id, accounts=[a for a in participants if a != author_id]
    )
    owners = [a for a in participants if a not in refusing]
    keys = {owner: participant_key([a for a in participants if a != owner]) for owner in owners}
    # Made if missing, in one statement that skips existing ones (two messages to a new
    # set at once cannot make two rows: the unique key holds).
    now = utcnow()
    await insert_ignoring_conflicts(
        session,
        Conversation.__table__,
        [
            {
                "id": ids.next_id(shard_of(owner)),
                "account_id": owner,
                "participant_key": key,
                "participant_ids": [a for a in participants if a != owner],
                "last_status_id": None,
                "unread": False,
                "created_at": now,
            }
            for owner, key in keys.items()
        ],
    )
    changed: list[Conversation] = []
    for owner, key in keys.items():
        conversation = await session.scalar(
            select(Conversation)
            .where((Conversation.account_id == owner) & (Conversation.participant_key == key))
            .with_for_update()
        )
        if conversation is None:
            continue
        if conversation.last_status_id is None or conversation.last_status_id < post_id:
            conversation.last_status_id = post_id
        # Your own message marks the conversation read, as on Mastodon.
        conversation.unread = owner != author_id
        changed.append(conversation)
    await session.flush()
    await insert_ignoring_conflicts(
        session,
        ConversationStatus.__table__,
        [{"conversation_id": c.id, "post_id": post_id} for c in changed],
    )
    return changed


async def do_forget_messages(session: AsyncSession, *, post_ids: tuple[int, ...]) -> None:
    """Take deleted messages out of their conversations (before their rows go)."""
    if not post_ids:
        return
    touched = set(
        await session.scalars(
            delete(ConversationStatus)
            .where(ConversationStatus.post_id.in_(post_ids))
            .returning(ConversationStatus.conversation_id)
        )
    )
    for conversation_id in sorted(touched):
        latest = await session.scalar(
            select(func.max(ConversationStatus.post_id)).where(
                ConversationStatus.conversation_id == conversation_id
            )
        )
        if latest is None:
            await session.execute(delete(Conversation).where(Conversation.id == conversation_id))
        else:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(last_status_id=latest)
                .execution_options(synchronize_session=False)
            )


async def access_conversation(
    session: AsyncSession, *, account_id: int, conversation_id: int | str
) -> Conversation:
    """One of the account's own conversations; 404 for any other id."""
    wanted = parse_id(conversation_id)
    found = None
    if wanted is not None:
        found = await session.scalar(
            select(Conversation).where(
                (Conversation.id == wanted) & (Conversation.account_id == account_id)
            )
        )
    if found is None:
        raise not_found("Conversation")
    return found


async def do_mark_read(
    session: AsyncSession, *, account_id: int, conversation_id: int | str
) -> Conversation:
    conversation = await access_conversation(
        session, account_id=account_id, conversation_id=conversation_id
    )
    conversation.unread = False
    await session.flush()
    return conversation


async def do_remove(session: AsyncSession, *, account_id: int, conversation_id: int | str) -> None:
    """Remove a conversation from the account's inbox (its messages stay); a later
    message makes it again, with that message only."""
    conversation = await access_conversation(
        session, account_id=account_id, conversation_id=conversation_id
    )
    await session.execute(delete(Conversation).where(Conversation.id == conversation.id))


async def do_remove_account(session: AsyncSession, *, account_id: int) -> None:
    """A deleted account's own inbox (others' conversations with it keep their messages
    until they go; the account itself no longer shows in them)."""
    await session.execute(delete(Conversation).where(Conversation.account_id == account_id))


def inbox_query(*, account_id: int) -> Select[Conversation]:
    """The account's conversations with a message; pages go by `last_status_id`."""
    return select(Conversation).where(
        (Conversation.account_id == account_id) & Conversation.last_status_id.is_not(None)
    )


def direct_posts_query(*, account_id: int) -> Select[int]:
    """Ids of the direct posts and comments an account wrote or is addressed by
    (`GET /api/v1/timelines/direct`); the page applies who may see what."""
    mentioned = exists().where((Mention.post_id == Post.id) & (Mention.account_id == account_id))
    return select(Post.id).where(
        (Post.visibility == policies.DIRECT)
        & or_(
            Post.account_id == account_id,
            Post.in_reply_to_account_id == account_id,
            mentioned,
        )
    )


def messages_query(*, conversation_id: int) -> Select[int]:
    """Ids of a conversation's messages (the website's thread); the page applies who may
    see what, as for any list of posts."""
    filed = select(ConversationStatus.post_id).where(
        ConversationStatus.conversation_id == conversation_id
    )
    return select(Post.id).where(Post.id.in_(filed))


def unread_count_query(account_id: Any) -> Select[Any]:
    """Conversations with a message the account has not read (the website's badge);
    `account_id` may be a bind parameter (the website reads it with its other counts in
    one statement, web/unread.py)."""
    return select(func.count()).where(
        (Conversation.account_id == account_id)
        & Conversation.unread.is_(True)
        & Conversation.last_status_id.is_not(None)
    )


async def conversation_with(
    session: AsyncSession, *, account_id: int, others: list[int]
) -> Conversation | None:
    """The account's conversation with exactly these other people, if it has a message."""
    return await session.scalar(
        inbox_query(account_id=account_id).where(
            Conversation.participant_key == participant_key(others)
        )
    )


async def check_may_message(session: AsyncSession, *, sender_id: int, target: Account) -> None:
    """Whether `sender` may start a conversation with `target`: the website asks before
    writing, so a refusal is said, where the API (as Mastodon) delivers to no one who
    refuses. Only a block of one's own is named; being blocked reads like suspension."""
    if target.id == sender_id:
        raise unprocessable("You can't send a message to yourself", field="to")
    relations = await policies.load_relations(session, viewer_id=sender_id, author_ids={target.id})
    if policies.may_see_author(target, relations):
        return
    if target.suspended_at is not None:  # public: the account's JSON says so too
        raise forbidden(f"@{target.username}'s account is suspended.")
    blocking = await session.scalar(
        select(
            exists().where((Block.account_id == sender_id) & (Block.target_account_id == target.id))
        )
    )
    if blocking:
        raise forbidden(f"You blocked @{target.username}. Unblock them to send a message.")
    raise forbidden(f"@{target.username} can't receive messages.")
