"""Files a pipeline must refuse, or accept only by re-encoding them clean.

The payloads are inert: scripts that alert, a PHP line that echoes, URLs on a closed
loopback port. What matters is where they sit (a comment segment, a text chunk, an
appended archive, a name that lies), not what they would do.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable

from tests.support.fixtures_media.encode import (
    APP13,
    chunk,
    comment_segment,
    exif,
    exif_segment,
    gif,
    gif_frame,
    iptc,
    jpeg,
    png,
    png_header,
    scene,
    segment,
    with_jpeg_size,
    xmp,
    xmp_segment,
)
from tests.support.fixtures_media.photos import landscape

SCRIPT = "<script>alert(1)</script>"
CLOSED_PORT_URL = "http://127.0.0.1:9/ssrf-probe"  # nothing listens on the discard port


# --- refused in the request, by the cheap checks ---------------------------------------------


def broken_png() -> bytes:
    """A PNG signature followed by garbage: no readable IHDR."""
    return b"\x89PNG\r\n\x1a\n" + bytes(range(7, 79))


def jpeg_without_frame() -> bytes:
    """1 KiB of JPEG: SOI and an EXIF segment, then padding; no frame header, no pixels."""
    head = b"\xff\xd8" + exif_segment(exif(orientation=1, camera=("Canon", "EOS 300D")))
    return head + b"\x00" * (1024 - len(head))


def jpeg_bomb() -> bytes:
    """A 64x64 JPEG whose header declares 64250x64250 (4.1 gigapixels)."""
    return with_jpeg_size(jpeg(scene(64, 64)), 64250, 64250)


def png_bomb() -> bytes:
    """A PNG declaring 65536x65536 1-bit pixels, with the start of its (all-zero) data."""
    row = b"\x00" * (1 + 65536 // 8)
    data = zlib.compress(row * 64, 9)
    return png_header(65536, 65536) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def gif_frame_bomb() -> bytes:
    """A 32x32 GIF whose one frame declares 65535x1321 pixels at y=65280."""
    return gif((32, 32), [gif_frame(top=65280, width=65535, height=1321)])


def gif_many_frames() -> bytes:
    """A 1x1 GIF with 10,000 frames: 1,000 s to play, 200 KB to upload."""
    return gif((1, 1), [gif_frame(delay_cs=10)] * 10_000)


def svg_with_script() -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        '<polygon points="0,100 50,0 100,100" fill="green"/>'
        f"{SCRIPT}</svg>"
    ).encode()


def imagemagick_mvg() -> bytes:
    """ImageMagick's MVG drawing language (the ImageTragick vector), named photo.jpg."""
    return (
        "push graphic-context\nviewbox 0 0 640 480\n"
        f"fill 'url({CLOSED_PORT_URL}\"|true \")'\npop graphic-context\n"
    ).encode()


def djvu() -> bytes:
    """The start of a DjVu file (the container of ExifTool's CVE-2021-22204)."""
    info = b"INFO\x00\x00\x00\x0a" + b"\x00\x64\x00\x64\x18\x00\x64\x00\x16\x00"
    body = b"DJVU" + info
    return b"AT&TFORM" + len(body).to_bytes(4, "big") + body


def html_page() -> bytes:
    return f"<html><body>{SCRIPT}</body></html>".encode()


def hls_playlist() -> bytes:
    """An HLS playlist (text) pointing at a URL: a demuxer that follows it fetches it."""
    return (
        f"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\n{CLOSED_PORT_URL}\n#EXT-X-ENDLIST\n"
    ).encode()


# --- headers that read fine, pixels that do not ------------------------------------------------


def truncated_progressive_jpeg() -> bytes:
    """A progressive JPEG cut after 60% of its bytes: no EOI, later scans missing."""
    data = jpeg(scene(400, 300), progressive=True)
    return data[: len(data) * 6 // 10]


def truncated_baseline_jpeg() -> bytes:
    """The 1800x1200 baseline landscape JPEG cut after its first 20,000 bytes."""
    return landscape()[:20_000]


def truncated_png() -> bytes:
    """A 640x480 PNG cut inside its image data (no IEND)."""
    data = png(scene(640, 480))
    return data[: len(data) // 2]


# --- valid images carrying something that must not reach a public file --------------------------


def php_in_comment() -> bytes:
    """A JPEG whose comment segment is PHP code: an image/PHP polyglot."""
    return jpeg(scene(281, 291), comment_segment("<?php echo 'shutter'; ?>"))


def script_in_all_metadata() -> bytes:
    """A progressive JPEG with a script in every EXIF text field, XMP, IPTC and the comment."""
    return jpeg(
        scene(229, 229),
        exif_segment(exif(text=SCRIPT, gps=(1.0, 1.0))),
        xmp_segment(xmp(SCRIPT, city=SCRIPT)),
        segment(APP13, iptc(SCRIPT)),
        comment_segment(SCRIPT),
        progressive=True,
    )


def png_profile_path() -> bytes:
    """A 1x1 PNG whose tEXt "profile" names /etc/passwd (ImageMagick CVE-2022-44268)."""
    return png(scene(1, 1, noise=0), chunk(b"tEXt", b"profile\x00/etc/passwd"))


def png_text_bomb() -> bytes:
    """A 1x1 PNG with three zTXt chunks that each inflate 2 KB to 2 MiB."""
    text = chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"\x00" * 2 * 1024 * 1024, 9))
    return png(scene(1, 1, noise=0), text, text, text)


def jpeg_zip_html_polyglot() -> bytes:
    """A valid JPEG with an HTML page in its comment and a ZIP archive after its end: it
    opens as a photo, as a web page and as an archive."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr("index.html", html_page())
    return jpeg(scene(200, 150), comment_segment(html_page().decode())) + archive.getvalue()


FILES: dict[str, Callable[[], bytes]] = {
    "empty.jpg": bytes,
    "broken.png": broken_png,
    "no-frame.jpg": jpeg_without_frame,
    "bomb.jpg": jpeg_bomb,
    "bomb.png": png_bomb,
    "frame-bomb.gif": gif_frame_bomb,
    "many-frames.gif": gif_many_frames,
    "script.svg": svg_with_script,
    "imagetragick.jpg": imagemagick_mvg,
    "djvu.jpg": djvu,
    "html.jpg": html_page,
    "playlist.avi": hls_playlist,
    "truncated-progressive.jpg": truncated_progressive_jpeg,
    "truncated.jpg": truncated_baseline_jpeg,
    "truncated.png": truncated_png,
    "php-comment.jpg": php_in_comment,
    "script-metadata.jpg": script_in_all_metadata,
    "profile-passwd.png": png_profile_path,
    "text-bomb.png": png_text_bomb,
    "polyglot.jpg": jpeg_zip_html_polyglot,
}
