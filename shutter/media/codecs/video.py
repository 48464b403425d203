"""Video processing with ffmpeg: H.264/AAC MP4 at ≤ 1080p and 480p, a poster, no metadata.

ffmpeg and ffprobe only ever see a file whose format `sniff` decided from its bytes, and
they are told that format (`-f`), so no other demuxer (HLS, concat, image2…) can be
chosen by content; `-protocol_whitelist file` forbids network and nested protocols even
if one were. Each run is bounded: wall-clock timeout, address-space limit, thread count,
output-file size; workers also bound how many run at once (media_processing_concurrency).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from shutter.media.codecs.sniff import MediaRejected

# The one demuxer each accepted container may be read with.
DEMUXERS = {"mp4": "mov", "mov": "mov", "webm": "matroska", "gif": "gif"}
MAIN_BOX = (1920, 1080)  # long side, short side: "1080p" in either orientation
SMALL_BOX = (854, 480)
MAX_OUTPUT_FPS = 60
PROBE_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Limits:
    max_seconds: float
    max_pixels: int
    max_frame_rate: float
    timeout_seconds: float
    memory_bytes: int
    threads: int


@dataclass(frozen=True)
class VideoInfo:
    width: int  # as displayed (rotation applied)
    height: int
    duration: float
    frame_rate: str  # "30/1", as Mastodon reports it
    bitrate: int
    has_audio: bool

    @property
    def fps(self) -> float:
        return float(Fraction(self.frame_rate)) if self.frame_rate != "0/0" else 0.0


@dataclass(frozen=True)
class Transcoded:
    main: bytes
    main_info: VideoInfo
    small: bytes
    small_info: VideoInfo
    poster: bytes  # PNG; the image pipeline turns it into the preview variants


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (make install brings it)")
    return path


def _bounded(memory_bytes: int, file_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _run(args: list[str], *, limits: Limits, timeout: float, cwd: Path) -> bytes:
    """Run ffmpeg/ffprobe bounded; a refusal for the client if it fails or overruns."""
    # Few malloc arenas: glibc reserves 64 MB of address space per thread arena otherwise,
    # which an RLIMIT_AS sized for the real need would refuse.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MALLOC_ARENA_MAX": "2"}
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            timeout=timeout,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            preexec_fn=_bounded(limits.memory_bytes, 2 * 1024**3),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaRejected(f"Processing the video took longer than {timeout:g} s") from None
    if done.returncode != 0:
        raise MediaRejected("The video is corrupt or could not be decoded")
    return done.stdout


def probe(path: Path, fmt: str, *, limits: Limits) -> VideoInfo:
    """Streams and duration of a sniffed file; refuses what is not a video we take."""
    args = [
        tool("ffprobe"),
        "-v",
        "error",
        "-protocol_whitelist",
        "file",
        "-f",
        DEMUXERS[fmt],
        "-show_format",
        "-show_streams",
        "-of",
        "json",
        f"file:{path.name}",
    ]
    raw = _run(args, limits=limits, timeout=PROBE_TIMEOUT_SECONDS, cwd=path.parent)
    try:
        report: dict[str, Any] = json.loads(raw)
    except ValueError:
        raise MediaRejected("The video is corrupt or could not be decoded") from None
    return _info(report, limits)


def _info(report: dict[str, Any], limits: Limits) -> VideoInfo:
    streams = report.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None or not video.get("width") or not video.get("height"):
        raise MediaRejected("The file has no video stream")
    width, height = int(video["width"]), int(video["height"])
    if _rotation(video) % 180 == 90:
        width, height = height, width
    if width * height > limits.max_pixels:
        raise MediaRejected(
            f"The video is too large: {width}x{height} pixels "
            f"(at most {limits.max_pixels} pixels are accepted)"
        )
    fmt = report.get("format") or {}
    duration = _number(fmt.get("duration")) or _number(video.get("duration"))
    if not duration or duration <= 0:
        raise MediaRejected("The video is corrupt: it has no duration")
    if duration > limits.max_seconds:
        raise MediaRejected(
            f"The video is too long: {duration:.1f} s (at most {limits.max_seconds:g} s)"
        )
    frame_rate = str(video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/0")
    if frame_rate == "0/0":
        frame_rate = str(video.get("r_frame_rate") or "0/0")
    info = VideoInfo(
        width=width,
        height=height,
        duration=round(duration, 3),
        frame_rate=frame_rate,
        bitrate=int(_number(fmt.get("bit_rate")) or 0),
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
    )
    if info.fps > limits.max_frame_rate:
        raise MediaRejected(
            f"The video's frame rate is too high: {info.fps:.0f} fps "
            f"(at most {limits.max_frame_rate:g})"
        )
    return info


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return int(_number(side["rotation"]) or 0)
    return int(_number((stream.get("tags") or {}).get("rotate")) or 0)


def fit_even(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """Fit (width, height) inside box (long, short) without upscaling; even, as yuv420p needs."""
    max_w, max_h = box if width >= height else (box[1], box[0])
    scale = min(1.0, max_w / width, max_h / height)
    even_w = max(2, int(width * scale) // 2 * 2)
    even_h = max(2, int(height * scale) // 2 * 2)
    return even_w, even_h


def _encode_options(crf: int, audio: bool, threads: int) -> list[str]:
    options = [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        str(crf),
        "-pix_fmt",
        "yuv420p",
        "-profile:v",
        "high",
        "-fpsmax",
        str(MAX_OUTPUT_FPS),
        "-threads",
        str(threads),
    ]
    options += ["-c:a", "aac", "-b:a", "128k", "-ac", "2"] if audio else ["-an"]
    # No global, stream or chapter metadata (location atoms such as ©xyz live in the
    # global udta), no encoder strings, and the index first so playback starts at once.
    options += [
        "-map_metadata",
        "-1",
        "-map_metadata:s",
        "-1",
        "-map_chapters",
        "-1",
        "-sn",
        "-dn",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-flags:a",
        "+bitexact",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
    ]
    return options


def transcode(source: Path, fmt: str, *, limits: Limits, silent: bool = False) -> Transcoded:
    """Make the ≤1080p and 480p MP4s and a poster of a probed, sniffed video in its folder."""
    info = probe(source, fmt, limits=limits)
    audio = info.has_audio and not silent
    main_w, main_h = fit_even(info.width, info.height, MAIN_BOX)
    small_w, small_h = fit_even(info.width, info.height, SMALL_BOX)
    graph = (
        f"[0:v:0]split=2[a][b];[a]scale={main_w}:{main_h}:flags=lanczos,setsar=1[main];"
        f"[b]scale={small_w}:{small_h}:flags=bicubic,setsar=1[small]"
    )
    args = [
        tool("ffmpeg"),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-protocol_whitelist",
        "file",
        "-threads",
        str(limits.threads),
        "-f",
        DEMUXERS[fmt],
        "-i",
        f"file:{source.name}",
        "-filter_complex",
        graph,
        "-filter_complex_threads",
        "1",
        "-map",
        "[main]",
        *(["-map", "0:a:0"] if audio else []),
        *_encode_options(23, audio, limits.threads),
        "file:main.mp4",
        "-map",
        "[small]",
        *(["-map", "0:a:0"] if audio else []),
        *_encode_options(27, audio, limits.threads),
        "file:small.mp4",
    ]
    folder = source.parent
    _run(args, limits=limits, timeout=limits.timeout_seconds, cwd=folder)
    main_path, small_path = folder / "main.mp4", folder / "small.mp4"
    main_info = probe(main_path, "mp4", limits=_output_limits(limits))
    small_info = probe(small_path, "mp4", limits=_output_limits(limits))
    poster = _poster(main_path, main_info, limits)
    return Transcoded(
        main_path.read_bytes(), main_info, small_path.read_bytes(), small_info, poster
    )


def _output_limits(limits: Limits) -> Limits:
    # Our own output: its duration may round a frame above the input's.
    return Limits(
        max_seconds=limits.max_seconds + 1,
        max_pixels=limits.max_pixels,
        max_frame_rate=1000,
        timeout_seconds=limits.timeout_seconds,
        memory_bytes=limits.memory_bytes,
        threads=limits.threads,
    )


def _poster(main: Path, info: VideoInfo, limits: Limits) -> bytes:
    """A frame a little into the video (first frames are often black), as PNG."""
    at = min(1.0, info.duration / 3)
    args = [
        tool("ffmpeg"),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-protocol_whitelist",
        "file,pipe",
        "-threads",
        str(limits.threads),
        "-ss",
        f"{at:.3f}",
        "-f",
        "mov",
        "-i",
        f"file:{main.name}",
        "-frames:v",
        "1",
        "-map_metadata",
        "-1",
        "-f",
        "image2pipe",
        "-c:v",
        "png",
        "pipe:1",
    ]
    poster = _run(args, limits=limits, timeout=PROBE_TIMEOUT_SECONDS * 2, cwd=main.parent)
    if not poster:
        raise MediaRejected("The video is corrupt: no frame could be extracted")
    return poster
