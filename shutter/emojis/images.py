"""A custom emoji's files from an upload: checked through the media pipeline's decoders.

Pure and blocking (callers run it in a worker thread). Mastodon's rules: PNG, GIF or
WebP, at most 256 KB; the upload is kept as it is (an animated GIF stays animated) and a
still PNG of its first frame is made for clients that must not animate.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyvips

from shutter.media.codecs.images import check_image
from shutter.media.codecs.sniff import MediaRejected, sniff

MAX_BYTES = 256 * 1024  # Mastodon's CustomEmoji::LIMIT
FORMATS = {"png": "png", "gif": "gif", "webp": "webp"}
# An emoji is shown at text size: a bigger picture is a mistake or a decompression bomb.
MAX_PIXELS = 1024 * 1024
MAX_FRAMES = 500


@dataclass(frozen=True)
class EmojiFiles:
    image: bytes
    image_ext: str
    static: bytes  # PNG
    animated: bool


def process_emoji(data: bytes) -> EmojiFiles:
    """Validate an emoji upload and make its still PNG; `MediaRejected` says why not."""
    if len(data) > MAX_BYTES:
        raise MediaRejected("The image is larger than 256 KB")
    sniffed = sniff(data)
    ext = FORMATS.get(sniffed.format)
    if ext is None:
        raise MediaRejected("A custom emoji must be a PNG, GIF or WebP image")
    check_image(data, sniffed, max_pixels=MAX_PIXELS)
    try:
        first = pyvips.Image.new_from_buffer(data, "", access="sequential", fail_on="error")
        pages = first.get("n-pages") if "n-pages" in first.get_fields() else 1
        if pages > MAX_FRAMES:
            raise MediaRejected(f"The image has more than {MAX_FRAMES} frames")
        if first.width * first.height > MAX_PIXELS:
            raise MediaRejected("The image is larger than 1024x1024 pixels")
        still = first.colourspace("srgb").cast("uchar").copy_memory()
        static = still.pngsave_buffer(keep="none")
    except pyvips.Error:
        raise MediaRejected("The image is truncated or corrupt and could not be decoded") from None
    return EmojiFiles(image=data, image_ext=ext, static=static, animated=pages > 1)
