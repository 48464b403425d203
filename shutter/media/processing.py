"""Photo processing with libvips: upload bytes in, stripped sRGB variants out.

Pure functions (no storage, no database, no event loop), so a route can run them in a
worker thread today and a background job can run them tomorrow. Every refusal is an
`ImageRejected` whose message is fit to show the client.
"""

from __future__ import annotations

from dataclasses import dataclass

import blurhash
import pyvips

# Only the decoders of the formats we accept may ever see user bytes: libvips picks a
# loader by sniffing, and SVG, PDF, ImageMagick, TIFF, GIF… loaders are attack surface
# we do not need. This is process-wide, which is what we want in an API or worker.
ALLOWED_LOADERS = ("VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp")
pyvips.operation_block_set("VipsForeignLoad", True)
for _loader in ALLOWED_LOADERS:
    pyvips.operation_block_set(_loader, False)
# Each upload is different bytes: caching operations would only keep user data in memory.
pyvips.cache_set_max(0)

DISPLAY_BOX = (1080, 4320)  # width limit, and a height limit so long strips stay encodable
PREVIEW_BOX = (400, 1600)
AVATAR_SIZE = 400
BLURHASH_SIDE = 32  # blurhash is pure Python: a tiny image keeps it to a millisecond or so
BLURHASH_COMPONENTS = (4, 4)
JPEG_QUALITY = 85
WEBP_QUALITY = 85

# Magic bytes of formats we recognise but do not take yet, so the client hears
# "unsupported type" rather than "not an image".
_ISO_BMFF_BRANDS = {
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"hevc": "HEIC",
    b"heim": "HEIC",
    b"heis": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
    b"avif": "AVIF",
    b"avis": "AVIF",
}


class ImageRejected(Exception):
    """The upload is not an image we accept; the message says why, for the client."""


@dataclass(frozen=True)
class Variant:
    data: bytes
    ext: str
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedPhoto:
    source_format: str  # "jpeg", "png" or "webp": what the upload was, by content
    width: int  # upright size of the upload (after EXIF orientation)
    height: int
    display: Variant
    preview: Variant
    blurhash: str


def sniff(data: bytes) -> str:
    """The accepted format of `data` by its magic bytes ("jpeg", "png", "webp"), or refuse."""
    if not data:
        raise ImageRejected("The file is empty")
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    other = _recognised_unsupported(data)
    if other:
        raise ImageRejected(
            f"Unsupported type: {other} files are not accepted yet; upload JPEG, PNG or WebP"
        )
    raise ImageRejected("The file is not an image: upload JPEG, PNG or WebP")


def _recognised_unsupported(data: bytes) -> str | None:
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        return _ISO_BMFF_BRANDS.get(brand, "video")
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video"  # Matroska / WebM
    if data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return "video"
    if data[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "video"  # QuickTime without an ftyp box
    return None


def _check_header(data: bytes, fmt: str, max_pixels: int) -> tuple[int, int]:
    """Read only the header and refuse decompression bombs before any pixel is decoded."""
    load = {
        "jpeg": pyvips.Image.jpegload_buffer,
        "png": pyvips.Image.pngload_buffer,
        "webp": pyvips.Image.webpload_buffer,
    }[fmt]
    try:
        header = load(data, access="sequential", fail_on="error")
    except pyvips.Error:
        raise ImageRejected("The image is corrupt: its header could not be read") from None
    width, height = header.width, header.height
    if width * height > max_pixels:
        raise ImageRejected(
            f"The image is too large: {width}x{height} pixels "
            f"(at most {max_pixels} pixels are accepted)"
        )
    if _orientation(header) in (5, 6, 7, 8):
        width, height = height, width
    return width, height


def _orientation(image: pyvips.Image) -> int:
    if "orientation" not in image.get_fields():
        return 1
    value = image.get("orientation")
    return value if isinstance(value, int) else 1


def _decode_fitted(data: bytes, box: tuple[int, int], **options: object) -> pyvips.Image:
    """Decode straight to the target size (shrink-on-load), upright, sRGB, 8-bit, in memory.

    `fail_on=error` makes truncated or corrupt data an error instead of grey pixels;
    the decode happens in `copy_memory`, so that is where such errors surface.
    """
    image = pyvips.Image.thumbnail_buffer(
        data,
        box[0],
        height=box[1],
        option_string="fail_on=error",
        export_profile="srgb",
        **options,
    )
    # Decode once into memory before looking at pixels: the load is sequential.
    image = image.colourspace("srgb").cast("uchar").copy_memory()
    return _drop_opaque_alpha(image)


def _drop_opaque_alpha(image: pyvips.Image) -> pyvips.Image:
    if image.bands == 4 and image.extract_band(3).min() >= 255:
        return image.extract_band(0, n=3).copy_memory()
    return image


def _encode(image: pyvips.Image) -> Variant:
    """JPEG when opaque, WebP when transparent; `keep="none"` drops EXIF, XMP, IPTC, ICC."""
    if image.hasalpha():
        data = image.webpsave_buffer(Q=WEBP_QUALITY, keep="none", effort=4)
        return Variant(data, "webp", "image/webp", image.width, image.height)
    data = image.jpegsave_buffer(Q=JPEG_QUALITY, keep="none", optimize_coding=True, interlace=True)
    return Variant(data, "jpg", "image/jpeg", image.width, image.height)


def _fit(image: pyvips.Image, box: tuple[int, int]) -> pyvips.Image:
    return image.thumbnail_image(box[0], height=box[1], size="down", no_rotate=True)


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


def process_photo(data: bytes, *, max_pixels: int) -> ProcessedPhoto:
    """Validate an uploaded photo by content and make its display and preview variants."""
    fmt = sniff(data)
    width, height = _check_header(data, fmt, max_pixels)
    try:
        display = _decode_fitted(data, DISPLAY_BOX, size="down")
        preview = _fit(display, PREVIEW_BOX).copy_memory()
        return ProcessedPhoto(
            source_format=fmt,
            width=width,
            height=height,
            display=_encode(display),
            preview=_encode(preview),
            blurhash=compute_blurhash(preview),
        )
    except pyvips.Error:
        raise ImageRejected("The image is truncated or corrupt and could not be decoded") from None


def process_avatar_image(data: bytes, *, max_pixels: int) -> Variant:
    """Validate an uploaded avatar by content and crop it to a square of AVATAR_SIZE."""
    _check_header(data, sniff(data), max_pixels)
    try:
        square = _decode_fitted(data, (AVATAR_SIZE, AVATAR_SIZE), size="both", crop="attention")
        return _encode(square)
    except pyvips.Error:
        raise ImageRejected("The image is truncated or corrupt and could not be decoded") from None
