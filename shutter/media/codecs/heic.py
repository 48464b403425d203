"""HEIC/HEIF photos (HEVC inside): decoded by libheif from the pillow-heif wheel.

The libvips wheel has no HEVC decoder (patents), so for this one format the pixels come
from libheif + libde265 and are handed to libvips as raw RGB(A); from there the photo takes
the pipeline every other photo takes (sRGB, variants, `keep="none"`). Only pixels and the
ICC profile cross over: the HEIC's EXIF, XMP and GPS are never copied to the libvips image.

libheif applies the container's `irot`/`imir`/`clap` transforms when it decodes, and its
sizes are already those of the upright picture. The EXIF orientation an iPhone also writes
describes the same rotation (HEIF says the transforms rule), so it must not be applied a
second time: the libvips image carries no orientation at all.
"""

from __future__ import annotations

import pillow_heif
import pyvips

from shutter.media.codecs.sniff import MediaRejected

# pillow-heif modes we can hand over as 8-bit bands (HDR is converted to 8 bits on decode);
# a lowercase "a" is premultiplied alpha.
_BANDS = {"RGB": 3, "RGBA": 4, "RGBa": 4, "L": 1, "LA": 2, "La": 2}
_DECODE_ERRORS = (ValueError, EOFError, SyntaxError, RuntimeError, IndexError)
CORRUPT = "The image is truncated or corrupt and could not be decoded"


def _box(data: bytes, at: int, end: int) -> tuple[bytes, int, int]:
    """(type, payload start, box end) of the ISO-BMFF box at `at`; refuses one past `end`."""
    if at + 8 > end:
        raise MediaRejected("The image is truncated: a HEIF box is cut short")
    size = int.from_bytes(data[at : at + 4], "big")
    kind = data[at + 4 : at + 8]
    start = at + 8
    if size == 1:
        if at + 16 > end:
            raise MediaRejected("The image is truncated: a HEIF box is cut short")
        size = int.from_bytes(data[at + 8 : at + 16], "big")
        start = at + 16
    elif size == 0:
        size = end - at
    if size < start - at or at + size > end:
        raise MediaRejected("The image is truncated: a HEIF box runs past the end of the file")
    return kind, start, at + size


def _children(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    found: dict[bytes, tuple[int, int]] = {}
    at = start
    while at < end:
        kind, payload, at = _box(data, at, end)
        found.setdefault(kind, (payload, at))
    return found


def _uint(data: bytes, at: int, size: int) -> tuple[int, int]:
    return int.from_bytes(data[at : at + size], "big"), at + size


def check_complete(data: bytes) -> None:
    """Refuse a HEIF whose boxes or item data stop before the end of the file.

    libheif decodes what it finds and paints missing grid tiles green rather than failing
    (an iPhone photo is a grid of 512×512 tiles), so a cut file must be caught here: every
    top-level box must fit, and every byte range the item location box (`iloc`) points
    into the file for must exist.
    """
    top = _children(data, 0, len(data))
    if b"meta" not in top:
        raise MediaRejected("The image is corrupt: its HEIF header has no meta box")
    meta_start, meta_end = top[b"meta"]
    iloc = _children(data, meta_start + 4, meta_end).get(b"iloc")  # meta is a FullBox
    if iloc is None:
        raise MediaRejected("The image is corrupt: its HEIF header has no item locations")
    try:
        _check_extents(data, *iloc)
    except IndexError:
        raise MediaRejected("The image is corrupt: its HEIF item locations are malformed") from None


def _check_extents(data: bytes, at: int, end: int) -> None:
    version = data[at]
    at += 4
    offset_size, length_size = data[at] >> 4, data[at] & 0x0F
    base_size, index_size = data[at + 1] >> 4, data[at + 1] & 0x0F
    at += 2
    item_count, at = _uint(data, at, 4 if version == 2 else 2)
    for _ in range(item_count):
        at += 4 if version == 2 else 2  # item id
        method = 0
        if version in (1, 2):
            method = data[at + 1] & 0x0F
            at += 2
        at += 2  # data reference index
        base, at = _uint(data, at, base_size)
        extent_count, at = _uint(data, at, 2)
        for _ in range(extent_count):
            if version in (1, 2) and index_size:
                at += index_size
            offset, at = _uint(data, at, offset_size)
            length, at = _uint(data, at, length_size)
            # Method 0 addresses the file itself; 1 and 2 point inside boxes checked above.
            if method == 0 and base + offset + length > len(data):
                raise MediaRejected("The image is truncated: its HEIF image data is missing")
        if at > end:
            raise IndexError


def _open(data: bytes) -> pillow_heif.HeifFile:
    """Parse the container only; libheif decodes nothing until `.data` is read."""
    check_complete(data)
    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True, remove_stride=True)
    except _DECODE_ERRORS:
        raise MediaRejected("The image is corrupt: its header could not be read") from None
    if len(heif) == 0:
        raise MediaRejected("The image is corrupt: the HEIF file holds no image")
    return heif


def header_size(data: bytes) -> tuple[int, int]:
    """The upright (width, height) of the primary image, from the header alone."""
    width, height = _open(data).size
    return int(width), int(height)


def decode(data: bytes, *, max_pixels: int) -> pyvips.Image:
    """The primary image as an upright 8-bit libvips image, with its ICC profile and nothing
    else; the declared size is checked against `max_pixels` before any pixel is decoded."""
    heif = _open(data)
    width, height = heif.size
    if width * height > max_pixels:
        raise MediaRejected(
            f"The image is too large: {width}x{height} pixels "
            f"(at most {max_pixels} pixels are accepted)"
        )
    bands = _BANDS.get(heif.mode)
    if bands is None:
        raise MediaRejected(f"Unsupported type: HEIF images in {heif.mode} pixels are not accepted")
    try:
        pixels = heif.data
        stride = heif.stride
    except _DECODE_ERRORS:
        raise MediaRejected(CORRUPT) from None
    if heif.size != (width, height) or stride != width * bands:
        raise MediaRejected(CORRUPT)
    image = pyvips.Image.new_from_memory(pixels, width, height, bands, "uchar")
    image = image.copy(interpretation="srgb" if bands >= 3 else "b-w")
    if heif.mode in ("RGBa", "La"):
        image = image.unpremultiply().cast("uchar")
    profile = heif.info.get("icc_profile")
    if profile and heif.info.get("icc_profile_type") in ("prof", "rICC"):
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", bytes(profile))
    return image
