"""Which custom emojis a text uses: a per-process copy of the enabled emojis.

Statuses and accounts are kept rendered in the entity cache under keys of their own
versions (infra/cache.py), and an emoji added, disabled or removed later changes no
post or account version. So the `emojis` arrays are not part of the cached JSON: the
renderers (posts/render.py, accounts/render.py) fill them in after the cache, from the
text of each entity, against this copy of the emoji table. Scanning a caption costs a
few microseconds, and nothing at all on an instance without emojis.

The copy lives `CACHE_SECONDS` and is forgotten at once when this process changes an
emoji; another process sees a change within `CACHE_SECONDS`. A time limit rather than
an event on the bus: emojis change a few times a year, a short delay in another process
is harmless, and it needs no listener kept alive in every process. How the copy is kept
(read again without making requests wait, the last copy while the database is
unreachable) is infra/process_copy.py's, shared with the instance rules.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.emojis.models import CustomEmoji
from shutter.emojis.schemas import emoji_json
from shutter.infra.context import AppContext, Part
from shutter.infra.process_copy import ProcessCopy
from shutter.infra.settings import Settings

CACHE_SECONDS = 30.0
# Mastodon's CustomEmoji::SCAN_RE: `:code:` not touching a letter, a digit or a colon.
SCAN = re.compile(r"(?<![^\W_])(?<!:):([a-zA-Z0-9_]{2,100}):(?![^\W_])(?!:)")


class EmojiSet:
    """The enabled emojis at one moment, as CustomEmoji JSON by shortcode."""

    def __init__(self, by_shortcode: dict[str, dict[str, Any]]) -> None:
        self.by_shortcode = by_shortcode

    def __bool__(self) -> bool:
        return bool(self.by_shortcode)

    def used(self, *texts: str | None) -> list[dict[str, Any]]:
        """The emojis `texts` use, once each, in order of first use."""
        if not self.by_shortcode:
            return []
        found: dict[str, dict[str, Any]] = {}
        for text in texts:
            if not text or ":" not in text:
                continue
            for code in SCAN.findall(text):
                emoji = self.by_shortcode.get(code)
                if emoji is not None and code not in found:
                    found[code] = emoji
        return list(found.values())

    # Filling rendered entities: a copy only where an emoji is used, so the cached dicts
    # (never mutated) are handed on as they are otherwise.

    def fill_account(self, body: dict[str, Any]) -> dict[str, Any]:
        """An Account (or CredentialAccount) with the emojis of its name and bio."""
        emojis = self.used(body.get("display_name"), body.get("note"))
        return body | {"emojis": emojis} if emojis or body.get("emojis") else body

    def fill_status(self, body: dict[str, Any]) -> dict[str, Any]:
        """A Status with the emojis of its content warning and caption, and its author's."""
        emojis = self.used(body.get("spoiler_text"), body.get("content"))
        account = body.get("account")
        filled_account = self.fill_account(account) if isinstance(account, dict) else account
        if not emojis and not body.get("emojis") and filled_account is account:
            return body
        return body | {"emojis": emojis, "account": filled_account}

    def fill_statuses(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.fill_status(body) for body in bodies] if self.by_shortcode else bodies


NO_EMOJIS = EmojiSet({})


class EmojiCatalog(ProcessCopy[EmojiSet]):
    """This process's copy of the enabled emojis."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(partial(_enabled, settings), seconds=CACHE_SECONDS, empty=NO_EMOJIS)


async def _enabled(settings: Settings, session: AsyncSession) -> EmojiSet:
    rows = await session.scalars(select(CustomEmoji).where(CustomEmoji.disabled.is_(False)))
    return EmojiSet({e.shortcode: emoji_json(e, settings) for e in rows})


EMOJIS: Part[EmojiCatalog] = Part("emojis.catalog")


def emoji_catalog(ctx: AppContext) -> EmojiCatalog:
    return ctx.part(EMOJIS)


async def current_emojis(ctx: AppContext) -> EmojiSet:
    return await emoji_catalog(ctx).current(ctx)
