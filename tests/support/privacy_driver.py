"""The privacy state machine's driver: three accounts acting and reading through the HTTP
API, each action mirrored in the model (tests/support/privacy_model.py) and each read
compared with what the model expects. tests/test_privacy_state_machine.py draws the
steps; the steps are `Step`s, written like `<alba comment #1 private @brio>`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pyvips
from sqlalchemy import func, select, text

from shutter.infra.context import AppContext
from shutter.infra.jobs import Job
from shutter.models import Base
from tests.support.api import User, sign_up
from tests.support.privacy_model import ModelPost, World

RunJobs = Callable[[], Awaitable[int]]

# Usernames share a prefix (one search finds them all) and none is a prefix of another
# (an @mention of one never names another).
USERNAMES = ("pmxalba", "pmxbrio", "pmxcyan")
TAG = "pmxtag"
PAGE = {"limit": "40"}


@dataclass(frozen=True)
class Step:
    action: str
    actor: int
    other: int  # 0 or 1: which of the two other accounts the action aims at
    visibility: str | None  # post and comment: None takes the default
    mention: bool  # post and comment: mention the other account
    pick: int  # comment, favourite, bookmark, delete, approve: which candidate

    @property
    def target(self) -> int:
        return (self.actor + 1 + self.other) % len(USERNAMES)

    def __repr__(self) -> str:
        who, whom = USERNAMES[self.actor][3:], USERNAMES[self.target][3:]
        if self.action in ("post", "comment"):
            audience = self.visibility or "default"
            at = f" @{whom}" if self.mention else ""
            pick = f" #{self.pick}" if self.action == "comment" else ""
            return f"<{who} {self.action}{pick} {audience}{at}>"
        if self.action in ("favourite", "bookmark", "delete", "approve"):
            return f"<{who} {self.action} #{self.pick} ({whom})>"
        if self.action in ("lock", "unlock"):
            return f"<{who} {self.action}>"
        return f"<{who} {self.action} {whom}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints a failing sequence's steps with this: one short line each."""
        printer.text(repr(self))


def _tiny_jpeg() -> bytes:
    """A 16×16 photo: media processing is not under test and big ones cost seconds."""
    image = pyvips.Image.black(16, 16).new_from_image([90, 140, 200]).cast("uchar")
    return bytes(image.jpegsave_buffer())


PHOTO = _tiny_jpeg()


