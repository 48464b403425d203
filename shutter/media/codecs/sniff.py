"""What an upload is, decided from its bytes alone: never from its name or declared type.

Nothing else in the pipeline may open user bytes before `sniff` has named their format:
libvips then gets the one loader of that format, ffmpeg/ffprobe the one demuxer (so a
playlist disguised as a video can never reach the HLS demuxer and fetch URLs or files).
Every refusal is a `MediaRejected` whose message is fit to show the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ACCEPTED_HINT = "upload JPEG, PNG, WebP, HEIC, AVIF, GIF, MP4, MOV or WebM"

Kind = Literal["image", "gif", "video"]


class MediaRejected(Exception):
    """The upload is not media we accept; the message says why, for the client."""


@dataclass(frozen=True)
class Sniffed:
    kind: Kind  # image: libvips; gif: parsed here, then libvips or ffmpeg; video: ffmpeg
    format: str  # jpeg, png, webp, heif (AVIF), heic (HEVC), gif, mp4, mov, webm
    label: str  # for messages: "JPEG", "HEIC", "AVIF", …
    ext: str  # extension of the private original

    @property
    def is_video(self) -> bool:
        return self.kind == "video"


JPEG = Sniffed("image", "jpeg", "JPEG", "jpg")
PNG = Sniffed("image", "png", "PNG", "png")
WEBP = Sniffed("image", "webp", "WebP", "webp")
GIF = Sniffed("gif", "gif", "GIF", "gif")
WEBM = Sniffed("video", "webm", "WebM", "webm")

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso3",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"dash",
    b"mmp4",
    b"MSNV",
    b"XAVC",
}
_M4V_BRANDS = {b"M4V ", b"M4VH", b"M4VP"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def sniff(data: bytes) -> Sniffed:
    """The accepted format of `data` by its magic bytes, or a `MediaRejected` saying why."""
    if not data:
        raise MediaRejected("The file is empty")
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[4:8] == b"ftyp":
        return _iso_bmff(data)
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return _ebml(data)
    if data[4:8] in _QUICKTIME_ATOMS and int.from_bytes(data[:4], "big") >= 8:
        # Old QuickTime files start with a box other than ftyp; the size must be sane.
        return Sniffed("video", "mov", "MOV", "mov")
    other = _recognised_unsupported(data)
    if other:
        raise MediaRejected(f"Unsupported type: {other} files are not accepted; {ACCEPTED_HINT}")
    raise MediaRejected(f"The file is not a supported image or video: {ACCEPTED_HINT}")


def _iso_bmff(data: bytes) -> Sniffed:
    size = int.from_bytes(data[:4], "big")
    if size < 16 or size > 4096:
        raise MediaRejected("The file is corrupt: its ISO-BMFF header is malformed")
    box = data[8:size]
    brands = {box[0:4]} | {box[i : i + 4] for i in range(8, len(box) - 3, 4)}
    major = box[0:4]
    if major in _HEIC_BRANDS or major in _AVIF_BRANDS or major in _HEIF_BRANDS:
        # Image brands first: an iPhone HEIC also lists mif1, an AVIF lists mif1 and miaf.
        if brands & _AVIF_BRANDS:
            return Sniffed("image", "heif", "AVIF", "avif")
        # HEIC is HEVC inside, which the libvips wheel cannot decode (patents):
        # libheif from pillow-heif decodes it (media/codecs/heic.py), never libvips.
        label = "HEIC" if brands & _HEIC_BRANDS else "HEIF"
        return Sniffed("image", "heic", label, label.lower())
    if major.startswith((b"3gp", b"3g2")):
        raise MediaRejected(f"Unsupported type: 3GP files are not accepted; {ACCEPTED_HINT}")
    if major == b"qt  ":
        return Sniffed("video", "mov", "MOV", "mov")
    if major in _M4V_BRANDS:
        return Sniffed("video", "mp4", "M4V", "m4v")
    if major in _MP4_BRANDS or brands & (_MP4_BRANDS | _M4V_BRANDS):
        return Sniffed("video", "mp4", "MP4", "mp4")
    if major.startswith((b"3gp", b"3g2")):
        raise MediaRejected(f"Unsupported type: 3GP files are not accepted; {ACCEPTED_HINT}")
    if major.startswith(b"M4A") or major.startswith(b"M4B"):
        raise MediaRejected(f"Unsupported type: audio files are not accepted; {ACCEPTED_HINT}")
    raise MediaRejected(f"Unsupported type: ISO-BMFF brand {major!r} is not accepted")


def _ebml(data: bytes) -> Sniffed:
    """WebM and Matroska share the EBML header; only its DocType tells them apart."""
    head = data[:64]
    at = head.find(b"\x42\x82")
    if at < 0 or at + 3 > len(head):
        raise MediaRejected("The file is corrupt: its EBML header has no document type")
    length = head[at + 2] & 0x7F if head[at + 2] & 0x80 else 0
    doctype = head[at + 3 : at + 3 + length]
    if doctype == b"webm":
        return WEBM
    if doctype == b"matroska":
        raise MediaRejected(
            f"Unsupported type: Matroska (MKV) files are not accepted; {ACCEPTED_HINT}"
        )
    raise MediaRejected("The file is corrupt: its EBML header is malformed")


def _recognised_unsupported(data: bytes) -> str | None:
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return "AVI"
    if data.startswith(b"BM"):
        return "BMP"
    if data.startswith(b"%PDF"):
        return "PDF"
    if data.startswith(b"\x00\x00\x00\x0cjP  ") or data.startswith(b"\xff\x4f\xff\x51"):
        return "JPEG 2000"
    if data.startswith(b"\xff\x0a") or data[4:12] == b"JXL \r\n\x87\n":
        return "JPEG XL"
    if data.startswith(b"AT&TFORM"):
        return "DjVu"
    return None
