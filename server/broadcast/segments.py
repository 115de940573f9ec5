"""What a channel needs to know of a programme's HLS output: its renditions and segments.

Items are encoded into one uniform ladder (hls_ladder.py), so every
rendition of an item has the same segment boundaries; one list of durations
describes them all. Lists are read from the item's playlists on disk once and
kept, keyed by the master playlist's path and modification time (an item's
folder is only ever replaced whole, see hls_ladder.replace_dir).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

_RESOLUTION = re.compile(r"RESOLUTION=(\d+)x(\d+)")


class MediaMissing(Exception):
    """A programme's playlists are absent or unreadable."""


@dataclass(frozen=True)
class Media:
    """A programme's segments: durations in milliseconds, file names, and rendition folders.

    `base` is the programme's folder relative to MEDIA_ROOT (e.g. "vod/12");
    `renditions` maps a rendition name to (folder, height).
    """

    base: str
    durations_ms: tuple[int, ...]
    names: tuple[str, ...]
    renditions: dict[str, tuple[str, int]] = field(compare=False)
    starts_ms: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.durations_ms or len(self.durations_ms) != len(self.names):
            raise MediaMissing(f"{self.base}: no segments")
        object.__setattr__(self, "starts_ms", (0, *accumulate(self.durations_ms)))

    @property
    def total_ms(self) -> int:
        """The programme's whole length in milliseconds."""
        return self.starts_ms[-1]

    def index_at(self, offset_ms: int) -> int:
        """The segment playing `offset_ms` after the programme's start (clamped to the last)."""
        return min(bisect_right(self.starts_ms, offset_ms) - 1, len(self.durations_ms) - 1)

    def folder_for(self, rendition: str, height: int) -> str:
        """This programme's folder for a channel rendition: the same name, else the nearest height.

        Sources lower than the top rung have no such rung (never upscale);
        HLS allows the resolution to change at a discontinuity.
        """
        if rendition in self.renditions:
            return self.renditions[rendition][0]
        return min(self.renditions.values(), key=lambda folder_height: abs(folder_height[1] - height))[0]


def parse_media_playlist(text: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Segment durations (ms) and URIs of an HLS media playlist."""
    durations: list[int] = []
    names: list[str] = []
    pending: int | None = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXTINF:"):
            pending = round(float(line[8:].split(",", 1)[0]) * 1000)
        elif line and not line.startswith("#") and pending is not None:
            durations.append(pending)
            names.append(line)
            pending = None
    return tuple(durations), tuple(names)


def parse_master_playlist(text: str) -> dict[str, tuple[str, int]]:
    """Rendition name -> (folder, height) from a master playlist written by hls_ladder."""
    renditions: dict[str, tuple[str, int]] = {}
    height = 0
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-STREAM-INF:"):
            match = _RESOLUTION.search(line)
            height = int(match.group(2)) if match else 0
        elif line and not line.startswith("#"):
            folder = line.rsplit("/", 1)[0] if "/" in line else ""
            renditions[folder or line] = (folder, height)
    return renditions


def load_media(media_root: Path, master_path: str) -> Media:
    """Read a programme's master playlist (relative to media_root) and its top rendition's segments."""
    master = media_root / master_path
    try:
        renditions = parse_master_playlist(master.read_text(encoding="utf-8"))
        if not renditions:
            raise MediaMissing(f"{master_path}: no renditions")
        top_folder = max(renditions.values(), key=lambda folder_height: folder_height[1])[0]
        durations, names = parse_media_playlist((master.parent / top_folder / "index.m3u8").read_text("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise MediaMissing(f"{master_path}: {error}") from error
    base = master_path.rsplit("/", 1)[0]
    return Media(base, durations, names, renditions)


class MediaCache:
    """load_media with memory: each master playlist is read again only when it changes."""

    def __init__(self, media_root: Path):
        self.media_root = media_root
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int, Media]] = {}

    def get(self, master_path: str) -> Media:
        """The programme's Media for a master playlist path, read again only if the file's mtime changed."""
        try:
            mtime = (self.media_root / master_path).stat().st_mtime_ns
        except OSError as error:
            raise MediaMissing(f"{master_path}: {error}") from error
        with self._lock:
            cached = self._entries.get(master_path)
        if cached and cached[0] == mtime:
            return cached[1]
        media = load_media(self.media_root, master_path)
        with self._lock:
            self._entries[master_path] = (mtime, media)
        return media
