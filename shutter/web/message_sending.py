"""What a website message is made of before the posts service writes it: whom it goes
to (usernames typed or carried in the address, each checked by
conversations.check_may_message) and the photos or videos sent with it (stored and
processed by Compose's own pipeline, web/pages/compose.py, before the post is made).
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.conversations import service as conversations
from shutter.infra.context import AppContext
from shutter.infra.errors import ApiError, unprocessable
from shutter.web.pages.compose import store_files, wait_until_processed

# A group is at most this many people besides the sender.
MAX_RECIPIENTS = 10
# Photos or videos with one message (a post may hold more: `max_media_per_post`).
MAX_MESSAGE_MEDIA = 4
_SEPARATORS = re.compile(r"[\s,]+")


def usernames(*texts: str) -> list[str]:
    """The usernames in `texts` (separated by commas or spaces, "@" optional), each
    once, in order; 422 for none or more than MAX_RECIPIENTS."""
    found: dict[str, str] = {}
    for text in texts:
        for word in _SEPARATORS.split(text):
            name = word.strip().lstrip("@")
            if name:
                found.setdefault(name.lower(), name)
    if not found:
        raise unprocessable("Say who the message is for", field="to")
    if len(found) > MAX_RECIPIENTS:
        raise unprocessable(f"A message can go to at most {MAX_RECIPIENTS} people", field="to")
    return list(found.values())


async def recipients(session: AsyncSession, *, sender: Account, names: list[str]) -> list[Account]:
    """The accounts called `names`, each one the sender may message; otherwise one
    refusal naming everyone who cannot be messaged (the first refusal's status)."""
    found: list[Account] = []
    refusals: list[ApiError] = []
    for name in names:
        try:
            target = await accounts.lookup_account(session, name)
        except ApiError as missing:
            if missing.status != 404:
                raise
            refusals.append(ApiError(404, f"No one is called @{name}."))
            continue
        try:
            await conversations.check_may_message(session, sender_id=sender.id, target=target)
        except ApiError as refused:
            refusals.append(refused)
            continue
        found.append(target)
    if len(refusals) == 1:
        raise refusals[0]
    if refusals:
        message = " ".join(r.message.removeprefix("Validation failed: ") for r in refusals)
        raise ApiError(refusals[0].status, message)
    return found


def media_limit(ctx: AppContext) -> int:
    return min(MAX_MESSAGE_MEDIA, ctx.settings.max_media_per_post)


def chosen(files: list[object] | None) -> list[UploadFile]:
    """The files actually chosen (a form's empty file field sends a part with no name)."""
    return [f for f in files or [] if isinstance(f, UploadFile) and f.filename]


async def store_media(
    ctx: AppContext, author: Account, files: list[UploadFile], descriptions: list[str]
) -> list[str]:
    """The media ids of `files` (alt texts in the same order), processed and ready to
    attach; a refused file raises with its reason before any of them is kept
    (compose.store_files stores them in one transaction)."""
    if not files:
        return []
    limit = media_limit(ctx)
    if len(files) > limit:
        raise unprocessable(f"A message has at most {limit} photos or videos", field="files")
    media_ids = await store_files(ctx, author, files, descriptions)
    await wait_until_processed(ctx, author, media_ids)
    return media_ids
