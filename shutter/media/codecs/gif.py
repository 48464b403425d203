"""GIF structure read without decoding a pixel: size, frame count, duration.

GIF bombs hide in frames (a 44-byte file whose one frame declares 86 megapixels, a 1×1
file with 40,000 frames), which a decoder only meets while decoding. Walking the block
structure is cheap and bounded by the file size, so the request can refuse them.
"""

from __future__ import annotations

from dataclasses import dataclass

from shutter.media.codecs.sniff import MediaRejected

# Browsers play delays under 2/100 s as 10/100 s; the transcode follows the same rule.
MIN_DELAY_CS = 2
DEFAULT_DELAY_CS = 10
# Decoded pixels across all frames: bounds the work of turning an animation into video.
MAX_TOTAL_PIXELS_FACTOR = 20


@dataclass(frozen=True)
class GifInfo:
    width: int
    height: int
    frames: int
    duration: float  # seconds, as a browser would play one loop

    @property
    def animated(self) -> bool:
        return self.frames > 1


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, count: int) -> bytes:
        if self.at + count > len(self.data):
            raise EOFError
        chunk = self.data[self.at : self.at + count]
        self.at += count
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def skip_sub_blocks(self) -> None:
        while True:
            size = self.byte()
            if size == 0:
                return
            self.take(size)


def parse_gif(data: bytes, *, max_pixels: int) -> GifInfo:
    """Frame count, size and duration of a GIF; refuses bombs and files without a frame."""
    reader = _Reader(data)
    frames = 0
    centiseconds = 0
    delay = DEFAULT_DELAY_CS
    try:
        reader.take(6)
        screen = reader.take(7)
        width = int.from_bytes(screen[0:2], "little")
        height = int.from_bytes(screen[2:4], "little")
        _check_pixels(width, height, max_pixels)
        if screen[4] & 0x80:
            reader.take(3 * 2 ** ((screen[4] & 0x07) + 1))
        while True:
            block = reader.byte()
            if block == 0x3B:  # trailer
                break
            if block == 0x21:  # extension
                label = reader.byte()
                if label == 0xF9:
                    body = reader.take(reader.byte())
                    raw = int.from_bytes(body[1:3], "little") if len(body) >= 3 else 0
                    delay = raw if raw >= MIN_DELAY_CS else DEFAULT_DELAY_CS
                reader.skip_sub_blocks()
            elif block == 0x2C:  # image descriptor
                descriptor = reader.take(9)
                frame_w = int.from_bytes(descriptor[4:6], "little")
                frame_h = int.from_bytes(descriptor[6:8], "little")
                _check_pixels(frame_w, frame_h, max_pixels)
                if descriptor[8] & 0x80:
                    reader.take(3 * 2 ** ((descriptor[8] & 0x07) + 1))
                reader.take(1)  # LZW minimum code size
                reader.skip_sub_blocks()
                frames += 1
                centiseconds += delay
                delay = DEFAULT_DELAY_CS
                if frames * width * height > max_pixels * MAX_TOTAL_PIXELS_FACTOR:
                    raise MediaRejected(
                        f"The animation is too large: over {frames} frames of {width}x{height}"
                    )
            else:
                raise MediaRejected("The GIF is corrupt: unknown block in its structure")
    except EOFError:
        # Many encoders omit the trailer; a file cut inside its first frame has no picture.
        if frames == 0:
            raise MediaRejected(
                "The GIF is truncated or corrupt: it has no complete frame"
            ) from None
    if frames == 0:
        raise MediaRejected("The GIF is corrupt: it has no frame")
    return GifInfo(width, height, frames, centiseconds / 100)


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width == 0 or height == 0:
        raise MediaRejected("The GIF is corrupt: it declares an empty picture")
    if width * height > max_pixels:
        raise MediaRejected(
            f"The image is too large: {width}x{height} pixels "
            f"(at most {max_pixels} pixels are accepted)"
        )
