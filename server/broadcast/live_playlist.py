"""A channel's live HLS playlists, computed from its playout rows and the time.

Pure: the rows around `now` go in, playlist text comes out. The media
playlist is a sliding window of the last WINDOW_SEGMENTS segments that have
started by `now`; EXT-X-MEDIA-SEQUENCE and EXT-X-DISCONTINUITY-SEQUENCE come
from the rows (playout.py), so the text is the same in every process and
after a restart, and only ever moves forward.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from server.broadcast.playout import Row
from server.core.channels_yaml import Ladder, Rendition

WINDOW_SEGMENTS = 6


@dataclass(frozen=True)
class PlacedSegment:
    """One segment on the channel's timeline."""

    row: Row
    index: int  # within the row
    start_ms: int
    duration_ms: int
    seq: int
    disc: int


def _placed(row: Row, first: int, last: int) -> list[PlacedSegment]:
    """The row's segments first..last (inclusive) on the timeline."""
    return [PlacedSegment(row, index, row.start_ms + row.offset_ms(index),
                          row.media.durations_ms[row.segment(index)], row.seq + index,
                          row.disc + row.wraps_before(index))
            for index in range(max(0, first), last + 1)]


def window(rows_latest_first: Sequence[Row], now_ms: int, size: int = WINDOW_SEGMENTS) -> list[PlacedSegment]:
    """The last `size` segments started by `now_ms`, oldest first.

    `rows_latest_first` are the channel's rows starting at or before now,
    newest first; `size` rows are always enough since every row has at least
    one segment. Each row is entered by bisection, so the cost does not
    grow with the length of a programme or of the schedule.
    """
    placed: list[PlacedSegment] = []
    for row in rows_latest_first:
        last = row.index_at(now_ms) if now_ms < row.end_ms else row.segment_count - 1
        placed[:0] = _placed(row, last - (size - len(placed)) + 1, last)
        if len(placed) >= size:
            break
    return placed[-size:]


def next_change_ms(rows_latest_first: Sequence[Row], now_ms: int) -> int | None:
    """When the window next moves: the start of the segment after the one playing at now_ms."""
    if not rows_latest_first:
        return None
    row = rows_latest_first[0]
    if now_ms >= row.end_ms:
        return None
    index = row.index_at(now_ms)
    return row.end_ms if index + 1 >= row.segment_count else row.start_ms + row.offset_ms(index + 1)


def _program_date_time(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def media_playlist(segments: Sequence[PlacedSegment], rendition: Rendition, ladder: Ladder, media_url: str,
                   sign: Callable[[str], str] = lambda path: path) -> str:
    """The text of one rendition's live media playlist for a window of segments.

    EXT-X-PROGRAM-DATE-TIME is on the window's first segment and on every
    programme's first segment, so a player (and the set-top box's banner)
    knows the wall time of what it shows. `sign` turns a media path into the
    one a player may fetch (items' segments are signed: media_signing.py).
    """
    if not segments:
        raise ValueError("an empty window")
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{ladder.segment_seconds}",
             f"#EXT-X-MEDIA-SEQUENCE:{segments[0].seq}",
             f"#EXT-X-DISCONTINUITY-SEQUENCE:{segments[0].disc}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    previous: PlacedSegment | None = None
    for segment in segments:
        media = segment.row.media
        starts_programme = previous is None or segment.disc != previous.disc
        if previous is not None and segment.disc != previous.disc:
            lines.append("#EXT-X-DISCONTINUITY")
        if starts_programme:
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_program_date_time(segment.start_ms)}")
        folder = media.folder_for(rendition.name, rendition.height)
        lines.append(f"#EXTINF:{segment.duration_ms / 1000:.3f},")
        lines.append(media_url + sign(f"{media.base}/{folder}/{media.names[segment.row.segment(segment.index)]}"))
        previous = segment
    return "\n".join(lines) + "\n"


def master_playlist(ladder: Ladder) -> str:
    """The channel's master playlist: one variant per ladder rendition, each `<name>.m3u8` beside it.

    It depends only on the ladder, not on the time.
    """
    audio = ladder.audio_bitrate
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rendition in ladder.renditions:
        width = round(rendition.height * 16 / 9 / 2) * 2
        bandwidth = int((rendition.video_bitrate * 1.07 + audio) * 1.1)
        lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{rendition.height},"
                     f"FRAME-RATE={ladder.fps:.3f}")
        lines.append(f"{rendition.name}.m3u8")
    return "\n".join(lines) + "\n"
