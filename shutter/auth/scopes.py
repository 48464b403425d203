"""OAuth scopes as Mastodon defines them, and whether a grant covers a need."""

from __future__ import annotations

from collections.abc import Iterable

TOP_LEVEL = {"read", "write", "follow", "push", "profile", "admin:read", "admin:write"}
GRANULAR = {
    "read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters",
    "read:follows", "read:lists", "read:mutes", "read:notifications", "read:search",
    "read:statuses",
    "write:accounts", "write:blocks", "write:bookmarks", "write:conversations",
    "write:favourites", "write:filters", "write:follows", "write:lists", "write:media",
    "write:mutes", "write:notifications", "write:reports", "write:statuses",
    "admin:read:accounts", "admin:read:reports", "admin:write:accounts", "admin:write:reports",
}  # fmt: skip
KNOWN = TOP_LEVEL | GRANULAR

# The legacy `follow` scope stands for these granular ones.
_FOLLOW = {
    "read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes",
}  # fmt: skip


def parse_scopes(raw: str | list[str] | None, *, default: str = "read") -> list[str]:
    """Space- (or plus-) separated scopes, de-duplicated in order; unknown ones raise."""
    if raw is None or raw == "" or raw == []:
        raw = default
    items = raw if isinstance(raw, list) else raw.replace("+", " ").split()
    scopes: list[str] = []
    for item in items:
        if item not in KNOWN:
            raise ValueError(f"unknown scope {item!r}")
        if item not in scopes:
            scopes.append(item)
    return scopes


def covers(granted: Iterable[str], needed: str) -> bool:
    granted = set(granted)
    if needed in granted:
        return True
    parent = needed.rsplit(":", 1)[0]
    if parent in granted and parent != needed:
        return True
    return "follow" in granted and needed in _FOLLOW


def within(requested: list[str], allowed: list[str]) -> bool:
    return all(covers(allowed, scope) for scope in requested)
