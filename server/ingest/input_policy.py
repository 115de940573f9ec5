"""How ffmpeg and ffprobe may open a file Keting did not make: as a local file, with a real container.

Left to itself ffmpeg sniffs a file's content and follows what it finds: an
uploaded HLS playlist or concat list makes it read other files on the
server (or reach other hosts) and publish them as the upload. So every call
on an upload or a picture passes these options: only the `file` protocol,
and only demuxers of real audio and video containers and single pictures
(never hls, dash, concat, imf or another list of other files, nor image2,
whose patterns name other files). Keting's own ladder output is opened with
its own narrow list.
"""

from __future__ import annotations

from pathlib import Path

# Demuxer names as ffmpeg's -format_whitelist matches them ("mov" covers mov,mp4,m4a,3gp,3g2,mj2).
MEDIA_FORMATS = ("mov", "matroska", "webm", "mpegts", "mpeg", "avi", "flv", "asf", "mp3", "wav", "aac", "flac",
                 "ogg", "mxf", "dv", "amr", "w64", "yuv4mpegpipe")
# One picture each; listed for uploads too, so a photo sent as a video is told apart (probe.still_image).
PICTURE_FORMATS = ("png_pipe", "jpeg_pipe", "webp_pipe", "gif", "bmp_pipe")
# What our own ladders are: an HLS playlist of MPEG-TS segments beside it.
LADDER_FORMATS = ("hls", "mpegts")


def _options(formats: tuple[str, ...]) -> dict[str, str]:
    return {"protocol_whitelist": "file", "format_whitelist": ",".join(formats)}


def upload_options() -> dict[str, str]:
    """ffmpeg-python input options for an uploaded source."""
    return _options(MEDIA_FORMATS + PICTURE_FORMATS)


def picture_options() -> dict[str, str]:
    """ffmpeg-python input options for an uploaded picture."""
    return _options(PICTURE_FORMATS)


def ladder_options() -> dict[str, str]:
    """ffmpeg-python input options for one of Keting's own ladders (thumbnails taken from it)."""
    return _options(LADDER_FORMATS)


def _flags(options: dict[str, str]) -> list[str]:
    return [part for name, value in options.items() for part in (f"-{name}", value)]


def probe_args(options: dict[str, str], path: Path | str) -> list[str]:
    """ffprobe arguments opening `path` under `options` (the input last, as ffprobe takes it)."""
    return [*_flags(options), str(path)]


def input_args(options: dict[str, str], path: Path | str) -> list[str]:
    """ffmpeg arguments opening `path` under `options` (-i last)."""
    return [*_flags(options), "-i", str(path)]
