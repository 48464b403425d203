"""Blob storage for media files: a local directory (embedded) or an S3 bucket (scaled).

Keys are content-addressed (`<sha256>.<ext>` under two fan-out folders), so a public
variant never changes once written and can be cached forever. Which keys are public is
decided here, by prefix, in one place: `v/…` (media variants) and `a/…` (avatars) are
public; everything else (`originals/…`, the untouched uploads with their EXIF) is
private and is never given a public URL or public caching headers.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from shutter.infra.settings import Settings

PUBLIC_PREFIXES = ("v/", "a/", "e/")  # and `e/…`: custom emojis (shutter/emojis)
IMMUTABLE = "public, max-age=31536000, immutable"

# The types media are stored as; mimetypes alone misses some on minimal systems.
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
    "gif": "image/gif",
    "heic": "image/heic",
    "heif": "image/heif",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
}


def content_key(data: bytes, ext: str, prefix: str = "v") -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"{prefix}/{digest[:2]}/{digest[2:4]}/{digest}.{ext}"


def is_public(key: str) -> bool:
    return key.startswith(PUBLIC_PREFIXES)


def content_type_of(key: str) -> str:
    ext = key.rsplit(".", 1)[-1].lower() if "." in key else ""
    return (
        CONTENT_TYPES.get(ext) or mimetypes.guess_type(f"x.{ext}")[0] or "application/octet-stream"
    )


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime


class Storage(Protocol):
    """Blob storage as the services use it; calls block, so run them in a worker thread.

    `put` stores the content type from the key's extension, and public keys with
    immutable caching. Deleting a missing key is not an error (deletes are retried).
    """

    def put(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, path: Path) -> None:
        """Store the file at `path` without reading it whole into memory (archives)."""
        ...

    def get(self, key: str) -> bytes: ...

    def read_chunks(self, key: str, *, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """The stored bytes in chunks, so a large file is never held whole; a missing
        key raises FileNotFoundError (on the first `next`)."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def delete_many(self, keys: Iterable[str]) -> None: ...

    def keys(self, prefix: str = "") -> list[str]: ...

    def entries(
        self, prefix: str = "", *, after: str = "", limit: int = 1000
    ) -> list[StoredObject]:
        """Up to `limit` objects under `prefix` with keys sorted after `after` (paging)."""
        ...

    def presigned_url(self, key: str, *, ttl_seconds: int) -> str | None:
        """A time-limited URL to read `key` directly from the store; None if there is none."""
        ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("key escapes the storage root")
        return path

    def put(self, key: str, data: bytes) -> None:
        """Write atomically (temp file + rename) so a reader never sees half a file."""
        target = self.path(key)
        for _ in range(3):  # a concurrent delete may remove the folder between these steps
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
                break
            except FileNotFoundError:
                continue
        else:
            raise OSError(f"could not create a file next to {key}")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_file(self, key: str, path: Path) -> None:
        """Copied beside the target and renamed, as `put` writes."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle, path.open("rb") as source:
                shutil.copyfileobj(source, handle, 1024 * 1024)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def read_chunks(self, key: str, *, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        with self.path(key).open("rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        # Drop the fan-out folders a delete leaves empty, so the tree does not grow forever.
        root = self.root.resolve()
        for parent in path.parents:
            if parent == root or not parent.is_relative_to(root):
                break
            try:
                parent.rmdir()
            except OSError:  # not empty (or already gone): the folders above are in use too
                break

    def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.delete(key)

    def keys(self, prefix: str = "") -> list[str]:
        return [entry.key for entry in self._walk(prefix)]

    def entries(
        self, prefix: str = "", *, after: str = "", limit: int = 1000
    ) -> list[StoredObject]:
        found = [entry for entry in self._walk(prefix) if entry.key > after]
        return found[:limit]

    def _walk(self, prefix: str) -> list[StoredObject]:
        """Files whose key starts with `prefix`. Another process may be deleting files
        meanwhile (purges, sweeps): what vanishes during the walk is skipped."""
        found = []
        start = self.root / prefix.rpartition("/")[0]
        for folder, _subfolders, names in os.walk(start):  # a vanished folder is skipped
            for name in names:
                path = Path(folder) / name
                key = path.relative_to(self.root).as_posix()
                if name.startswith(".tmp-") or not key.startswith(prefix):
                    continue
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                found.append(
                    StoredObject(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))
                )
        return sorted(found, key=lambda entry: entry.key)

    def presigned_url(self, key: str, *, ttl_seconds: int) -> str | None:
        return None  # the app serves local files itself


def create_storage(settings: Settings) -> Storage:
    """The backend the settings choose."""
    if settings.storage == "s3":
        from shutter.infra.storage_s3 import S3Storage

        return S3Storage.from_settings(settings)
    return LocalStorage(settings.resolved_media_dir)
