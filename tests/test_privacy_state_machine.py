"""The privacy state machine: random sequences of social actions by three accounts, with
every read path checked against the policy after every step, as every account and as an
anonymous caller.

Actions (all through the HTTP API): follow, unfollow, lock, unlock, approve a follow
request, block, unblock, mute, unmute, remove a follower, post (each audience, or the
default, optionally mentioning another account), comment on any post (which answers 404
when the commenter may not open it), favourite, bookmark, delete. Jobs run after each
step (fan-out, back-fill, notifications), then the reads: every post and the posts
deleted in this step, the context of every commented top post the viewer may open,
every account's posts, home, the hashtag timeline (every caption carries the tag), mention
notifications, favourites, bookmarks and account search.

The actions and reads are tests/support/privacy_driver.py; the expected sets come from
tests/support/privacy_model.py, which asks `shutter.policies` itself. Each sequence is a
set-up (posts, comments, follows and locks, checked once at its end) and then steps,
checked after each one: STEPS rule runs in all.

A Hypothesis RuleBasedStateMachine draws the sequences. Its runner is synchronous, so the
test is too, and each rule runs its coroutine on the app's loop (the session's, idle
while a synchronous test runs). Fixtures are set up once for all sequences, so each
sequence empties the tables and signs the accounts up again. Derandomized with a fixed
budget, so CI runs the same sequences every time (PRIVACY_MACHINE_SEQUENCES=200 explores
more); a failure shrinks (Hypothesis gives up shrinking after five minutes) and is
printed as the rule calls that reproduce it, steps written like
`<alba comment #1 private @brio>`, where #n picks among the existing posts by id.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from shutter import policies
from shutter.infra.context import AppContext
from tests.support.privacy_driver import USERNAMES, Driver, RunJobs, Step, start

SEQUENCES = int(os.environ.get("PRIVACY_MACHINE_SEQUENCES", "25"))
STEPS = 8  # rule runs per sequence: the set-up (4 to 10 actions), then 7 steps
MAX_SET_UP = 10
SET_UP_ACTIONS = ("post", "post", "follow", "follow", "comment", "comment", "lock")
# Heavier actions are listed more than once: sampled_from draws evenly.
ACTIONS = (
    "post",
    "post",
    "post",
    "comment",
    "comment",
    "follow",
    "follow",
    "unfollow",
    "lock",
    "unlock",
    "approve",
    "block",
    "unblock",
    "mute",
    "unmute",
    "remove_follower",
    "favourite",
    "bookmark",
    "delete",
)
AUDIENCES = (*policies.VISIBILITIES, None)


def _steps(actions: tuple[str, ...]) -> st.SearchStrategy[Step]:
    return st.builds(
        Step,
        action=st.sampled_from(actions),
        actor=st.integers(0, len(USERNAMES) - 1),
        other=st.integers(0, 1),
        visibility=st.sampled_from(AUDIENCES),
        mention=st.booleans(),
        pick=st.integers(0, 7),
    )


# The set-up builds a world to start from (checked once, not after each of its steps):
# follows, posts, comments and locks in any order, so a lock made after follows and
# posts, or before a follow (a pending request), are both common.
SET_UP = st.lists(_steps(SET_UP_ACTIONS), min_size=4, max_size=MAX_SET_UP)


class PrivacyRules(RuleBasedStateMachine):
    """A set-up, then one step per rule run, every read path compared after each."""

    def __init__(self, loop: asyncio.AbstractEventLoop, started: Awaitable[Driver]) -> None:
        super().__init__()
        self.loop = loop
        self.driver = loop.run_until_complete(started)

    @initialize(steps=SET_UP)
    def set_up(self, steps: list[Step]) -> None:
        for step in steps:
            self.loop.run_until_complete(self.driver.act(step))

    @rule(step=_steps(ACTIONS))
    def act(self, step: Step) -> None:
        self.loop.run_until_complete(self.driver.act(step))

    @invariant(check_during_init=False)
    def every_read_path_agrees(self) -> None:
        mismatches = self.loop.run_until_complete(self.driver.mismatches())
        assert not mismatches, "\n".join(mismatches)


MACHINE_SETTINGS = settings(
    max_examples=SEQUENCES,
    stateful_step_count=STEPS,
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=(HealthCheck.too_slow,),
)


@pytest.fixture
async def app_loop() -> asyncio.AbstractEventLoop:
    """The loop the app and the other fixtures run on (the session's)."""
    return asyncio.get_running_loop()


def test_privacy_state_machine(
    client: httpx.AsyncClient,
    ctx: AppContext,
    run_jobs: RunJobs,
    app_loop: asyncio.AbstractEventLoop,
) -> None:
    """Synchronous, as Hypothesis' stateful runner is: each rule runs its coroutine to
    completion on the app's loop, which is idle while a synchronous test runs."""

    class PrivacyMachine(PrivacyRules):
        def __init__(self) -> None:
            super().__init__(app_loop, start(client, ctx, run_jobs))

    run_state_machine_as_test(PrivacyMachine, settings=MACHINE_SETTINGS)
