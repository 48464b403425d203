"""The archive's zip, written to a file on disk entry by entry (the blocking half).

Nothing is held whole in memory: originals are copied from storage in chunks, each post's
outbox item is appended to a side file as it is made and the outbox is streamed from it
at the end. Media files are stored as they are (they are compressed already); text is
deflated. Every method blocks: the builder runs them in a worker thread.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from shutter.accounts.models import Account
from shutter.archive.service import activitypub, gallery
from shutter.archive.service.contents import PostPage
from shutter.infra.storage import Storage
from shutter.media.models import Media

CHUNK = 1024 * 1024
ORIGINALS = "media_attachments/files"
# Originals a browser shows as they are; others (HEIC, QuickTime…) show their variant.
_BROWSER_IMAGES = {"jpg", "jpeg", "png", "gif", "webp", "avif"}
_BROWSER_VIDEOS = {"mp4", "m4v", "webm"}


def _ext(key: str) -> str:
    return key.rsplit(".", 1)[-1].lower() if "." in key.rsplit("/", 1)[-1] else "bin"


@dataclass
class ArchiveWriter:
    path: Path  # the zip being written
    items_path: Path  # the outbox's items, until the outbox is written
    storage: Storage
    posts: list[gallery.GalleryPost] = field(default_factory=list)
    comments: list[gallery.GalleryPost] = field(default_factory=list)
    items: int = 0
    missing: int = 0  # originals that were gone from storage

    def __post_init__(self) -> None:
        self.zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._items = self.items_path.open("wb")
        self._stamp = time.gmtime()[:6]

    def close(self) -> None:
        self._items.close()
        self.zip.close()

    # --- entries ---------------------------------------------------------------------

    def _info(self, name: str, *, compress: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        return info

    def add_bytes(self, name: str, data: bytes) -> None:
        self.zip.writestr(self._info(name, compress=True), data)

    def _add_chunks(self, name: str, chunks: Iterator[bytes], *, compress: bool) -> None:
        with self.zip.open(self._info(name, compress=compress), "w", force_zip64=True) as out:
            for chunk in chunks:
                out.write(chunk)

    def add_stored(self, name: str, key: str) -> bool:
        """Copy a stored file into the archive; False if storage no longer has it."""
        chunks = self.storage.read_chunks(key, chunk_size=CHUNK)
        try:
            first = next(chunks, b"")
        except FileNotFoundError:
            self.missing += 1
            return False

        def everything() -> Iterator[bytes]:
            yield first
            yield from chunks

        self._add_chunks(name, everything(), compress=False)
        return True

    # --- posts -----------------------------------------------------------------------

    def _add_media(self, media: Media) -> tuple[gallery.GalleryMedia, dict[str, Any] | None]:
        variants = media.variants or {}
        original: str | None = None
        if media.original_key:
            candidate = f"{ORIGINALS}/{media.id}/original.{_ext(media.original_key)}"
            if self.add_stored(candidate, media.original_key):
                original = candidate
        thumb: str | None = None
        if small := variants.get("small"):
            candidate = f"{gallery.THUMBS}/{media.id}.{_ext(small['key'])}"
            thumb = candidate if self.add_stored(candidate, small["key"]) else None
        shown = self._shown(media, original, variants)
        found = gallery.GalleryMedia(media.kind, media.description, original, shown, thumb)
        attachment = activitypub.attachment_json(media, original) if original else None
        return found, attachment

    def _shown(self, media: Media, original: str | None, variants: dict[str, Any]) -> str | None:
        """What the post page shows: the original if a browser can, else its variant."""
        browser = _BROWSER_IMAGES if media.kind == "image" else _BROWSER_VIDEOS
        if original and _ext(original) in browser and media.kind != "gifv":
            return original
        variant = variants.get("original" if media.kind == "image" else "video")
        if not variant:
            return None
        candidate = f"{gallery.SHOWN}/{media.id}.{_ext(variant['key'])}"
        return candidate if self.add_stored(candidate, variant["key"]) else None

    def add_posts(self, page: PostPage, *, author: Account, base_url: str, address: str) -> None:
        """Each post's files, its page and its outbox item."""
        for post in page.posts:
            shown: list[gallery.GalleryMedia] = []
            attachments: list[dict[str, Any]] = []
            for media in page.media.get(post.id, []):
                item, attachment = self._add_media(media)
                shown.append(item)
                if attachment is not None:
                    attachments.append(attachment)
            entry = gallery.GalleryPost(
                id=post.id,
                caption=post.caption,
                spoiler=post.spoiler_text,
                visibility=post.visibility,
                created_at=post.created_at,
                reply_to=page.parents.get(post.id),
                media=shown,
            )
            self.add_bytes(entry.page, gallery.post_html(entry, address=address).encode())
            # The index keeps only what its grid shows of each post.
            entry.caption = entry.caption[:280]
            entry.media = shown[:1]
            (self.posts if shown else self.comments).append(entry)
            activity = activitypub.create_activity(
                post,
                author=author,
                base_url=base_url,
                attachments=attachments,
                in_reply_to=page.parents.get(post.id),
            )
            self._items.write((b",\n" if self.items else b"") + orjson.dumps(activity))
            self.items += 1

    def add_outbox(self) -> None:
        """`outbox.json`: the collection's head, then the items streamed from the side file."""
        self._items.close()
        head = orjson.dumps(activitypub.outbox_head(self.items))
        parts = [head[:-1] + b',"orderedItems":[\n']

        def everything() -> Iterator[bytes]:
            yield from parts
            with self.items_path.open("rb") as items:
                while chunk := items.read(CHUNK):
                    yield chunk
            yield b"\n]}"

        self._add_chunks("outbox.json", everything(), compress=True)
