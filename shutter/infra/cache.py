"""The entity cache: ready-made JSON of posts and accounts, keyed by their version.

Keys carry the entity's version (a post's edit counter, an account's `updated_at`), so a
change makes a new key instead of needing an invalidation that every process must see:
a stale entry can never be read, it only ages out. Embedded: an in-process LRU.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any


class LruCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Any] = OrderedDict()

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        found = {}
        for key in keys:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
                found[key] = value
        return found

    def set_many(self, items: dict[str, Any]) -> None:
        self._entries.update(items)
        for key in items:
            self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
