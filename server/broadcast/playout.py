"""The playout planner: turns a channel's schedule into a contiguous run of programmes.

Pure: no database, no files, no clock. Given where the channel stands (a
Cursor), the scheduled programmes ahead (Anchors), the filler candidates and
the slate, it returns Rows: each a programme played from its first segment
for `segment_count` segments, one after another with no hole, so the
channel's timeline is the sum of real segment durations and a player never
drifts from the wall clock.

Rules (docs/architecture.md, "Linear channels"):
- A scheduled programme starts at the end of the segment that is playing at
  its scheduled time, so within one segment (2 s) of it. Whatever plays
  then is cut after that segment: the filler, the slate, or a programme that
  a following (or important) one overlaps.
- A gap is filled with filler items that fit in it whole, in a fixed
  rotation order (board order in channels.yaml, then item id) continuing
  after the last filler played; what remains is filled with the slate.
- The slate is a short clip repeated; every repeat is a discontinuity.

Media sequence numbers count segments and discontinuity sequence numbers
count programme boundaries (and slate repeats), so both only move forward.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from server.broadcast.segments import Media


@dataclass(frozen=True)
class LiveFeed:
    """A live event's relay as the planner sees it (live_relay.py writes it).

    Relay segment k holds what was captured from `epoch_ms + 2 s * k`; the
    channel shows it `delay_ms` later, so a segment is complete on disk before
    any player is told of it. `ready_ms` is the first channel time the current
    run can be shown from, None while the relay is not producing.
    """

    media: Media  # nominal: the run's folder, 2 s segments numbered as the relay numbers them
    epoch_ms: int
    delay_ms: int
    ready_ms: int | None
    end_ms: int

    def segment_at(self, time_ms: int) -> int:
        """The relay segment the channel shows at `time_ms`."""
        return (time_ms - self.delay_ms - self.epoch_ms) // self.media.durations_ms[0]


@dataclass(frozen=True)
class Anchor:
    """A scheduled programme: play `media` (or a live feed) from `start_ms` (Unix ms, UTC)."""

    entry_id: int
    start_ms: int
    item_id: int | None
    title: str
    media: Media | None
    live: LiveFeed | None = None


@dataclass(frozen=True)
class Filler:
    """An item that may fill gaps; `key` orders the rotation."""

    key: tuple[int, int]
    item_id: int
    title: str
    media: Media


@dataclass(frozen=True)
class Cursor:
    """Where the channel's timeline stands: the next segment's start, numbers, and the filler rotation."""

    time_ms: int
    seq: int
    disc: int
    last_filler: tuple[int, int] | None = None


class RowKind(StrEnum):
    """What a timeline row plays (playout.kind)."""

    PROGRAMME = "programme"
    FILLER = "filler"
    SLATE = "slate"
    LIVE = "live"


@dataclass(frozen=True)
class Row:
    """One programme on the channel's timeline.

    Slate rows repeat `media` (the slate clip); the others play it once from
    `first_segment`. `disc` is the discontinuity sequence number of the row's
    first segment; `seq` its media sequence number.
    """

    kind: RowKind
    start_ms: int
    end_ms: int
    seq: int
    disc: int
    segment_count: int
    media: Media
    title: str = ""
    item_id: int | None = None
    entry_id: int | None = None
    first_segment: int = 0
    filler_key: tuple[int, int] | None = None

    @property
    def loops(self) -> bool:
        """Whether the row repeats its media (slate rows do) rather than playing it once."""
        return self.kind is RowKind.SLATE

    def segment(self, index: int) -> int:
        """The media segment played as the row's index-th segment."""
        if self.loops:
            return index % len(self.media.durations_ms)
        return self.first_segment + index

    def wraps_before(self, index: int) -> int:
        """How many slate repeats started within the row before its index-th segment (each is a discontinuity)."""
        return index // len(self.media.durations_ms) if self.loops else 0

    def cursor_after(self, last_filler: tuple[int, int] | None) -> Cursor:
        """Where the timeline stands once this row has played."""
        return Cursor(self.end_ms, self.seq + self.segment_count,
                      self.disc + self.wraps_before(self.segment_count - 1) + 1, last_filler)

    def offset_ms(self, index: int) -> int:
        """Start of the row's index-th segment, in ms from the row's start."""
        starts = self.media.starts_ms
        if self.loops:
            laps, rest = divmod(index, len(self.media.durations_ms))
            return laps * self.media.total_ms + starts[rest]
        return starts[self.first_segment + index] - starts[self.first_segment]

    def index_at(self, time_ms: int) -> int:
        """The row's segment playing at `time_ms` (clamped to the row), found by bisection."""
        offset = max(0, time_ms - self.start_ms)
        if self.loops:
            laps, rest = divmod(offset, self.media.total_ms)
            index = laps * len(self.media.durations_ms) + self.media.index_at(rest)
        else:
            index = self.media.index_at(offset + self.media.starts_ms[self.first_segment]) - self.first_segment
        return max(0, min(index, self.segment_count - 1))


