"""Byte-level builders for generated media: pixels from libvips, metadata spliced in by hand.

Splicing JPEG segments and PNG chunks ourselves (instead of asking an encoder to keep
metadata) means a file carries exactly the metadata its test is about, whatever the
encoder's defaults, and the same bytes on every machine.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from functools import cache

import pyvips
from PIL import ExifTags, Image

APP1, APP2, APP13, COM = 0xE1, 0xE2, 0xED, 0xFE
XMP_NAMESPACE = b"http://ns.adobe.com/xap/1.0/\x00"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IHDR_END = len(PNG_SIGNATURE) + 25  # the IHDR chunk: length, type, 13 bytes, CRC

# The stored pixels of a photo whose EXIF `orientation` makes them the upright picture
# (each checked against libvips' autorot). 0 is invalid and means "as stored".
STORED_FOR: dict[int, Callable[[pyvips.Image], pyvips.Image]] = {
    0: lambda upright: upright,
    1: lambda upright: upright,
    2: lambda upright: upright.fliphor(),
    3: lambda upright: upright.rot180(),
    4: lambda upright: upright.flipver(),
    5: lambda upright: upright.rot90().fliphor(),
    6: lambda upright: upright.rot270(),
    7: lambda upright: upright.rot270().fliphor(),
    8: lambda upright: upright.rot90(),
}


def scene(width: int, height: int, *, noise: float = 6.0, seed: int = 1) -> pyvips.Image:
    """An upright sRGB picture that no mirror or rotation leaves alike.

    Red grows to the right and green to the top, so each of the 8 EXIF orientations gives
    a different picture and a wrong one shows as a large pixel difference; the top is the
    brighter side, then the right (luminance weighs green most). The noise gives a JPEG
    the size of a real photo's instead of a few kilobytes of gradient.
    """
    xyz = pyvips.Image.xyz(width, height)
    red = xyz[0] * (160 / width) + 60
    green = 220 - xyz[1] * (160 / height)
    picture = red.bandjoin([green, red * 0 + 90])
    if noise:
        picture = picture + pyvips.Image.gaussnoise(width, height, sigma=noise, mean=0, seed=seed)
    return picture.cast("uchar").copy(interpretation="srgb").copy_memory()


def to_pillow(image: pyvips.Image) -> Image.Image:
    mode = {3: "RGB", 4: "RGBA"}[image.bands]
    return Image.frombytes(mode, (image.width, image.height), image.write_to_memory())


# --- EXIF, XMP, IPTC, ICC ------------------------------------------------------------------


def _dms(degrees: float) -> tuple[float, float, float]:
    whole, rest = divmod(abs(degrees) * 3600, 3600)
    minutes, seconds = divmod(rest, 60)
    return float(whole), float(minutes), round(seconds, 2)


def exif(
    *,
    orientation: int | None = None,
    camera: tuple[str, str] | None = None,
    gps: tuple[float, float] | None = None,
    text: str | None = None,
) -> bytes:
    """An EXIF block ("Exif\\0\\0" + TIFF) as a camera writes it: orientation, make and
    model, GPS coordinates in degrees/minutes/seconds, and `text` in every text field."""
    tags = Image.Exif()
    if orientation is not None:
        tags[ExifTags.Base.Orientation] = orientation
    if camera is not None:
        tags[ExifTags.Base.Make], tags[ExifTags.Base.Model] = camera
    if text is not None:
        tags[ExifTags.Base.ImageDescription] = tags[ExifTags.Base.Artist] = text
        tags[ExifTags.Base.Copyright] = text
    if gps is not None:
        latitude, longitude = gps
        location = tags.get_ifd(ExifTags.IFD.GPSInfo)
        location[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
        location[ExifTags.GPS.GPSLatitude] = _dms(latitude)
        location[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
        location[ExifTags.GPS.GPSLongitude] = _dms(longitude)
    return tags.tobytes()


def xmp(description: str, *, city: str = "Paris") -> bytes:
    """An XMP packet with a description, a place and a GPS position, as editors write it."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'xmlns:exif="http://ns.adobe.com/exif/1.0/">'
        f"<photoshop:City>{city}</photoshop:City>"
        "<exif:GPSLatitude>48,51.48N</exif:GPSLatitude>"
        f"<dc:description><rdf:Alt><rdf:li xml:lang='x-default'>{description}</rdf:li>"
        "</rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def iptc(caption: str) -> bytes:
    """A Photoshop image resource block holding IPTC record 2:120 (caption)."""
    text = caption.encode()
    record = b"\x1c\x02\x78" + struct.pack(">H", len(text)) + text
    padding = b"\x00" * (len(record) % 2)
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record + padding
    return b"Photoshop 3.0\x00" + resource


