"""Who may see a post: the one rule, as pure functions and as the SQL every list uses.

A post's audience (Mastodon's `visibility`):

- `public`: everyone, and it is listed in public places (hashtags, explore, public
  timelines, hashtag streams);
- `unlisted`: everyone who opens it or the author's profile, but never listed in public
  places;
- `private`: the author's followers (and the accounts it addresses);
- `direct`: only the accounts it addresses.

A post *addresses* the accounts it mentions and the account it replies to. The author
always sees their own post. A locked account's public and unlisted posts count as
`private` while it stays locked (a private account shows nothing to strangers, as on
Instagram); a block either way hides everything; a suspended author's posts are gone.
A comment shows only where its top post shows, and then always to that post's owner
(`may_open`, `openable_sql`): a comment on a private post is as private as the post.

`may_see_post` decides from relations already loaded (`Relations`, one query for many
authors: see `load_relations`); `visible_sql` is the same rule as a SQL condition over
`posts` joined with its author in `accounts`, for every page query. Both are tested
against each other by tests/test_privacy_matrix.py and tests/test_privacy_state_machine.py.
`hidden_authors_query` is the other half of every list: the accounts whose posts a viewer
does not get (blocks both ways, and mutes where they apply).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    exists,
    false,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shutter.accounts.models import Account
from shutter.graph.models import Block, Follow, Mute
from shutter.infra.db import utcnow
from shutter.posts.models import Mention, Post

PUBLIC, UNLISTED, PRIVATE, DIRECT = "public", "unlisted", "private", "direct"
VISIBILITIES = (PUBLIC, UNLISTED, PRIVATE, DIRECT)
# Open to anyone who may see the author at all.
_OPEN = (PUBLIC, UNLISTED)
# Open to the author's followers.
_FOLLOWERS = (PUBLIC, UNLISTED, PRIVATE)
_WIDTH = {PUBLIC: 0, UNLISTED: 1, PRIVATE: 2, DIRECT: 3}


def effective_visibility(visibility: str, *, author_locked: bool) -> str:
    """The audience a post has now: a locked author's open posts reach followers only."""
    if author_locked and visibility in _OPEN:
        return PRIVATE
    return visibility if visibility in _WIDTH else PUBLIC


def narrower(a: str, b: str) -> str:
    """The smaller of two audiences."""
    return a if _WIDTH.get(a, 0) >= _WIDTH.get(b, 0) else b


@dataclass(frozen=True)
class Relations:
    """What the viewer is to the authors in question, loaded once for a whole page."""

    viewer_id: int | None
    following: frozenset[int] = field(default_factory=frozenset)
    blocked: frozenset[int] = field(default_factory=frozenset)  # either way


ANONYMOUS = Relations(viewer_id=None)


def addressed_ids(post: Post) -> set[int]:
    """The accounts a post speaks to: those it mentions and the one it replies to."""
    mentioned = {int(m["id"]) for m in (post.entities or {}).get("mentions", [])}
    if post.in_reply_to_account_id is not None:
        mentioned.add(post.in_reply_to_account_id)
    return mentioned


# --- whether an account is shown at all ----------------------------------------------


def account_shown(account: Account) -> bool:
    """Whether an account shows anywhere (its profile, posts, likes, comments, lists,
    notifications, search): approved, and neither suspended, deactivated by its owner nor
    deleted. A disabled account still shows (only its log-in is refused); a silenced one
    shows except in public places (`listed_for`). `account_shown_sql` is the same rule."""
    return (
        account.approved_at is not None
        and account.suspended_at is None
        and account.deactivated_at is None
        and account.deleted_at is None
    )


def account_shown_sql(account: Any = Account) -> ColumnElement[bool]:
    """`account_shown` as a SQL condition over `accounts` (or an alias of it)."""
    return (
        account.approved_at.is_not(None)
        & account.suspended_at.is_(None)
        & account.deactivated_at.is_(None)
        & account.deleted_at.is_(None)
    )


def account_usable(account: Account) -> bool:
    """Whether the account's owner may still act on it by mail or log in: neither suspended,
    disabled nor deleted (a pending account confirms its address; a deactivated one resets
    a forgotten password and logs in, which reactivates it)."""
    return (
        account.suspended_at is None and account.disabled_at is None and account.deleted_at is None
    )


