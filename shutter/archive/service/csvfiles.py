"""Mastodon's account lists as CSV: written into archives, read back from uploads.

The forms are Mastodon's own (`app/models/export.rb`): following and mutes carry a header
row (`Account address,Show boosts,Notify on new posts,Languages` and `Account
address,Hide notifications`); blocks, followers and bookmarks are one value a line. An
upload may come in either form: a first cell `Account address` marks the header. Lists
(`lists.csv`) are a list title and an account address a row, with no header.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

FOLLOWING_HEADER = ("Account address", "Show boosts", "Notify on new posts", "Languages")
MUTED_HEADER = ("Account address", "Hide notifications")
FOLLOWERS_HEADER = ("Account address",)

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 10_000
MAX_ADDRESS_CHARS = 320

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# `user` or `user@host[:port]`, optionally with Mastodon's leading `@`.
ADDRESS = re.compile(r"@?([A-Za-z0-9_]{1,30})(?:@([A-Za-z0-9.\-]{1,253}(?::[0-9]{1,5})?))?")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class ImportRejected(Exception):
    """The upload is not a list this import can read; the message says why."""


@dataclass(frozen=True)
class ImportRow:
    address: str  # as written, without a leading `@`
    hide_notifications: bool = True  # mutes only; Mastodon's default
    list_title: str = ""  # lists only


def to_csv(rows: Iterable[Iterable[object]], header: tuple[str, ...] | None = None) -> bytes:
    """Rows as CSV text (booleans as Mastodon writes them: true/false), UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue().encode()


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _text_of(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRejected(f"The file is larger than {MAX_IMPORT_BYTES // 1024} KB")
    if b"\x00" in data:
        raise ImportRejected("The file contains NUL bytes: it is not a CSV text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected("The file is not UTF-8 text: it is not a CSV file") from None
    if _CONTROL.search(text):
        raise ImportRejected("The file contains control characters: it is not a CSV text file")
    return text


def _flag(cell: str | None, default: bool) -> bool:
    value = (cell or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return default


def _key(address: str, domain: str) -> str:
    return address.lower() if "@" in address else f"{address}@{domain}".lower()


def _table(data: bytes, *, first_cell: bool = True) -> list[list[str]]:
    """The rows with something in them: in their first cell, or (not `first_cell`) any."""
    text = _text_of(data)
    try:
        return [
            row
            for row in csv.reader(io.StringIO(text), strict=True)
            if any(cell.strip() for cell in (row[:1] if first_cell else row))
        ]
    except csv.Error as exc:
        raise ImportRejected(f"The file is not valid CSV: {exc}") from None


def _check_rows(rows: list[ImportRow]) -> list[ImportRow]:
    if not any(ADDRESS.fullmatch(row.address) for row in rows):
        raise ImportRejected("The file holds no account addresses (username@domain)")
    return rows


def parse_list_import(data: bytes, *, domain: str) -> list[ImportRow]:
    """The (list title, address) rows of an uploaded `lists.csv`, de-duplicated, in the
    file's order; refused as `parse_import` refuses. A row without an address is kept
    (reported as failed), as is a title the lists service will refuse (blank, too long)."""
    table = _table(data, first_cell=False)  # a row with a blank title fails, reported
    if len(table) > MAX_IMPORT_ROWS:
        raise ImportRejected(f"The file has more than {MAX_IMPORT_ROWS:,} rows")
    rows: dict[tuple[str, str], ImportRow] = {}
    for row in table:
        title = row[0].strip()
        address = (row[1] if len(row) > 1 else "").strip().removeprefix("@")[:MAX_ADDRESS_CHARS]
        rows.setdefault((title, _key(address, domain)), ImportRow(address, list_title=title))
    return _check_rows(list(rows.values()))


def parse_import(data: bytes, *, domain: str) -> list[ImportRow]:
    """The addresses of an uploaded list, de-duplicated, in the file's order.

    Raises ImportRejected for what is no list at all (binary, not UTF-8, not CSV, too big,
    too many rows, no address in it). A row whose address is malformed is kept: the
    import reports it as failed, with the reason, as it does an unknown account. An
    address without a domain is one of `domain`'s, so `ana` and `ana@domain` are one row.
    """
    table = _table(data)
    hide_column: int | None = None
    if table and table[0][0].strip().lower() == "account address":
        names = [cell.strip().lower() for cell in table[0]]
        hide_column = names.index("hide notifications") if "hide notifications" in names else None
        table = table[1:]
    if len(table) > MAX_IMPORT_ROWS:
        raise ImportRejected(f"The file has more than {MAX_IMPORT_ROWS:,} rows")
    rows: dict[str, ImportRow] = {}
    for row in table:
        address = row[0].strip().removeprefix("@")[:MAX_ADDRESS_CHARS]
        hide = row[hide_column] if hide_column is not None and hide_column < len(row) else None
        rows.setdefault(_key(address, domain), ImportRow(address, _flag(hide, True)))
    return _check_rows(list(rows.values()))
