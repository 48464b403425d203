"""Photo pipeline benchmark: libvips (Shutter's pipeline) against the same work in Pillow.

    .venv/bin/python bench/media.py [--runs 8]

Every photo goes through all variants: 1080 and 640 JPEG, 1080/640/320 WebP, a 150×150
square thumbnail and a blurhash. Each case runs in its own subprocess with one thread
(VIPS_CONCURRENCY=1), so the figure is photos per second per core, and peak memory is
that process's maxrss (resource.getrusage), interpreter and libraries included.
Inputs: a 12-megapixel JPEG and a 50-megapixel JPEG, made by upscaling a corpus photo
(../shared/media-corpus); without ../shared, a generated one (tests/support/fixtures_media),
whose gradient and noise decode differently from a real scene: figures are then not
comparable with those made from the corpus.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SIZES = {"12 MP": (4000, 3000), "50 MP": (8160, 6120)}


def source_photo() -> Path:
    """The corpus' 8-megapixel phone photo, or the generated 12-megapixel one without it.

    Imported here, not at the top: the measured child processes must not carry Pillow and
    pytest in their peak memory."""
    sys.path.insert(0, str(REPO))
    from tests.support import shared
    from tests.support.fixtures_media import made

    found, missing = shared.find(shared.CORPUS / "good" / "jolla.jpg")
    if found is None:
        print(f"{missing}: measuring a generated photo instead", file=sys.stderr)
        return made("large.jpg")
    return found


def make_inputs(folder: Path) -> dict[str, Path]:
    import pyvips

    source = source_photo()
    inputs = {}
    for label, (width, height) in SIZES.items():
        image = pyvips.Image.new_from_file(str(source))
        image = image.resize(width / image.width, vscale=height / image.height)
        path = folder / f"{label.replace(' ', '')}.jpg"
        image.jpegsave(str(path), Q=90)
        inputs[label] = path
    return inputs


def run_vips(data: bytes) -> None:
    from shutter.media.codecs import images

    images.process_image(data, max_pixels=60_000_000)


def run_pillow_typical(data: bytes) -> None:
    """Pillow as Python services use it: exif_transpose first (a full-size decode)."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    _pillow_variants(image)


def run_pillow_tuned(data: bytes) -> None:
    """Pillow given libvips' own advantage: `draft()`, JPEG's DCT shrink-on-load."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        opened.draft("RGB", (1080, 1080 * opened.height // opened.width))
        image = ImageOps.exif_transpose(opened).convert("RGB")
    _pillow_variants(image)


def _pillow_variants(image: Any) -> None:
    """The variants `codecs.images.process_image` makes, with the same encoder settings."""
    import blurhash
    from PIL import Image

    display = image.copy()
    display.thumbnail((1080, 4320), Image.Resampling.LANCZOS)
    small = display.copy()
    small.thumbnail((640, 2560), Image.Resampling.LANCZOS)
    for variant in (display, small):
        variant.save(io.BytesIO(), "JPEG", quality=85, optimize=True, progressive=True)
    tiny = small.copy()
    tiny.thumbnail((320, 1280), Image.Resampling.LANCZOS)
    for variant in (display, small, tiny):
        variant.save(io.BytesIO(), "WEBP", quality=82, method=2)
    side = min(display.size)
    left, top = (display.width - side) // 2, (display.height - side) // 2
    thumb = display.crop((left, top, left + side, top + side)).resize(
        (150, 150), Image.Resampling.LANCZOS
    )
    thumb.save(io.BytesIO(), "WEBP", quality=82, method=2)
    hash_source = small.copy()
    hash_source.thumbnail((32, 32))
    pixels = list(hash_source.getdata())
    width = hash_source.width
    rows = [
        [list(p) for p in pixels[y * width : (y + 1) * width]] for y in range(hash_source.height)
    ]
    blurhash.encode(rows, 4, 4)


ENGINES: dict[str, Callable[[bytes], None]] = {
    "libvips": run_vips,
    "Pillow, typical": run_pillow_typical,
    "Pillow, tuned": run_pillow_tuned,
}


def child(engine: str, path: str, runs: int) -> None:
    data = Path(path).read_bytes()
    work = ENGINES[engine]
    work(data)  # warm-up: imports, codec initialisation
    started = time.perf_counter()
    for _ in range(runs):
        work(data)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"per_second": runs / elapsed, "peak_mb": peak_kib / 1024}))


def measure(engine: str, path: Path, runs: int) -> dict[str, float]:
    env = os.environ | {"VIPS_CONCURRENCY": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, __file__, "--child", engine, str(path), "--runs", str(runs)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "FILE"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.runs)
        return

    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        inputs = make_inputs(Path(folder))
        cases = [(label, engine) for label in inputs for engine in ENGINES]
        results: dict[tuple[str, str], dict[str, float]] = {}
        for label, engine in track(cases, description="measuring", console=console):
            runs = args.runs if label == "12 MP" else max(2, args.runs // 4)
            results[(label, engine)] = measure(engine, inputs[label], runs)

    table = Table(title="Photo pipeline, all variants, one thread per process")
    for column in ("input", "engine", "photos/s per core", "peak RSS (MB)", "libvips ×"):
        table.add_column(column, justify="left" if column == "engine" else "right")
    for label, engine in cases:
        result = results[(label, engine)]
        ratio = results[(label, "libvips")]["per_second"] / result["per_second"]
        table.add_row(
            label,
            engine,
            f"{result['per_second']:.2f}",
            f"{result['peak_mb']:.0f}",
            "" if engine == "libvips" else f"{ratio:.2f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
