"""ffprobe and libVLC helpers for tests that check real media."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path


def ffprobe_json(path: Path | str, *args: str) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-of", "json", *args, str(path)],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return json.loads(out)


def streams(path: Path | str) -> list[dict]:
    return ffprobe_json(path, "-show_streams")["streams"]


def keyframe_times(playlist: Path) -> list[float]:
    """Presentation times of the video keyframes of a rendition, from its start."""
    frames = ffprobe_json(playlist, "-select_streams", "v", "-skip_frame", "nokey",
                          "-show_entries", "frame=pts_time")["frames"]
    times = [float(f["pts_time"]) for f in frames]
    return [round(t - times[0], 3) for t in times]


def first_frame_is_key(segment: Path) -> bool:
    frames = ffprobe_json(segment, "-select_streams", "v", "-read_intervals", "%+#1",
                          "-show_entries", "frame=key_frame")["frames"]
    return frames[0]["key_frame"] == 1


def extinf_durations(playlist: Path) -> list[float]:
    return [float(line.split(":")[1].rstrip(",")) for line in playlist.read_text().splitlines()
            if line.startswith("#EXTINF:")]


def play_until_pictures(url: str, pictures: int = 10, deadline_s: float = 20.0) -> int:
    """Play `url` in real libVLC (dummy output) until it displayed `pictures`; return the count."""
    import vlc

    instance = vlc.Instance("--vout=dummy", "--aout=dummy", "--no-video-title-show", "--quiet")
    player = instance.media_player_new()
    media = instance.media_new(url)
    player.set_media(media)
    player.play()
    stats = vlc.MediaStats()
    end = time.monotonic() + deadline_s
    try:
        while time.monotonic() < end:
            media.get_stats(stats)
            if stats.displayed_pictures >= pictures or player.get_state() == vlc.State.Error:
                break
            time.sleep(0.05)  # polling libVLC's counters; the loop ends on the count or the deadline
        return stats.displayed_pictures
    finally:
        player.stop()
        player.release()
        instance.release()


def watch_pictures(url: str, until, deadline_s: float, playlist: bool = False) -> list[tuple[float, int, int]]:
    """Play `url` in real libVLC (dummy output) until `until(samples)` is true; return the samples
    of (seconds since start, displayed pictures, lost pictures) taken every tenth of a second.

    With playlist=True the URL is a playlist file (M3U) that libVLC expands and plays
    the first entry of, as VLC does when a user opens it.
    """
    import vlc

    instance = vlc.Instance("--vout=dummy", "--aout=dummy", "--no-video-title-show", "--quiet")
    if playlist:
        list_player = instance.media_list_player_new()
        list_player.set_media_list(instance.media_list_new([url]))
        player = list_player.get_media_player()
        list_player.play()
    else:
        list_player = None
        player = instance.media_player_new()
        player.set_media(instance.media_new(url))
        player.play()
    stats = vlc.MediaStats()
    samples: list[tuple[float, int, int]] = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < deadline_s and not until(samples):
            media = player.get_media()
            if media is not None and media.get_stats(stats):
                samples.append((time.monotonic() - started, stats.displayed_pictures, stats.lost_pictures))
            time.sleep(0.1)  # sampling libVLC's counters; the loop ends on `until` or the deadline
        return samples
    finally:
        (list_player or player).stop()
        player.release()
        instance.release()


def longest_stall(samples: list[tuple[float, int, int]], after_pictures: int = 1) -> float:
    """The longest time (s) with no new picture displayed, once `after_pictures` had been shown."""
    longest, last_change, last_count = 0.0, None, 0
    for moment, displayed, _ in samples:
        if displayed > last_count:
            if last_change is not None and last_count >= after_pictures:
                longest = max(longest, moment - last_change)
            last_change, last_count = moment, displayed
    if last_change is not None and samples:
        longest = max(longest, samples[-1][0] - last_change)
    return longest


def newest_segment(path) -> int | None:
    """The media sequence number of a live playlist file's last segment (None: not there yet)."""
    import re

    try:
        text = path.read_text()
    except OSError:
        return None
    found = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)
    return int(found.group(1)) + text.count("#EXTINF:") - 1 if found else None