def listed_for(account: Account, relations: Relations) -> bool:
    """Whether a shown account belongs in the viewer's public places (public and hashtag
    timelines, trends, search results, suggestions): a silenced (Mastodon's "limited")
    account only for itself and its followers. `listed_for_sql` is the same rule."""
    if account.silenced_at is None:
        return True
    return account.id == relations.viewer_id or account.id in relations.following


def listed_for_sql(*, viewer: Any, account: Any = Account) -> ColumnElement[bool]:
    """`listed_for` in SQL over `accounts` (or an alias): `viewer` is the viewer's id, a
    bind parameter (a statement built once), or None for a signed-out viewer."""
    if viewer is None:
        return account.silenced_at.is_(None)
    follows = exists().where(
        (Follow.account_id == viewer) & (Follow.target_account_id == account.id)
    )
    return account.silenced_at.is_(None) | (account.id == viewer) | follows


def may_see_author(author: Account, relations: Relations) -> bool:
    """Whether the viewer may see anything of this author (a block hides all of it)."""
    if not account_shown(author):
        return False
    return author.id == relations.viewer_id or author.id not in relations.blocked


def may_see_posts_of(author: Account, relations: Relations) -> bool:
    """Whether the viewer may see the author's grid and follow lists: a locked account
    shows them to itself and its approved followers only."""
    if not may_see_author(author, relations):
        return False
    return not author.locked or author.id == relations.viewer_id or author.id in relations.following


def may_see_post(
    post: Post, author: Account, relations: Relations, *, also_addressed: int | None = None
) -> bool:
    """Whether the viewer may see `post` by `author`.

    `also_addressed` is one more account the post speaks to: the owner of the thread a
    comment belongs to sees every comment on their post.
    """
    viewer_id = relations.viewer_id
    if not may_see_author(author, relations):
        return False
    if viewer_id == author.id:
        return True
    if viewer_id is not None and (viewer_id == also_addressed or viewer_id in addressed_ids(post)):
        return True
    visibility = effective_visibility(post.visibility, author_locked=author.locked)
    if visibility in _OPEN:
        return True
    return visibility == PRIVATE and author.id in relations.following


def may_open(
    post: Post, author: Account, relations: Relations, *, root: tuple[Post, Account] | None
) -> bool:
    """Whether the viewer may see `post` wherever it shows (its page, a notification, a
    saved list). A comment shows only where its top post `root` (with its author) shows,
    and then always to that post's owner; a comment whose top post is gone, nowhere.
    `relations` must cover the root's author too."""
    if post.root_id is None:
        return may_see_post(post, author, relations)
    if root is None:
        return False
    root_post, root_author = root
    return may_see_post(root_post, root_author, relations) and may_see_post(
        post, author, relations, also_addressed=root_author.id
    )


def listed_publicly(post: Post, author: Account) -> bool:
    """Whether the post belongs in public places: hashtags, explore, public timelines."""
    return effective_visibility(post.visibility, author_locked=author.locked) == PUBLIC


async def load_relations(
    session: AsyncSession, *, viewer_id: int | None, author_ids: set[int]
) -> Relations:
    """The viewer's follows of and blocks with these authors, in one query."""
    others = author_ids - {viewer_id}
    if viewer_id is None or not others:
        return Relations(viewer_id=viewer_id)
    rows = await session.execute(
        select(Follow.target_account_id, true())
        .where((Follow.account_id == viewer_id) & Follow.target_account_id.in_(others))
        .union_all(
            select(Block.target_account_id, false()).where(
                (Block.account_id == viewer_id) & Block.target_account_id.in_(others)
            ),
            select(Block.account_id, false()).where(
                (Block.target_account_id == viewer_id) & Block.account_id.in_(others)
            ),
        )
    )
    following: set[int] = set()
    blocked: set[int] = set()
    for account_id, is_follow in rows.all():
        (following if is_follow else blocked).add(account_id)
    return Relations(viewer_id, frozenset(following), frozenset(blocked))


# --- the same rule in SQL ---------------------------------------------------------------


def _audience_in(visibilities: tuple[str, ...], post: Any = Post) -> ColumnElement[bool]:
    # Constants in the statement's text, not bind parameters: page statements are
    # prepared once and run with the viewer's values only (shutter/infra/prepared.py).
    return post.visibility.in_([literal_column(f"'{v}'") for v in visibilities])