class Driver:
    """One sequence: the accounts, the model, and the HTTP calls that change and read both."""

    def __init__(
        self, client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs, users: list[User]
    ) -> None:
        self.client, self.ctx, self.run_jobs, self.users = client, ctx, run_jobs, users
        self.world = World(
            account_ids=[int(u.id) for u in users], usernames=[u.username for u in users]
        )
        self.labels: dict[int, str] = {}
        self.just_deleted: list[int] = []
        self.threads: set[int] = set()  # top posts that were commented on
        self.history: list[Step] = []

    # --- acting ---------------------------------------------------------------------------

    async def act(self, step: Step) -> None:
        self.history.append(step)
        self.just_deleted = []
        handler = getattr(self, f"_{step.action}")
        await handler(step)
        await self.run_jobs()
        await self._assert_jobs_succeeded()
        self.world.check_feeds()

    async def _call(
        self, method: str, path: str, actor: int, expected: int, **kwargs: Any
    ) -> dict[str, Any]:
        response = await self.client.request(
            method, path, headers=self.users[actor].headers, **kwargs
        )
        assert response.status_code == expected, (self.history, response.text)
        body: dict[str, Any] = response.json()
        return body

    def _account_path(self, target: int, verb: str) -> str:
        return f"/api/v1/accounts/{self.users[target].id}/{verb}"

    async def _follow(self, step: Step) -> None:
        world, a, b = self.world, step.actor, step.target
        if world.blocked_either_way(a, b):
            await self._call("POST", self._account_path(b, "follow"), a, 403)
            return
        body = await self._call("POST", self._account_path(b, "follow"), a, 200)
        if (a, b) not in world.follows:
            if b in world.locked:
                world.requests.add((a, b))
            else:
                world.start_following(a, b)
        assert (body["following"], body["requested"]) == (
            (a, b) in world.follows,
            (a, b) in world.requests,
        ), self.history

    async def _unfollow(self, step: Step) -> None:
        await self._call("POST", self._account_path(step.target, "unfollow"), step.actor, 200)
        self.world.requests.discard((step.actor, step.target))
        self.world.stop_following(step.actor, step.target)

    async def _set_locked(self, actor: int, locked: bool) -> None:
        body = await self._call(
            "PATCH",
            "/api/v1/accounts/update_credentials",
            actor,
            200,
            data={"locked": "true" if locked else "false"},
        )
        assert body["locked"] is locked, self.history

    async def _lock(self, step: Step) -> None:
        await self._set_locked(step.actor, True)
        self.world.locked.add(step.actor)

    async def _unlock(self, step: Step) -> None:
        await self._set_locked(step.actor, False)
        self.world.unlock(step.actor)

    async def _approve(self, step: Step) -> None:
        world, me = self.world, step.actor
        asking = sorted(r for r, t in world.requests if t == me)
        if not asking:  # nothing to approve: authorizing anyone is a 404
            path = f"/api/v1/follow_requests/{self.users[step.target].id}/authorize"
            await self._call("POST", path, me, 404)
            return
        requester = asking[step.pick % len(asking)]
        path = f"/api/v1/follow_requests/{self.users[requester].id}/authorize"
        body = await self._call("POST", path, me, 200)
        assert body["followed_by"] is True, self.history
        world.start_following(requester, me)

    async def _block(self, step: Step) -> None:
        await self._call("POST", self._account_path(step.target, "block"), step.actor, 200)
        self.world.block(step.actor, step.target)

    async def _unblock(self, step: Step) -> None:
        await self._call("POST", self._account_path(step.target, "unblock"), step.actor, 200)
        self.world.blocks.discard((step.actor, step.target))

    async def _mute(self, step: Step) -> None:
        await self._call("POST", self._account_path(step.target, "mute"), step.actor, 200)
        self.world.mutes.add((step.actor, step.target))

    async def _unmute(self, step: Step) -> None:
        await self._call("POST", self._account_path(step.target, "unmute"), step.actor, 200)
        self.world.mutes.discard((step.actor, step.target))

    async def _remove_follower(self, step: Step) -> None:
        path = self._account_path(step.target, "remove_from_followers")
        await self._call("POST", path, step.actor, 200)
        self.world.stop_following(step.target, step.actor)

    def _caption(self, step: Step) -> str:
        mention = f" @{USERNAMES[step.target]}" if step.mention else ""
        return f"step {len(self.history)} #{TAG}{mention}"

    def _label(self, post: ModelPost) -> str:
        kind = "comment" if post.root is not None else "post"
        at = "".join(f" @{USERNAMES[m][3:]}" for m in sorted(post.mentions))
        return f"{kind}@{len(self.history)}({USERNAMES[post.author][3:]} {post.visibility}{at})"

    def _record(self, body: dict[str, Any], step: Step, parent: ModelPost | None) -> None:
        post = ModelPost(
            id=int(body["id"]),
            author=step.actor,
            visibility=step.visibility or self.world.post_by_default(step.actor, parent),
            mentions=frozenset({step.target} if step.mention else ()),
            parent=parent.id if parent else None,
            root=(parent.root or parent.id) if parent else None,
            parent_author=parent.author if parent else None,
        )
        self.world.add_post(post)
        self.labels[post.id] = self._label(post)
        if post.root is not None:
            self.threads.add(post.root)
        assert body["visibility"] == self.world.shown_visibility(post), self.history

    async def _post(self, step: Step) -> None:
        upload = await self._call(
            "POST",
            "/api/v1/media",
            step.actor,
            200,
            files={"file": ("photo.jpg", PHOTO, "image/jpeg")},
        )
        status: dict[str, Any] = {"status": self._caption(step), "media_ids": [upload["id"]]}
        if step.visibility:
            status["visibility"] = step.visibility
        body = await self._call("POST", "/api/v1/statuses", step.actor, 200, json=status)
        self._record(body, step, parent=None)

    def _picked(self, step: Step, candidates: list[ModelPost]) -> ModelPost | None:
        ordered = sorted(candidates, key=lambda p: p.id)
        return ordered[step.pick % len(ordered)] if ordered else None

    async def _comment(self, step: Step) -> None:
        parent = self._picked(step, list(self.world.posts.values()))
        if parent is None:
            return
        status: dict[str, Any] = {"status": self._caption(step), "in_reply_to_id": str(parent.id)}
        if step.visibility:
            status["visibility"] = step.visibility
        opens = self.world.can_open(step.actor, parent)
        body = await self._call(
            "POST", "/api/v1/statuses", step.actor, 200 if opens else 404, json=status
        )
        if opens:
            self._record(body, step, parent=parent)

    async def _keep(self, step: Step, verb: str, kept: dict[int, set[int]]) -> None:
        post = self._picked(step, list(self.world.posts.values()))
        if post is None:
            return
        opens = self.world.can_open(step.actor, post)
        path = f"/api/v1/statuses/{post.id}/{verb}"
        await self._call("POST", path, step.actor, 200 if opens else 404)
        if opens:
            kept.setdefault(step.actor, set()).add(post.id)

    async def _favourite(self, step: Step) -> None:
        await self._keep(step, "favourite", self.world.liked)

    async def _bookmark(self, step: Step) -> None:
        await self._keep(step, "bookmark", self.world.saved)

    async def _delete(self, step: Step) -> None:
        """Delete an own post or comment, or a comment on an own post."""
        world, me = self.world, step.actor
        mine = [
            p
            for p in world.posts.values()
            if p.author == me or (p.root is not None and world.posts[p.root].author == me)
        ]
        post = self._picked(step, mine)
        if post is None:
            return
        opens = world.can_open(me, post)
        await self._call("DELETE", f"/api/v1/statuses/{post.id}", me, 200 if opens else 404)
        if opens:
            self.just_deleted = world.delete(post)

    async def _assert_jobs_succeeded(self) -> None:
        """A job that failed would leave feeds or notifications behind the model."""
        async with self.ctx.db.read() as session:
            failed = await session.scalar(
                select(func.count()).select_from(Job).where(Job.last_error.is_not(None))
            )
        assert not failed, self.history

    # --- reading ----------------------------------------------------------------------------

    async def mismatches(self) -> list[str]:
        """What the viewers get that the model does not expect: every read at once."""
        reads = [read for viewer in (None, *self.world.accounts) for read in self._reads(viewer)]
        return [line for found in await asyncio.gather(*reads) for line in found]

    def _reads(self, viewer: int | None) -> list[Awaitable[list[str]]]:
        world = self.world
        reads: list[Awaitable[list[str]]] = [
            self._read_post(viewer, p) for p in sorted([*world.posts, *self.just_deleted])
        ]
        # Threads that never had a comment have no context to compare (a comment the
        # model missed would have failed the step that made it).
        reads += [
            self._read_context(viewer, root)
            for root in world.top_posts()
            if root.id in self.threads and world.can_open(viewer, root)
        ]
        reads += [self._read_statuses_of(viewer, author) for author in world.accounts]
        reads += [self._read_tag(viewer), self._read_search(viewer)]
        if viewer is not None:
            reads += [self._read_home(viewer), self._read_mentions(viewer)]
            reads += [
                self._read_saved(viewer, "favourites", world.liked),
                self._read_saved(viewer, "bookmarks", world.saved),
            ]
        return reads

    async def _get(self, viewer: int | None, path: str, **params: str) -> httpx.Response:
        headers = self.users[viewer].headers if viewer is not None else {}
        return await self.client.get(path, headers=headers, params=params)

    async def _list(self, viewer: int | None, path: str, **params: str) -> Any:
        """The JSON of a list (or context) the viewer may read: always a 200."""
        response = await self._get(viewer, path, **params)
        assert response.status_code == 200, (self.history, viewer, path, response.text)
        return response.json()

    def _compare(
        self, viewer: int | None, path: str, got: list[dict[str, Any]], expected: set[int]
    ) -> list[str]:
        """Differences between a list of statuses and the expected post ids."""
        who = "anonymous" if viewer is None else USERNAMES[viewer]
        ids = {int(s["id"]) for s in got}
        out = []
        if ids != expected:
            extra = [self.labels.get(i, str(i)) for i in sorted(ids - expected)]
            missing = [self.labels.get(i, str(i)) for i in sorted(expected - ids)]
            out.append(f"{who:<9} {path:<34} shown but hidden: {extra} missing: {missing}")
        for status in got:
            post = self.world.posts.get(int(status["id"]))
            if post is not None and status["visibility"] != self.world.shown_visibility(post):
                label = self.labels[post.id]
                out.append(f"{who:<9} {path:<34} {label} says {status['visibility']}")
        return out

    async def _read_post(self, viewer: int | None, post_id: int) -> list[str]:
        """GET /api/v1/statuses/:id: 200 if the viewer may open it, else 404."""
        response = await self._get(viewer, f"/api/v1/statuses/{post_id}")
        post = self.world.posts.get(post_id)
        opens = post is not None and self.world.can_open(viewer, post)
        if response.status_code != (200 if opens else 404):
            who = "anonymous" if viewer is None else USERNAMES[viewer]
            label = self.labels[post_id] + ("" if post else " (deleted)")
            return [f"{who:<9} GET {label} answered {response.status_code}"]
        return self._compare(viewer, "GET status", [response.json()], {post_id}) if opens else []

    async def _read_context(self, viewer: int | None, root: ModelPost) -> list[str]:
        body = await self._list(viewer, f"/api/v1/statuses/{root.id}/context")
        return self._compare(
            viewer,
            f"context of {self.labels[root.id]}",
            body["ancestors"] + body["descendants"],
            self.world.comments_shown(viewer, root),
        )

    async def _read_statuses_of(self, viewer: int | None, author: int) -> list[str]:
        path = f"/api/v1/accounts/{self.users[author].id}/statuses"
        return self._compare(
            viewer,
            f"statuses of {USERNAMES[author]}",
            await self._list(viewer, path, **PAGE),
            self.world.statuses_of(viewer, author),
        )

    async def _read_tag(self, viewer: int | None) -> list[str]:
        tagged = await self._list(viewer, f"/api/v1/timelines/tag/{TAG}", **PAGE)
        return self._compare(viewer, "tag timeline", tagged, self.world.tag_timeline(viewer))

    async def _read_search(self, viewer: int | None) -> list[str]:
        found = await self._list(viewer, "/api/v2/search", q="pmx", type="accounts")
        ids = {int(a["id"]) for a in found["accounts"]}
        expected = {self.world.account_ids[a] for a in self.world.found_accounts(viewer)}
        if ids == expected:
            return []
        who = "anonymous" if viewer is None else USERNAMES[viewer]
        return [f"{who:<9} search found {sorted(ids)}, expected {sorted(expected)}"]

    async def _read_home(self, viewer: int) -> list[str]:
        home = await self._list(viewer, "/api/v1/timelines/home", **PAGE)
        return self._compare(viewer, "home", home, self.world.home(viewer))

    async def _read_mentions(self, viewer: int) -> list[str]:
        notes = await self._list(viewer, "/api/v1/notifications", **PAGE, **{"types[]": "mention"})
        statuses = [n["status"] for n in notes if n["type"] == "mention"]
        return self._compare(viewer, "mention notifications", statuses, self.world.mentions(viewer))

    async def _read_saved(self, viewer: int, path: str, kept: dict[int, set[int]]) -> list[str]:
        saved = await self._list(viewer, f"/api/v1/{path}", **PAGE)
        return self._compare(viewer, path, saved, self.world.saved_list(viewer, kept))


async def start(client: httpx.AsyncClient, ctx: AppContext, run_jobs: RunJobs) -> Driver:
    """Empty tables (fixtures run once for all examples) and three new accounts."""
    async with ctx.db.write() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(text(f"DELETE FROM {table.name}"))
    users = [await sign_up(client, name) for name in USERNAMES]
    await run_jobs()
    return Driver(client, ctx, run_jobs, users)
