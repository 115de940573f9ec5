"""Playlist-only stand-ins for encoded programmes, for tests of timelines and guides.

The timeline logic reads only a programme's playlists (segments.py), so
these tests need no encoding; the tests that play channels use real ffmpeg
output (tests/server/test_channel_playback.py).
"""

from __future__ import annotations

from pathlib import Path

from server.broadcast.channel_art import slate_path
from server.core.channels_yaml import Lineup

RENDITIONS = (("720p", 1280, 720), ("480p", 854, 480), ("360p", 640, 360))


def write_vod(media_root: Path, base: str, seconds: float, renditions=RENDITIONS) -> str:
    """Write master and media playlists for a programme of `seconds` in 2 s segments; return the master path."""
    folder = media_root / base
    durations = [2.0] * int(seconds // 2) + ([round(seconds % 2, 3)] if seconds % 2 else [])
    master = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for name, width, height in renditions:
        (folder / name).mkdir(parents=True, exist_ok=True)
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:VOD"]
        for index, duration in enumerate(durations):
            lines += [f"#EXTINF:{duration:.6f},", f"seg_{index:05d}.ts"]
        (folder / name / "index.m3u8").write_text("\n".join(lines + ["#EXT-X-ENDLIST", ""]))
        master += [f"#EXT-X-STREAM-INF:BANDWIDTH=1000000,RESOLUTION={width}x{height}", f"{name}/index.m3u8"]
    (folder / "master.m3u8").write_text("\n".join(master) + "\n")
    return f"{base}/master.m3u8"


def write_slates(media_root: Path, lineup: Lineup, seconds: int = 10) -> None:
    for channel in lineup.channels:
        write_vod(media_root, slate_path(channel.number).rsplit("/", 1)[0], seconds)


def add_video(db, lineup: Lineup, media_root: Path, *, board_id: str, title: str, seconds: float,
              state: str = "published", **fields) -> int:
    """A ready video item with fake playlists, through the real create_item."""
    from server.catalogue.items import create_item

    item_id = create_item(db, lineup, kind="video", board_id=board_id, title=title, state="draft",
                          duration_s=seconds, **fields)
    path = write_vod(media_root, f"vod/{item_id}", seconds)
    db.execute("UPDATE items SET hls_path = ?, state = ? WHERE id = ?", [path, state, item_id])
    return item_id


def prepare_channels(app, fillers=(("dangke", "党课片段", 50), ("jiaoyu", "教育片", 70))) -> dict[str, int]:
    """Slates for every channel and some published filler items; returns title -> item id."""
    from server.web.context import current_lineup, get_db

    media_root = Path(app.config["MEDIA_ROOT"])
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        write_slates(media_root, lineup)
        return {title: add_video(db, lineup, media_root, board_id=board, title=title, seconds=seconds)
                for board, title, seconds in fillers}
