"""Short clips made by ffmpeg from its test sources (a test card, a sine tone).

Small on purpose: each test transcodes its clip twice (1080p and 480p), so a 320x240 clip
of a few seconds keeps the tests quick while exercising the same demuxers and codecs as a
phone's clip.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

LOCATION = "+48.8584+002.2945/"  # ISO 6709, as a phone writes it into ©xyz


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-threads", "1", *args],
        check=True,
        timeout=60,
    )


def _card(seconds: float, size: str = "320x240") -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}"]


def _tone(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]


def mp4(target: Path) -> None:
    """MP4, H.264 + AAC, 320x240, 4 s."""
    _ffmpeg(*_card(4), *_tone(4), "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mp4", str(target))  # fmt: skip


def webm(target: Path) -> None:
    """WebM, VP8 + Vorbis, 320x240, 2 s."""
    _ffmpeg(*_card(2), *_tone(2), "-c:v", "libvpx", "-deadline", "realtime",
            "-cpu-used", "8", "-b:v", "400k", "-c:a", "libvorbis", "-f", "webm",
            str(target))  # fmt: skip


def old_quicktime(target: Path) -> None:
    """QuickTime MOV, Motion-JPEG + PCM, 320x240, 1.5 s, with no ftyp box: its first box
    is `free`, as in files from old cameras, so only the atoms say "QuickTime"."""
    _ffmpeg(*_card(1.5), *_tone(1.5), "-c:v", "mjpeg", "-q:v", "5",
            "-c:a", "pcm_s16le", "-f", "mov", str(target))  # fmt: skip
    data = target.read_bytes()
    assert data[4:8] == b"ftyp"
    # Same size, so every offset in the file still holds.
    target.write_bytes(data[:4] + b"free" + data[8:])


def located_mov(target: Path) -> None:
    """MOV, H.264, 1 s, with a location atom (©xyz), a title and a comment."""
    _ffmpeg(*_card(1), "-metadata", f"location={LOCATION}", "-metadata", "title=secret place",
            "-metadata", "comment=serial 1234", "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", "-f", "mov", str(target))  # fmt: skip


def three_gp(target: Path) -> None:
    """3GP, H.263 + AAC, 176x144, 1 s: a container refused by policy."""
    _ffmpeg(*_card(1, "176x144"), *_tone(1), "-c:v", "h263", "-c:a", "aac", "-ar", "16000",
            "-f", "3gp", str(target))  # fmt: skip


def matroska(target: Path) -> None:
    """Matroska (MKV), MPEG-4 video, 1 s: a container refused by policy."""
    _ffmpeg(*_card(1), "-c:v", "mpeg4", "-f", "matroska", str(target))


def matroska_corrupt_header(target: Path) -> None:
    """The Matroska file with one byte of its EBML header changed (the EBMLVersion
    element's id); its DocType still reads "matroska"."""
    matroska(target)
    data = bytearray(target.read_bytes())
    at = data.index(b"\x42\x86", 4, 40)
    data[at + 1] = 0x87
    target.write_bytes(bytes(data))


def avi_named_mp4(target: Path) -> None:
    """An AVI (Motion-JPEG), named .mp4: the name lies, the bytes say RIFF/AVI."""
    _ffmpeg(*_card(0.5, "64x48"), "-c:v", "mjpeg", "-f", "avi", str(target))


FILES: dict[str, Callable[[Path], None]] = {
    "clip.mp4": mp4,
    "clip.webm": webm,
    "mjpeg.mov": old_quicktime,
    "located.mov": located_mov,
    "clip.3gp": three_gp,
    "clip.mkv": matroska,
    "corrupt-header.mkv": matroska_corrupt_header,
    "avi.mp4": avi_named_mp4,
}