def visible_sql(*, signed_in: bool, post: Any = Post, author: Any = Account) -> ColumnElement[bool]:
    """Whether the viewer (bind parameter `viewer`) may see the row's post by its audience.

    For a query over `posts` joined with its author as `accounts` (or over the aliases
    `post` and `author`); blocks and suspension are the page query's own conditions (the
    hidden-authors filter, the author join). Built with bind parameters, so statements
    that use it can be built once.
    """
    open_to_all = _audience_in(_OPEN, post) & author.locked.is_(False)
    if not signed_in:
        return open_to_all
    viewer: Any = bindparam("viewer")
    follows = exists().where(
        (Follow.account_id == viewer) & (Follow.target_account_id == post.account_id)
    )
    mentioned = exists().where((Mention.post_id == post.id) & (Mention.account_id == viewer))
    return or_(
        post.account_id == viewer,
        open_to_all,
        _audience_in(_FOLLOWERS, post) & follows,
        post.in_reply_to_account_id == viewer,
        mentioned,
    )


@cache
def openable_sql(*, signed_in: bool) -> ColumnElement[bool]:
    """`may_open` in SQL, for pages that may list comments (favourites, bookmarks): the
    post shows by `visible_sql` (or the viewer owns the comment's top post), and a
    comment's top post shows too (by audience, its author neither suspended nor blocked
    either way). Same query shape and bind parameters as `visible_sql`; built once
    (building it cost more than running it)."""
    root, root_author = aliased(Post), aliased(Account)
    # The comment's own audience stays at the page query's level: a condition on `posts`
    # nested two subqueries deep would not be correlated to the page's row.
    root_shows = exists().where(
        (root.id == Post.root_id)
        & (root_author.id == root.account_id)
        & account_shown_sql(root_author)
        & visible_sql(signed_in=signed_in, post=root, author=root_author)
    )
    shown = visible_sql(signed_in=signed_in)
    if signed_in:
        viewer: Any = bindparam("viewer")
        root_shows = root_shows.where(
            root.account_id.not_in(blocked_either_way_query(viewer_id=viewer))
        )
        shown = shown | exists().where((root.id == Post.root_id) & (root.account_id == viewer))
    return shown & (Post.root_id.is_(None) | root_shows)


def listed_publicly_sql() -> ColumnElement[bool]:
    """`listed_publicly` in SQL (posts joined with their author as `accounts`)."""
    return _audience_in((PUBLIC,)) & Account.locked.is_(False)


# --- whose posts a viewer does not get, for a list query's own NOT IN ---------------


def mute_active(now: Any = None) -> ColumnElement[bool]:
    """Mutes in force; `now` may be a bind parameter, for a statement built once."""
    return Mute.expires_at.is_(None) | (Mute.expires_at > (utcnow() if now is None else now))


def blocked_either_way_query(*, viewer_id: int) -> Select[tuple[int]]:
    """Ids of accounts the viewer blocked or that blocked the viewer, as a subquery."""
    return (
        union_all(
            select(Block.target_account_id).where(Block.account_id == viewer_id),
            select(Block.account_id).where(Block.target_account_id == viewer_id),
        )
        .subquery()
        .select()
    )


def hides_author_sql(*, viewer: Any, author_id: Any) -> ColumnElement[bool]:
    """Whether `viewer` (a column, for a query over many viewers, or a value) does not get
    `author_id`'s posts in its feeds: a block either way or an active mute (fan-out)."""
    return or_(
        exists().where((Block.account_id == viewer) & (Block.target_account_id == author_id)),
        exists().where((Block.account_id == author_id) & (Block.target_account_id == viewer)),
        exists().where(
            (Mute.account_id == viewer) & (Mute.target_account_id == author_id) & mute_active()
        ),
    )


def hidden_authors_query(
    *,
    viewer_id: Any,
    include_mutes: bool,
    notification_mutes_only: bool = False,
    now: Any = None,
) -> Select[tuple[int]]:
    """Accounts whose posts the viewer does not get, for `NOT IN` in a page's own query.

    Blocks both ways always; the viewer's active mutes too for feeds (home, hashtags,
    trends), not for a profile the viewer opened or a post they saved. For notifications,
    `notification_mutes_only` skips mutes made with `notifications=false`. `viewer_id`
    and `now` may be bind parameters (a statement built once, run for many viewers).
    """
    parts = [
        select(Block.target_account_id).where(Block.account_id == viewer_id),
        select(Block.account_id).where(Block.target_account_id == viewer_id),
    ]
    if include_mutes:
        muted = (Mute.account_id == viewer_id) & mute_active(now)
        if notification_mutes_only:
            muted = muted & Mute.hide_notifications
        parts.append(select(Mute.target_account_id).where(muted))
    return union_all(*parts).subquery().select()