@cache
def icc_profile(name: str = "srgb") -> bytes:
    """One of libvips' built-in ICC profiles, as bytes ("srgb", "cmyk")."""
    converted = (
        pyvips.Image.black(1, 1, bands=3)
        .copy(interpretation="srgb")
        .icc_transform(name, input_profile="srgb")
    )
    profile: bytes = converted.get("icc-profile-data")
    return profile


# --- JPEG --------------------------------------------------------------------------------


def segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def exif_segment(block: bytes) -> bytes:
    return segment(APP1, block)


def xmp_segment(packet: bytes) -> bytes:
    return segment(APP1, XMP_NAMESPACE + packet)


def icc_segment(profile: bytes) -> bytes:
    return segment(APP2, b"ICC_PROFILE\x00\x01\x01" + profile)


def comment_segment(text: str) -> bytes:
    return segment(COM, text.encode())


def jpeg(
    image: pyvips.Image, *segments: bytes, quality: int = 85, progressive: bool = False
) -> bytes:
    """`image` as a JPEG with no metadata but `segments`, placed right after SOI."""
    data: bytes = image.jpegsave_buffer(Q=quality, keep="none", interlace=progressive)
    return data[:2] + b"".join(segments) + data[2:]


def with_jpeg_size(data: bytes, width: int, height: int) -> bytes:
    """The JPEG with its frame header (SOF) declaring another size: a bomb's header."""
    at = 2
    while data[at + 1] not in (0xC0, 0xC1, 0xC2):
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]


# --- PNG ---------------------------------------------------------------------------------


def chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png(image: pyvips.Image, *chunks: bytes, bitdepth: int = 8) -> bytes:
    """`image` as a PNG with no metadata but `chunks`, placed right after IHDR."""
    data: bytes = image.pngsave_buffer(keep="none", bitdepth=bitdepth, compression=6)
    return data[:PNG_IHDR_END] + b"".join(chunks) + data[PNG_IHDR_END:]


def png_header(width: int, height: int, *, bit_depth: int = 1, colour_type: int = 0) -> bytes:
    """A PNG signature and IHDR declaring any size: what a header-only reader sees."""
    fields = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", fields)


# --- GIF ---------------------------------------------------------------------------------


def gif(screen: tuple[int, int], frames: list[bytes]) -> bytes:
    """A GIF89a with a two-colour global palette and the given frame blocks."""
    header = b"GIF89a" + struct.pack("<HHBBB", *screen, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    return header + b"".join(frames) + b"\x3b"


def gif_frame(
    *, left: int = 0, top: int = 0, width: int = 1, height: int = 1, delay_cs: int = 10
) -> bytes:
    """One frame: its delay (graphic control extension), its descriptor, and the LZW data
    of a single pixel; a frame declaring more pixels is cut short, as a bomb is."""
    control = b"\x21\xf9\x04\x00" + struct.pack("<H", delay_cs) + b"\x00\x00"
    descriptor = b"\x2c" + struct.pack("<HHHHB", left, top, width, height, 0)
    return control + descriptor + b"\x02\x02\x44\x01\x00"


def pillow_encode(image: pyvips.Image, format: str, **options: object) -> bytes:
    """Encode with Pillow, which writes EXIF and XMP into WebP and AVIF as given."""
    buffer = io.BytesIO()
    to_pillow(image).save(buffer, format, **options)
    return buffer.getvalue()
