"""Media files the tests make for themselves, so that a fresh clone needs nothing beside it.

`made("landscape.jpg")` is the path of a generated file, made on first use and kept for
the rest of the test session in a temporary folder (removed at exit). `CATALOGUE` names
every file; each maker's docstring says what the file exercises. The set mirrors the
real-world corpus (../shared/media-corpus/MANIFEST.md), which stays an extra layer of
tests (tests/support/shared.py).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

from tests.support.fixtures_media import hostile, photos, videos

Maker = Callable[[Path], None]


def _writes(make: Callable[[], bytes]) -> Maker:
    def write(target: Path) -> None:
        target.write_bytes(make())

    return write


CATALOGUE: dict[str, Maker] = {
    **{name: _writes(make) for name, make in photos.FILES.items()},
    **{name: _writes(make) for name, make in hostile.FILES.items()},
    **videos.FILES,
}
# Seconds each file took to make, for reports of what the session spent on generation.
TIMINGS: dict[str, float] = {}


@cache
def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="shutter-test-media-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def made(name: str) -> Path:
    """The generated file `name` (a key of CATALOGUE), made now if this session has not."""
    target = _folder() / name
    if not target.exists():
        # Made aside and moved in whole: a maker that fails leaves nothing to reuse.
        partial = _folder() / "partial" / name
        partial.parent.mkdir(exist_ok=True)
        started = time.perf_counter()
        CATALOGUE[name](partial)
        TIMINGS[name] = time.perf_counter() - started
        partial.replace(target)
    return target
