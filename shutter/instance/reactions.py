"""Whether a reaction's name is one unicode emoji (announcement reactions, as Mastodon's
ReactionValidator accepts them), without an emoji table: every code point must belong
to the emoji blocks or be one of the joiners, selectors, modifiers and tags that build
sequences (skin tones, families, flags, keycaps)."""

from __future__ import annotations

MAX_LENGTH = 32  # the longest sequences (tagged flags, families) are under 20 code points

_PICTOGRAPHS = (
    (0x1F000, 0x1FAFF),  # emoticons, symbols and pictographs, transport, flags' letters
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats
    (0x2300, 0x23FF),  # technical: watch, hourglass, keyboard
    (0x2B00, 0x2BFF),  # arrows, stars, squares
    (0x2190, 0x21FF),  # arrows
    (0x25A0, 0x25FF),  # geometric shapes
    (0x2100, 0x214F),  # letterlike: ™, ℹ
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x24C2, 0x24C2),
)
_BUILDERS = (
    (0x200D, 0x200D),  # zero-width joiner
    (0xFE0E, 0xFE0F),  # text and emoji presentation selectors
    (0x20E3, 0x20E3),  # combining keycap
    (0xE0020, 0xE007F),  # tags (subdivision flags)
)
_KEYCAP_BASES = set("#*0123456789")


def _within(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def is_unicode_emoji(name: str) -> bool:
    if not name or len(name) > MAX_LENGTH:
        return False
    if name[0] in _KEYCAP_BASES:  # a keycap: `1️⃣`
        return len(name) <= 3 and name.endswith("\u20e3") and name[1:2] in ("\ufe0f", "\u20e3")
    pictographs = 0
    for char in name:
        code = ord(char)
        if _within(code, _PICTOGRAPHS):
            pictographs += 1
        elif not _within(code, _BUILDERS):
            return False
    return pictographs > 0
