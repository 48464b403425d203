"""Photos a pipeline must accept: every orientation, the formats, the metadata to strip.

Each function returns a file's bytes; `FILES` (at the end) names them, and is the list of
what the generated set holds in place of the real-world corpus' good/, orientation/ and
metadata/ folders.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from functools import cache, partial

import pillow_heif
import pyvips

from tests.support.fixtures_media.encode import (
    APP13,
    STORED_FOR,
    chunk,
    comment_segment,
    exif,
    exif_segment,
    icc_profile,
    icc_segment,
    iptc,
    jpeg,
    pillow_encode,
    png,
    scene,
    segment,
    to_pillow,
    xmp,
    xmp_segment,
)

LANDSCAPE_SIZE = (1800, 1200)  # as the corpus' Landscape_*.jpg; over 100 KB as a JPEG
EIFFEL_TOWER = (48.85826, 2.29450)
CAMERA = ("NIKON", "COOLPIX P6000")
PHONE = ("Apple", "iPhone 15 Pro")
HEIC_ENCODER = {"preset": "ultrafast"}  # x265: a tenth of its default time


@cache
def _landscape_scene() -> pyvips.Image:
    return scene(*LANDSCAPE_SIZE)


def landscape(orientation: int = 1) -> bytes:
    """A camera JPEG that is the same upright 1800x1200 picture once `orientation` is
    applied: stored mirrored or rotated (1200x1800 for 5 to 8) with that EXIF tag."""
    stored = STORED_FOR[orientation](_landscape_scene())
    return jpeg(stored, exif_segment(exif(orientation=orientation, camera=CAMERA)))


def small_rotated_jpeg() -> bytes:
    """A 300x200 camera JPEG with orientation 6: upright it is 200x300."""
    upright = scene(200, 300)
    return jpeg(STORED_FOR[6](upright), exif_segment(exif(orientation=6, camera=CAMERA)))


def webp_orientation_6() -> bytes:
    """A 128x128 WebP whose EXIF chunk says orientation 6 (rotate 90° clockwise)."""
    stored = STORED_FOR[6](scene(128, 128))
    return pillow_encode(stored, "WEBP", quality=90, exif=exif(orientation=6))


def large_jpeg() -> bytes:
    """A 12-megapixel phone JPEG (4000x3000), resized to every width."""
    # Drawn at a quarter and zoomed: 12 MP of floating-point gradient and noise cost seconds.
    picture = scene(1000, 750).zoom(4, 4)
    return jpeg(picture, exif_segment(exif(orientation=1, camera=PHONE)))


def wide_webp() -> bytes:
    """A lossy panorama WebP, 2400x1000."""
    return pillow_encode(scene(2400, 1000, noise=2), "WEBP", quality=75, method=0)


def camera_webp() -> bytes:
    """A small lossy WebP with an EXIF chunk (like the corpus' flower.webp)."""
    return pillow_encode(scene(480, 360), "WEBP", quality=80, exif=exif(camera=CAMERA))


def avif() -> bytes:
    """An AVIF still (AV1 in HEIF, brand avif), 1280x536."""
    return pillow_encode(scene(1280, 536), "AVIF", quality=60, speed=10)


def _with_alpha(image: pyvips.Image) -> pyvips.Image:
    """`image` with an alpha band that fades from opaque (left) to clear (right)."""
    xyz = pyvips.Image.xyz(image.width, image.height)
    alpha = (255 - xyz[0] * (255 / max(image.width - 1, 1))).cast("uchar")
    return image.bandjoin(alpha).copy(interpretation="srgb")


def png_16bit_alpha() -> bytes:
    """A 32x32 16-bit RGBA PNG, partly transparent: reduced to 8 bits, alpha kept."""
    image = _with_alpha(scene(32, 32, noise=0)).cast("ushort") * 257
    return png(image.cast("ushort").copy(interpretation="rgb16"), bitdepth=16)


def png_alpha() -> bytes:
    """A 1600x1200 RGBA PNG with an alpha gradient: resized with its transparency."""
    return png(_with_alpha(scene(1600, 1200, noise=0)))


def cmyk_jpeg() -> bytes:
    """A CMYK JPEG (Adobe, inverted channels) with the CMYK ICC profile it was made with."""
    image = scene(500, 333).icc_transform("cmyk", input_profile="srgb")
    data: bytes = image.jpegsave_buffer(Q=90, keep="icc")
    return data


def tiff() -> bytes:
    """A TIFF: a format the pipeline refuses by policy."""
    data: bytes = scene(320, 240).tiffsave_buffer(keep="none")
    return data


def _heic(image: pyvips.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    heif = pillow_heif.from_pillow(to_pillow(image))
    heif.save(buffer, quality=60, enc_params=HEIC_ENCODER, **options)
    return buffer.getvalue()


def heic_rotated() -> bytes:
    """A phone HEIC as an iPhone writes it: stored 1600x1200 in 512x512 grid tiles, with
    the container's rotation (irot) and EXIF orientation 6 both saying "turn it upright"
    (1200x1600: bright top, bright right). Applying both would lay it on its side."""
    stored = STORED_FOR[6](scene(1200, 1600, noise=0))
    return _heic(stored, exif=exif(orientation=6, camera=PHONE), tile_size=512)


def heic_with_gps() -> bytes:
    """A portrait HEIC (1200x1500) with EXIF GPS, camera make and model, and XMP."""
    block = exif(orientation=1, camera=PHONE, gps=EIFFEL_TOWER)
    return _heic(scene(1200, 1500, noise=0), exif=block, xmp=xmp("at the tower"))


def _frames(width: int, height: int, count: int) -> pyvips.Image:
    """`count` different frames stacked as libvips' animated image (a tall strip): the
    picture sliding left by a tenth of its width per frame."""
    picture = scene(width, height, noise=0)
    frames = [picture.wrap(x=width * step // 10) for step in range(count)]
    strip = pyvips.Image.arrayjoin(frames, across=1).copy()
    strip.set_type(pyvips.GValue.gint_type, "page-height", height)
    return strip


def animated_gif() -> bytes:
    """An animated GIF: 5 frames of 121x91 (odd sizes), 0.2 s each, 1.0 s a loop."""
    strip = _frames(121, 91, 5)
    strip.set_type(pyvips.GValue.array_int_type, "delay", [200] * 5)
    strip.set_type(pyvips.GValue.gint_type, "loop", 0)
    data: bytes = strip.gifsave_buffer()
    return data


def still_gif() -> bytes:
    """A GIF with a single frame: a photo, not an animation."""
    data: bytes = scene(40, 30, noise=0).gifsave_buffer()
    return data


# --- metadata to strip ---------------------------------------------------------------------


def metadata_jpeg() -> bytes:
    """A camera JPEG with everything a photo may tell: EXIF with GPS, make and model, XMP
    with a place, an IPTC caption, an ICC profile and a comment."""
    return jpeg(
        scene(640, 480),
        exif_segment(exif(orientation=1, camera=CAMERA, gps=EIFFEL_TOWER)),
        xmp_segment(xmp("Holiday at the tower")),
        segment(APP13, iptc("Holiday at the tower")),
        icc_segment(icc_profile()),
        comment_segment("taken by Ana on holiday"),
    )


def metadata_png() -> bytes:
    """A PNG with an eXIf chunk (GPS), tEXt, zTXt and iTXt (XMP) chunks and an ICC profile."""
    block = exif(camera=CAMERA, gps=EIFFEL_TOWER).removeprefix(b"Exif\x00\x00")
    return png(
        scene(512, 512, noise=2),
        chunk(b"iCCP", b"sRGB\x00\x00" + zlib.compress(icc_profile())),
        chunk(b"eXIf", block),
        chunk(b"tEXt", b"Author\x00Ana"),
        chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"taken on holiday")),
        chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp("Holiday")),
    )


def metadata_webp() -> bytes:
    """A WebP with EXIF (GPS, camera) and XMP chunks."""
    block = exif(camera=CAMERA, gps=EIFFEL_TOWER)
    return pillow_encode(scene(480, 360), "WEBP", quality=80, exif=block, xmp=xmp("Holiday"))


def metadata_avif() -> bytes:
    """An AVIF with EXIF (GPS, camera) and XMP items."""
    block = exif(camera=CAMERA, gps=EIFFEL_TOWER)
    return pillow_encode(scene(640, 480), "AVIF", quality=60, speed=10, exif=block, xmp=xmp("x"))


FILES: dict[str, Callable[[], bytes]] = {
    # orientation: the same upright 1800x1200 picture under every EXIF orientation
    **{f"landscape_{n}.jpg": partial(landscape, n) for n in range(9)},
    "landscape.jpg": landscape,  # the default photo of every test that just needs one
    "rotated.jpg": small_rotated_jpeg,
    "orientation_6.webp": webp_orientation_6,
    # good: formats and sizes
    "large.jpg": large_jpeg,
    "wide.webp": wide_webp,
    "camera.webp": camera_webp,
    "photo.avif": avif,
    "alpha16.png": png_16bit_alpha,
    "alpha.png": png_alpha,
    "cmyk.jpg": cmyk_jpeg,
    "photo.tiff": tiff,
    "rotated.heic": heic_rotated,
    "gps.heic": heic_with_gps,
    "animated.gif": animated_gif,
    "still.gif": still_gif,
    # metadata: every kind a public file must not keep
    "metadata.jpg": metadata_jpeg,
    "metadata.png": metadata_png,
    "metadata.webp": metadata_webp,
    "metadata.avif": metadata_avif,
}