def segments_until(media: Media, first_segment: int, start_ms: int, limit_ms: int | None,
                   loop: bool = False) -> tuple[int, int]:
    """How many segments play from `first_segment` at `start_ms` up to the one playing at `limit_ms`.

    Returns (count, end_ms). Without a limit, or when the media ends first,
    the media plays to its end (a looping one needs a limit).
    """
    durations = media.durations_ms
    count, now, index = 0, start_ms, first_segment
    while True:
        if not loop and index >= len(durations):
            return count, now
        if count and limit_ms is not None and now >= limit_ms:
            return count, now
        if loop and limit_ms is None:
            raise ValueError("a looping row needs a limit")
        now += durations[index % len(durations) if loop else index]
        count += 1
        index += 1


def truncate(row: Row, limit_ms: int) -> Row:
    """The row cut after the segment playing at `limit_ms` (unchanged when it ends before)."""
    if limit_ms >= row.end_ms:
        return row
    count, end = segments_until(row.media, row.first_segment, row.start_ms, limit_ms, loop=row.loops)
    return replace(row, segment_count=count, end_ms=end)


def _next_filler(filler: Sequence[Filler], last: tuple[int, int] | None, room_ms: int | None) -> Filler | None:
    """The first candidate after `last` in rotation order that fits in `room_ms` (None: any)."""
    if not filler:
        return None
    start = 0
    if last is not None:
        start = next((i for i, candidate in enumerate(filler) if candidate.key > last), 0)
    for offset in range(len(filler)):
        candidate = filler[(start + offset) % len(filler)]
        if room_ms is None or candidate.media.total_ms <= room_ms:
            return candidate
    return None


GapSlate = Callable[[int, int, "Anchor | None"], "Media | None"]


def plan(cursor: Cursor, anchors: Sequence[Anchor], filler: Sequence[Filler], slate: Media,
         until_ms: int, slate_title: str = "", gap_slate: GapSlate | None = None,
         slate_chunk_ms: int | None = None) -> tuple[list[Row], Cursor]:
    """Rows from `cursor` until the timeline reaches `until_ms`.

    `anchors` are sorted by start and none was played yet; one whose start
    already passed is played at once (it was crossed by the last segment).
    `filler` is sorted by key. `gap_slate(start_ms, segments, next_anchor)` may
    offer a clip made for one gap (exactly that many segments, e.g. with a
    running clock) to play once instead of looping the slate; with
    `slate_chunk_ms` a long gap is cut into rows of that length, so each can
    have such a clip. Returns the rows and the cursor after them.
    """
    rows: list[Row] = []
    pending = list(anchors)
    position = 0
    while cursor.time_ms < until_ms:
        due = pending[position] if position < len(pending) else None
        following = pending[position + 1].start_ms if position + 1 < len(pending) else None
        if due is not None and due.start_ms <= cursor.time_ms and due.live is not None:
            row, done = _live_row(cursor, due, following, slate)
            position += 1 if done else 0
            if row is None:
                continue
        elif due is not None and due.start_ms <= cursor.time_ms:
            count, end = segments_until(due.media, 0, cursor.time_ms, following)
            row = Row(RowKind.PROGRAMME, cursor.time_ms, end, cursor.seq, cursor.disc, count, due.media,
                      due.title, due.item_id, due.entry_id)
            position += 1
        else:
            gap_end = due.start_ms if due is not None else None
            room = None if gap_end is None else gap_end - cursor.time_ms
            pick = _next_filler(filler, cursor.last_filler, room)
            if pick is not None:
                row = Row(RowKind.FILLER, cursor.time_ms, cursor.time_ms + pick.media.total_ms, cursor.seq, cursor.disc,
                          len(pick.media.durations_ms), pick.media, pick.title, pick.item_id,
                          filler_key=pick.key)
            else:
                limit = gap_end if gap_end is not None else until_ms
                if slate_chunk_ms is not None:
                    limit = min(limit, cursor.time_ms + slate_chunk_ms)
                count, end = segments_until(slate, 0, cursor.time_ms, limit, loop=True)
                media = gap_slate(cursor.time_ms, count, due) if gap_slate is not None else None
                if media is None or len(media.durations_ms) != count or media.total_ms != end - cursor.time_ms:
                    media = slate
                row = Row(RowKind.SLATE, cursor.time_ms, end, cursor.seq, cursor.disc, count, media, slate_title)
        rows.append(row)
        cursor = row.cursor_after(row.filler_key or cursor.last_filler)
    return rows, cursor


def _live_row(cursor: Cursor, due: Anchor, following: int | None, slate: Media) -> tuple[Row | None, bool]:
    """The next row of a live event: the relay once it can be shown, the slate (titled with the
    event) before that or while the relay is down. Returns (row, whether the event is done)."""
    feed = due.live
    limit = feed.end_ms if following is None else min(following, feed.end_ms)
    if cursor.time_ms >= limit:
        return None, True
    if feed.ready_ms is None or feed.ready_ms > cursor.time_ms:
        until = limit if feed.ready_ms is None else min(limit, feed.ready_ms)
        count, end = segments_until(slate, 0, cursor.time_ms, until, loop=True)
        row = Row(RowKind.SLATE, cursor.time_ms, end, cursor.seq, cursor.disc, count, slate, due.title,
                  entry_id=due.entry_id)
        return row, feed.ready_ms is None or feed.ready_ms >= limit
    first = feed.segment_at(cursor.time_ms)
    count, end = segments_until(feed.media, first, cursor.time_ms, limit)
    return Row(RowKind.LIVE, cursor.time_ms, end, cursor.seq, cursor.disc, count, feed.media, due.title,
               entry_id=due.entry_id, first_segment=first), True
