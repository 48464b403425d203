"""The privacy state machine's model: the graph and the posts as the test believes them to
be, and what each viewer should get on each read path.

Who may see a post is decided by `shutter.policies` itself (`may_open`, `may_see_post`,
`listed_publicly`, `effective_visibility`) on transient ORM objects built from this model,
so the test checks every read path against the one rule rather than a copy of it. What
the model adds is what the policy leaves to the read paths, each as Mastodon has it:

- mutes hide the muted account's posts from the muter's home, hashtag timelines, thread
  comments and notifications, never from a post opened directly, a profile or the
  muter's favourites and bookmarks;
- a comment shows only where its top post shows, and then always to the top post's
  owner (`may_open`); in a thread, comments by muted or blocked accounts are left out;
- home holds feed entries: a post reaches the feeds of its author and of the author's
  followers when posted (a direct post only those of the followers it mentions), a new
  follow back-fills the author's posts except direct ones, and an unfollow, a block
  (both ways) or a removed follower takes the author's posts out again;
- a mention notification exists if, when the post was made, neither account blocked the
  other and the recipient did not mute the author; it shows while the post exists, the
  recipient may open it and neither a block nor a mute hides its author — unless the
  default notification policy filtered it: a direct post or comment whose recipient did
  not follow its author and which answers no direct post of the recipient's mentioning
  the author (Mastodon's `for_private_mentions`).

Accounts are indices (0, 1, 2) into `World.account_ids`; posts are their API ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from shutter import policies
from shutter.accounts.models import Account
from shutter.posts.models import Post

APPROVED = datetime(2026, 1, 1, tzinfo=UTC)

Pair = tuple[int, int]  # (account, target account)


@dataclass(frozen=True)
class ModelPost:
    id: int
    author: int
    visibility: str  # as stored: chosen when posted
    mentions: frozenset[int]
    parent: int | None = None  # the post or comment replied to
    root: int | None = None  # the top post of a comment's thread
    parent_author: int | None = None


@dataclass
class World:
    account_ids: list[int]
    usernames: list[str]
    locked: set[int] = field(default_factory=set)
    follows: set[Pair] = field(default_factory=set)
    requests: set[Pair] = field(default_factory=set)
    blocks: set[Pair] = field(default_factory=set)
    mutes: set[Pair] = field(default_factory=set)
    posts: dict[int, ModelPost] = field(default_factory=dict)
    feeds: dict[int, set[int]] = field(default_factory=dict)
    notified: dict[int, set[int]] = field(default_factory=dict)  # account -> post ids
    liked: dict[int, set[int]] = field(default_factory=dict)
    saved: dict[int, set[int]] = field(default_factory=dict)

    @property
    def accounts(self) -> range:
        return range(len(self.account_ids))

    # --- the policy, asked about the model -----------------------------------------------

    def blocked_either_way(self, a: int, b: int) -> bool:
        return (a, b) in self.blocks or (b, a) in self.blocks

    def hides(self, viewer: int | None, author: int, *, with_mutes: bool) -> bool:
        """Whether the viewer's lists leave the author out (blocks; mutes where they count)."""
        if viewer is None or viewer == author:
            return False
        return self.blocked_either_way(viewer, author) or (
            with_mutes and (viewer, author) in self.mutes
        )

    def relations(self, viewer: int | None) -> policies.Relations:
        if viewer is None:
            return policies.ANONYMOUS
        others = [a for a in self.accounts if a != viewer]
        return policies.Relations(
            viewer_id=self.account_ids[viewer],
            following=frozenset(self.account_ids[b] for b in others if (viewer, b) in self.follows),
            blocked=frozenset(
                self.account_ids[b] for b in others if self.blocked_either_way(viewer, b)
            ),
        )

    def _author_row(self, account: int) -> Account:
        # Active: approved, and in no state that hides it (policies.account_shown).
        return Account(
            id=self.account_ids[account],
            locked=account in self.locked,
            approved_at=APPROVED,
            suspended_at=None,
            deactivated_at=None,
            deleted_at=None,
            silenced_at=None,
        )

    def _post_row(self, post: ModelPost) -> Post:
        mentions = [
            {"id": str(self.account_ids[m]), "username": self.usernames[m]} for m in post.mentions
        ]
        parent_author = post.parent_author
        return Post(
            id=post.id,
            account_id=self.account_ids[post.author],
            visibility=post.visibility,
            entities={"tags": [], "mentions": mentions},
            in_reply_to_account_id=None
            if parent_author is None
            else self.account_ids[parent_author],
            root_id=post.root,
        )

    def may_see(self, viewer: int | None, post: ModelPost, *, also: int | None = None) -> bool:
        """`policies.may_see_post` for the model's post; `also` as its `also_addressed`."""
        return policies.may_see_post(
            self._post_row(post),
            self._author_row(post.author),
            self.relations(viewer),
            also_addressed=None if also is None else self.account_ids[also],
        )

    def can_open(self, viewer: int | None, post: ModelPost) -> bool:
        """`policies.may_open`: GET /api/v1/statuses/:id answers 200, and the post may
        show in notifications and saved lists."""
        root = None
        if post.root is not None:
            top = self.posts[post.root]
            root = (self._post_row(top), self._author_row(top.author))
        return policies.may_open(
            self._post_row(post), self._author_row(post.author), self.relations(viewer), root=root
        )

    def listed(self, post: ModelPost) -> bool:
        return policies.listed_publicly(self._post_row(post), self._author_row(post.author))

    def shown_visibility(self, post: ModelPost) -> str:
        return policies.effective_visibility(
            post.visibility, author_locked=post.author in self.locked
        )

    def post_by_default(self, author: int, parent: ModelPost | None) -> str:
        """The audience of a post made without one (Account.privacy, choose_visibility)."""
        if parent is not None and parent.visibility == policies.DIRECT:
            return policies.DIRECT
        return policies.PRIVATE if author in self.locked else policies.PUBLIC

    # --- what each read path should list -------------------------------------------------

    def top_posts(self) -> list[ModelPost]:
        return [p for p in self.posts.values() if p.root is None]

    def statuses_of(self, viewer: int | None, author: int) -> set[int]:
        """An account's posts (GET /api/v1/accounts/:id/statuses): no comments; a mute
        does not hide them."""
        return {p.id for p in self.top_posts() if p.author == author and self.may_see(viewer, p)}

    def home(self, viewer: int) -> set[int]:
        """The viewer's feed entries it may see, muted and blocked authors left out."""
        return {
            post_id
            for post_id in self.feeds.get(viewer, set())
            if post_id in self.posts
            and self.may_see(viewer, self.posts[post_id])
            and not self.hides(viewer, self.posts[post_id].author, with_mutes=True)
        }

    def tag_timeline(self, viewer: int | None) -> set[int]:
        return {
            p.id
            for p in self.top_posts()
            if self.listed(p)
            and self.may_see(viewer, p)
            and not self.hides(viewer, p.author, with_mutes=True)
        }

    def comments_shown(self, viewer: int | None, root: ModelPost) -> set[int]:
        """The descendants of a top post's context (the viewer may open the post)."""
        return {
            c.id
            for c in self.posts.values()
            if c.root == root.id
            and not self.hides(viewer, c.author, with_mutes=True)
            and self.may_see(viewer, c, also=root.author)
        }

    def mentions(self, viewer: int) -> set[int]:
        return {
            post_id
            for post_id in self.notified.get(viewer, set())
            if post_id in self.posts
            and not self.hides(viewer, self.posts[post_id].author, with_mutes=True)
            and self.can_open(viewer, self.posts[post_id])
        }

    def saved_list(self, viewer: int, kept: dict[int, set[int]]) -> set[int]:
        """Favourites or bookmarks: what the viewer may still open (mutes do not hide)."""
        return {
            post_id
            for post_id in kept.get(viewer, set())
            if post_id in self.posts and self.can_open(viewer, self.posts[post_id])
        }

    def found_accounts(self, viewer: int | None) -> set[int]:
        return {
            a for a in self.accounts if viewer is None or not self.blocked_either_way(viewer, a)
        }

    def check_feeds(self) -> None:
        """The model's own invariant: a home feed holds only own and followed posts."""
        for viewer, entries in self.feeds.items():
            for post_id in entries & self.posts.keys():
                author = self.posts[post_id].author
                assert author == viewer or (viewer, author) in self.follows, (viewer, post_id)

    # --- transitions ---------------------------------------------------------------------

    def start_following(self, follower: int, author: int) -> None:
        """A follow made or approved: the back-fill brings the author's non-direct posts."""
        self.follows.add((follower, author))
        self.requests.discard((follower, author))
        self.feeds.setdefault(follower, set()).update(
            p.id for p in self.top_posts() if p.author == author and p.visibility != policies.DIRECT
        )

    def drop_author_from_feed(self, reader: int, author: int) -> None:
        entries = self.feeds.get(reader, set())
        entries -= {p for p in entries if p in self.posts and self.posts[p].author == author}

    def stop_following(self, follower: int, author: int) -> None:
        if (follower, author) in self.follows:
            self.follows.discard((follower, author))
            self.drop_author_from_feed(follower, author)

    def block(self, actor: int, target: int) -> None:
        self.blocks.add((actor, target))
        for a, b in ((actor, target), (target, actor)):
            self.requests.discard((a, b))
            self.follows.discard((a, b))
            self.drop_author_from_feed(a, b)

    def unlock(self, account: int) -> None:
        if account in self.locked:
            self.locked.discard(account)
            for requester, target in sorted(self.requests):
                if target == account:
                    self.start_following(requester, account)

    def add_post(self, post: ModelPost) -> None:
        """A new post or comment: fan-out (top posts only) and mention notifications."""
        self.posts[post.id] = post
        if post.root is None:
            self.feeds.setdefault(post.author, set()).add(post.id)
            for follower, author in self.follows:
                if author == post.author and (
                    post.visibility != policies.DIRECT or follower in post.mentions
                ):
                    self.feeds.setdefault(follower, set()).add(post.id)
            told: list[int | None] = [*sorted(post.mentions)]
        else:
            # threads.comment_recipients: the replied-to, the top post's owner, mentions.
            told = [post.parent_author, self.posts[post.root].author, *sorted(post.mentions)]
        for recipient in dict.fromkeys(r for r in told if r is not None):
            if (
                recipient != post.author
                and not self._unwanted(recipient, post.author)
                and not self._filtered(recipient, post)
            ):
                self.notified.setdefault(recipient, set()).add(post.id)

    def _filtered(self, recipient: int, post: ModelPost) -> bool:
        """Whether the default policy filters the mention (an unsolicited private one)."""
        if post.visibility != policies.DIRECT or (recipient, post.author) in self.follows:
            return False
        parent = self.posts.get(post.parent) if post.parent is not None else None
        while parent is not None:
            if (
                parent.author == recipient
                and parent.visibility == policies.DIRECT
                and post.author in parent.mentions
            ):
                return False
            parent = self.posts.get(parent.parent) if parent.parent is not None else None
        return True

    def _unwanted(self, recipient: int, sender: int) -> bool:
        return self.blocked_either_way(recipient, sender) or (recipient, sender) in self.mutes

    def delete(self, post: ModelPost) -> list[int]:
        """Delete a post with its comments, or a comment with the replies under it."""
        gone = {post.id}
        grew = True
        while grew:
            below = {p.id for p in self.posts.values() if p.parent in gone} - gone
            grew = bool(below)
            gone |= below
        for post_id in gone:
            del self.posts[post_id]
        return sorted(gone)
