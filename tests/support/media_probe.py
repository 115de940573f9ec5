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
