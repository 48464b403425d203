"""Photo processing with libvips: upload bytes in, stripped sRGB variants out.

Pure functions (no storage, no database, no event loop): the request calls
`check_image` (header only), the processing job calls `process_image`. Every refusal is a
`MediaRejected` whose message is fit to show the client. HEIC pixels come from libheif
(media/codecs/heic.py), then take the same path as every other photo.

Variants (docs/decisions/0005-media-variants.md): `original` (≤ 1080 wide) and `small`
(≤ 640 wide) in JPEG, which every client decodes (WebP when the image has transparency),
are the attachment's `url` and `preview_url`; `w1080`, `w640`, `w320` in WebP and a 150×150
`thumb` cropped around the focal point serve clients that pick by width.
"""

from __future__ import annotations

from dataclasses import dataclass

import blurhash
import pyvips

from shutter.media.codecs import heic
from shutter.media.codecs.gif import parse_gif
from shutter.media.codecs.sniff import MediaRejected, Sniffed, sniff

# Only the decoders of the formats we accept may ever see user bytes: libvips picks a
# loader by sniffing, and SVG, PDF, ImageMagick, TIFF, Matlab… loaders are attack surface
# we do not need. This is process-wide, which is what we want in an API or worker.
ALLOWED_LOADERS = (
    "VipsForeignLoadJpeg",
    "VipsForeignLoadPng",
    "VipsForeignLoadWebp",
    "VipsForeignLoadHeif",
    "VipsForeignLoadNsgif",
)
pyvips.operation_block_set("VipsForeignLoad", True)
for _loader in ALLOWED_LOADERS:
    pyvips.operation_block_set(_loader, False)
# Each upload is different bytes: caching operations would only keep user data in memory.
pyvips.cache_set_max(0)

DISPLAY_BOX = (1080, 4320)  # width limit, and a height limit so long strips stay encodable
SMALL_BOX = (640, 2560)
WEBP_WIDTHS = (1080, 640, 320)
THUMB_SIDE = 150
AVATAR_SIZE = 400
BLURHASH_SIDE = 32  # blurhash is pure Python: a tiny image keeps it to a millisecond or so
BLURHASH_COMPONENTS = (4, 4)
JPEG_QUALITY = 85
WEBP_QUALITY = 82
WEBP_EFFORT = 2  # libwebp's method: 4 costs twice the time for a few percent of bytes

_HEADER_LOADERS = {
    "jpeg": pyvips.Image.jpegload_buffer,
    "png": pyvips.Image.pngload_buffer,
    "webp": pyvips.Image.webpload_buffer,
    "heif": pyvips.Image.heifload_buffer,
    "gif": pyvips.Image.gifload_buffer,
}


@dataclass(frozen=True)
class Variant:
    data: bytes
    ext: str
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedImage:
    width: int  # upright size of the upload (after EXIF orientation)
    height: int
    variants: dict[str, Variant]
    blurhash: str


def check_image(data: bytes, sniffed: Sniffed, *, max_pixels: int) -> tuple[int, int]:
    """Read only the header and refuse decompression bombs before any pixel is decoded.

    Returns the upright (width, height). A GIF's every frame is checked, not just its
    screen: a bomb hides in a frame.
    """
    if sniffed.format == "gif":
        info = parse_gif(data, max_pixels=max_pixels)
        return info.width, info.height
    if sniffed.format == "heic":
        # Already upright: libheif applies irot/imir, and the EXIF orientation is ignored.
        width, height = heic.header_size(data)
        orientation = 1
    else:
        try:
            header = _HEADER_LOADERS[sniffed.format](data, access="sequential", fail_on="error")
        except pyvips.Error:
            raise MediaRejected("The image is corrupt: its header could not be read") from None
        width, height = header.width, header.height
        orientation = _orientation(header)
    if width * height > max_pixels:
        raise MediaRejected(
            f"The image is too large: {width}x{height} pixels "
            f"(at most {max_pixels} pixels are accepted)"
        )
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return width, height


def _orientation(image: pyvips.Image) -> int:
    if "orientation" not in image.get_fields():
        return 1
    value = image.get("orientation")
    return value if isinstance(value, int) else 1


def _decode_fitted(
    data: bytes, sniffed: Sniffed, box: tuple[int, int], *, max_pixels: int, **options: object
) -> pyvips.Image:
    """Decode straight to the target size (shrink-on-load), upright, sRGB, 8-bit, in memory.

    `fail_on=error` makes truncated or corrupt data an error instead of grey pixels;
    the decode happens in `copy_memory`, so that is where such errors surface. HEIC has
    no shrink-on-load: libheif decodes the full image, then libvips shrinks it.
    """
    if sniffed.format == "heic":
        full = heic.decode(data, max_pixels=max_pixels)
        image = full.thumbnail_image(box[0], height=box[1], **options)
    else:
        image = pyvips.Image.thumbnail_buffer(
            data, box[0], height=box[1], option_string="fail_on=error", **options
        )
    # Colour-manage after the shrink, on the small image (thumbnail's own export_profile
    # costs ~4× the whole decode on a 12 MP JPEG). CMYK was already imported by thumbnail;
    # a profile still attached (Display P3, Adobe RGB…) is converted to sRGB here.
    if "icc-profile-data" in image.get_fields() and image.interpretation != "cmyk":
        image = image.icc_transform("srgb", embedded=True, input_profile="srgb")
    image = image.colourspace("srgb").cast("uchar").copy_memory()
    return _drop_opaque_alpha(image)


def _drop_opaque_alpha(image: pyvips.Image) -> pyvips.Image:
    if image.bands == 4 and image.extract_band(3).min() >= 255:
        return image.extract_band(0, n=3).copy_memory()
    return image


def encode_compatible(image: pyvips.Image) -> Variant:
    """JPEG when opaque, WebP when transparent; `keep="none"` drops EXIF, XMP, IPTC, ICC."""
    if image.hasalpha():
        return encode_webp(image)
    data = image.jpegsave_buffer(Q=JPEG_QUALITY, keep="none", optimize_coding=True, interlace=True)
    return Variant(data, "jpg", "image/jpeg", image.width, image.height)


def encode_webp(image: pyvips.Image) -> Variant:
    data = image.webpsave_buffer(Q=WEBP_QUALITY, keep="none", effort=WEBP_EFFORT)
    return Variant(data, "webp", "image/webp", image.width, image.height)


def _fit(image: pyvips.Image, box: tuple[int, int]) -> pyvips.Image:
    return image.thumbnail_image(box[0], height=box[1], size="down", no_rotate=True)


def focus_crop(image: pyvips.Image, focus: tuple[float, float], side: int) -> pyvips.Image:
    """A `side`×`side` square around Mastodon's focal point (x right, y up, both in [-1, 1])."""
    square = min(image.width, image.height)
    centre_x = (focus[0] + 1) / 2 * image.width
    centre_y = (1 - focus[1]) / 2 * image.height
    left = int(min(max(centre_x - square / 2, 0), image.width - square))
    top = int(min(max(centre_y - square / 2, 0), image.height - square))
    cropped = image.crop(left, top, square, square)
    return cropped.thumbnail_image(side, height=side, size="down").copy_memory()


def make_thumbnail(display: bytes, focus: tuple[float, float]) -> Variant:
    """The square thumbnail, re-cropped from the stored display variant (focus changes)."""
    image = pyvips.Image.new_from_buffer(display, "", access="sequential").copy_memory()
    return encode_webp(focus_crop(image, focus, THUMB_SIDE))


def compute_blurhash(image: pyvips.Image) -> str:
    """Blurhash of `image` (sRGB, 8-bit), computed on a tiny copy flattened onto white."""
    tiny = _fit(image, (BLURHASH_SIDE, BLURHASH_SIDE))
    if tiny.hasalpha():
        tiny = tiny.flatten(background=[255, 255, 255])
    tiny = tiny.cast("uchar")
    raw = tiny.write_to_memory()
    width, height, bands = tiny.width, tiny.height, tiny.bands
    rows = [
        [list(raw[(y * width + x) * bands : (y * width + x) * bands + 3]) for x in range(width)]
        for y in range(height)
    ]
    result: str = blurhash.encode(rows, *BLURHASH_COMPONENTS)
    return result


def variants_of(display: pyvips.Image, focus: tuple[float, float]) -> dict[str, Variant]:
    """Every public variant of an upright sRGB image already fitted to DISPLAY_BOX."""
    small = _fit(display, SMALL_BOX).copy_memory()
    variants = {"original": encode_compatible(display), "small": encode_compatible(small)}
    variants["w1080"] = encode_webp(display)
    for width in WEBP_WIDTHS[1:]:
        if display.width > width:
            source = small if width == 640 else _fit(small, (width, width * 4))
            variants[f"w{width}"] = encode_webp(source)
    variants["thumb"] = encode_webp(focus_crop(display, focus, THUMB_SIDE))
    return variants


def process_image(
    data: bytes, *, max_pixels: int, focus: tuple[float, float] = (0.0, 0.0)
) -> ProcessedImage:
    """Validate a photo by content, decode it once, and make all its variants."""
    sniffed = sniff(data)
    width, height = check_image(data, sniffed, max_pixels=max_pixels)
    try:
        display = _decode_fitted(data, sniffed, DISPLAY_BOX, max_pixels=max_pixels, size="down")
        return ProcessedImage(
            width=width,
            height=height,
            variants=variants_of(display, focus),
            blurhash=compute_blurhash(display),
        )
    except pyvips.Error:
        raise MediaRejected("The image is truncated or corrupt and could not be decoded") from None


def process_avatar_image(data: bytes, *, max_pixels: int) -> Variant:
    """Validate an avatar by content and crop it to a square of AVATAR_SIZE (first frame)."""
    sniffed = sniff(data)
    if sniffed.is_video:
        raise MediaRejected("An avatar must be an image: upload JPEG, PNG, WebP, HEIC, AVIF or GIF")
    check_image(data, sniffed, max_pixels=max_pixels)
    try:
        square = _decode_fitted(
            data,
            sniffed,
            (AVATAR_SIZE, AVATAR_SIZE),
            max_pixels=max_pixels,
            size="both",
            crop="attention",
        )
        return encode_compatible(square)
    except pyvips.Error:
        raise MediaRejected("The image is truncated or corrupt and could not be decoded") from None
