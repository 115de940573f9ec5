"""Each channel's timeline in the database: built from the schedule, read by playlists and the guide.

The playout table is the schedule expanded (playout.py) into the programmes
that will actually play, filler and slate included, some hours ahead. It is
written in one transaction and never changed for what already started, so
every server process and every restart computes the same playlist for the
same time: the playlist is a pure function of this table and the clock, and
finding the rows for a time is one index lookup (O(log n)).

A rebuild keeps the past and the programme on air (cut short only for a
programme whose time has come, e.g. an important one) and plans the rest
again. It runs when the schedule, the catalogue or channels.yaml changed,
and to keep the timeline `horizon` ahead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from server.broadcast.live_feed import feed_for, nominal_media
from server.broadcast.live_playlist import WINDOW_SEGMENTS
from server.broadcast.playout import Anchor, Cursor, Filler, GapSlate, Row, RowKind, plan, truncate
from server.broadcast.segments import Media, MediaMissing
from server.catalogue.visibility import lineup_fingerprint
from server.core.channels_yaml import Channel, Ladder, Lineup
from server.core.db import write_transaction
from server.core.timestamps import format_utc, from_ms, stored_ms, to_ms

log = logging.getLogger(__name__)
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Listing:
    """A row as the guide shows it: no segments, just what and when."""

    channel: int
    kind: str
    start_ms: int
    end_ms: int
    title: str
    item_id: int | None
    entry_id: int | None


MediaLookup = Callable[[str], Media]


def _row(record, media_of: MediaLookup, ladder: Ladder) -> Row:
    filler_key = None if record["filler_board"] is None else (record["filler_board"], record["filler_item"])
    if record["kind"] == "live":  # the relay's folder; its segments are numbered, not listed
        media = nominal_media(record["media_path"].rsplit("/", 1)[0],
                              record["first_segment"] + record["segment_count"], ladder)
    else:
        media = media_of(record["media_path"])
    return Row(RowKind(record["kind"]), record["start_ms"], record["end_ms"], record["seq"], record["disc"],
               record["segment_count"], media, record["title"], record["item_id"],
               record["entry_id"], record["first_segment"], filler_key)


def rows_at(db: Database, channel: int, now_ms: int, media_of: MediaLookup, ladder: Ladder,
            count: int = WINDOW_SEGMENTS) -> list[Row]:
    """The channel's rows that started by now_ms, newest first (enough for a playlist window)."""
    records = db.execute("""SELECT * FROM playout WHERE channel = ? AND start_ms <= ?
                            ORDER BY start_ms DESC LIMIT ?""", [channel, now_ms, count]).fetchall()
    rows = []
    for record in records:
        try:
            rows.append(_row(record, media_of, ladder))
        except MediaMissing:
            if not rows:
                raise
            break  # an earlier programme was deleted since: the window starts after it
    return rows


def listings(db: Database, channel: int, start_ms: int, end_ms: int) -> list[Listing]:
    """What plays on a channel between two times, in order (the guide's view)."""
    records = db.execute("""SELECT channel, kind, start_ms, end_ms, title, item_id, entry_id FROM playout
                            WHERE channel = ? AND start_ms < ? AND end_ms > ? ORDER BY start_ms""",
                         [channel, end_ms, start_ms])
    return [Listing(*record) for record in records]


def _media_path(row: Row) -> str:
    return f"{row.media.base}/master.m3u8"


_INSERT = """INSERT OR REPLACE INTO playout (channel, start_ms, end_ms, seq, disc, kind, media_path,
             first_segment, segment_count, title, item_id, entry_id, filler_board, filler_item)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def _values(channel: int, row: Row) -> list:
    board, item = row.filler_key if row.filler_key else (None, None)
    return [channel, row.start_ms, row.end_ms, row.seq, row.disc, row.kind, _media_path(row),
            row.first_segment, row.segment_count, row.title, row.item_id, row.entry_id, board, item]


def _save(db: Database, channel: int, row: Row) -> None:
    db.execute(_INSERT, _values(channel, row))


def filler_candidates(db: Database, channel: Channel, now: datetime, media_of: MediaLookup) -> list[Filler]:
    """Published videos for everyone on the channel's filler boards, in rotation order.

    Items meant for some organisations only never fill a channel that every
    box receives.
    """
    if not channel.filler:
        return []
    position = {board: index for index, board in enumerate(channel.filler)}
    rows = db.execute(f"""
        SELECT id, board_id, title, hls_path FROM items
        WHERE kind = 'video' AND state = 'published' AND hls_path IS NOT NULL
          AND board_id IN ({", ".join("?" * len(channel.filler))})
          AND (publish_at IS NULL OR publish_at <= ?) AND (expire_at IS NULL OR expire_at > ?)
          AND NOT EXISTS (SELECT 1 FROM item_targets WHERE item_targets.item_id = items.id)""",
                      [*channel.filler, format_utc(now), format_utc(now)])
    candidates = []
    for row in rows:
        try:
            media = media_of(row["hls_path"])
        except MediaMissing as error:
            log.warning("channel %s: filler item %s skipped: %s", channel.number, row["id"], error)
            continue
        candidates.append(Filler((position[row["board_id"]], row["id"]), row["id"], row["title"], media))
    return sorted(candidates, key=lambda filler: filler.key)


def _anchor(db: Database, row, media_of: MediaLookup, ladder: Ladder, start_ms: int | None = None) -> Anchor | None:
    """A schedule entry row as the planner's anchor; None when its programme's files are missing."""
    if start_ms is None:
        start_ms = stored_ms(row["start_at"])
    if row["live_url"] is not None:
        return Anchor(row["id"], start_ms, None, row["title"], None, feed_for(db, row, ladder))
    try:
        media = media_of(row["hls_path"])
    except MediaMissing as error:
        log.warning("channel %s: scheduled entry %s skipped: %s", row["channel"], row["id"], error)
        return None
    return Anchor(row["id"], start_ms, row["item_id"], row["title"], media)


def _anchors(db: Database, channel: int, after_ms: int, until_ms: int, skip_entry: int | None,
             media_of: MediaLookup, ladder: Ladder) -> list[Anchor]:
    rows = db.execute("""
        SELECT e.*, i.hls_path FROM schedule_entries e LEFT JOIN items i ON i.id = e.item_id
        WHERE e.channel = ? AND e.state = 'scheduled' AND e.start_at > ? AND e.start_at < ? AND e.id IS NOT ?
        ORDER BY e.start_at""", [channel, format_utc(from_ms(after_ms)), format_utc(from_ms(until_ms)), skip_entry])
    return [anchor for row in rows if (anchor := _anchor(db, row, media_of, ladder)) is not None]


def _live_entry(db: Database, entry_id: int | None):
    if entry_id is None:
        return None
    return db.execute("""SELECT e.*, NULL AS hls_path FROM schedule_entries e
                         WHERE id = ? AND live_url IS NOT NULL AND state = 'scheduled'""", [entry_id]).fetchone()


def _follow_live_event(db: Database, current: Row, now_ms: int, ladder: Ladder,
                       media_of: MediaLookup) -> tuple[Row, list[Anchor]]:
    """A live event on air: cut its row soon when the relay's state no longer matches it
    (relay down under a live row, relay up under the slate), and continue the event after it.

    Cutting after the segment playing two seconds from now never touches what a
    player was told; the relay's delay covers those seconds (live_feed.py).
    """
    entry = _live_entry(db, current.entry_id)
    if entry is None:
        return current, []
    feed = feed_for(db, entry, ladder)
    soon = now_ms + ladder.segment_seconds * 1000
    if current.kind == "live" and (feed.ready_ms is None or current.media.base != feed.media.base):
        current = truncate(current, soon)  # the run shown has ended: the slate, or the next run
    elif current.kind == "slate" and feed.ready_ms is not None and feed.ready_ms < current.end_ms:
        current = truncate(current, max(soon, feed.ready_ms))  # the relay came (back): show it from then
    if current.end_ms >= feed.end_ms:
        return current, []
    return current, [_anchor(db, entry, media_of, ladder, start_ms=current.end_ms)]


def _on_air(db: Database, channel: int, now_ms: int, media_of: MediaLookup,
            ladder: Ladder) -> tuple[Row | None, Cursor | None]:
    """The latest row started by now, or, when its programme's files are gone (an item deleted
    while on air), None and the numbers after it: the broken row is dropped and the
    channel starts again at once with numbers that still only go forward."""
    record = db.execute("SELECT * FROM playout WHERE channel = ? AND start_ms <= ? ORDER BY start_ms DESC LIMIT 1",
                        [channel, now_ms]).fetchone()
    if record is None:
        return None, None
    try:
        return _row(record, media_of, ladder), None
    except MediaMissing as error:
        log.warning("channel %s: the programme on air is gone (%s); starting again now", channel, error)
        db.execute("DELETE FROM playout WHERE channel = ? AND start_ms = ?", [channel, record["start_ms"]])
        return None, Cursor(record["start_ms"], record["seq"] + record["segment_count"], record["disc"] + 1)


def build_inputs(db: Database, lineup: Lineup, slate_path: str) -> str:
    """A fingerprint of everything a timeline depends on besides the clock."""
    schedule = db.execute("SELECT version FROM schedule_version").fetchone()[0]
    catalogue = db.execute("SELECT version FROM catalogue_version").fetchone()[0]
    return f"{schedule}:{catalogue}:{lineup_fingerprint(lineup)}:{slate_path}"


def rebuild(db: Database, lineup: Lineup, channel: Channel, now: datetime, horizon_ms: int,
            media_of: MediaLookup, slate_path: str, slate_title: str, gap_slate: GapSlate | None = None,
            slate_chunk_ms: int | None = None) -> int:
    """Plan the channel again from the programme on air to now + horizon; return the rows written.

    `gap_slate` gives a clip made for one gap piece of at most `slate_chunk_ms`
    (playout.plan), where one was drawn.
    """
    now_ms = to_ms(now)
    segment_ms = lineup.ladder.segment_seconds * 1000
    slate = media_of(slate_path)
    with write_transaction(db):
        inputs = build_inputs(db, lineup, slate_path)
        ladder = lineup.ladder
        current, numbers_after = _on_air(db, channel.number, now_ms, media_of, ladder)
        db.execute("DELETE FROM playout WHERE channel = ? AND start_ms > ?", [channel.number, now_ms])
        until_ms = now_ms + horizon_ms
        if current is not None and current.end_ms > now_ms:
            anchors = _anchors(db, channel.number, current.start_ms, until_ms + DAY_MS, current.entry_id, media_of,
                               ladder)
            if anchors and anchors[0].start_ms < current.end_ms:
                current = truncate(current, anchors[0].start_ms)
            current, continuation = _follow_live_event(db, current, now_ms, ladder, media_of)
            if anchors and anchors[0].start_ms <= current.end_ms:
                continuation = []  # another programme's time has come: the event is cut there
            anchors = continuation + anchors
            _save(db, channel.number, current)
            last = db.execute("""SELECT filler_board, filler_item FROM playout WHERE channel = ? AND start_ms <= ?
                                 AND kind = 'filler' ORDER BY start_ms DESC LIMIT 1""",
                              [channel.number, current.start_ms]).fetchone()
            cursor = current.cursor_after(tuple(last) if last else None)
        else:
            # Nothing on air (first build, or the server was off past the horizon):
            # start now, on the segment grid, with numbers that still only go forward.
            start = now_ms - now_ms % segment_ms
            seq, disc = start // segment_ms, 0
            if current is not None:
                numbers_after = current.cursor_after(None)
            if numbers_after is not None:
                start = max(start, numbers_after.time_ms if current is None else start)
                seq, disc = max(seq, numbers_after.seq), numbers_after.disc
            cursor = Cursor(start, seq, disc)
            anchors = _anchors(db, channel.number, start - 1, until_ms + DAY_MS, None, media_of, ladder)
        filler = filler_candidates(db, channel, now, media_of)
        rows, _ = plan(cursor, anchors, filler, slate, until_ms, slate_title, gap_slate, slate_chunk_ms)
        # One statement for every row: a day of short fillers is tens of thousands of rows, and the write
        # lock is held meanwhile.
        db.conn.executemany(_INSERT, (_values(channel.number, row) for row in rows))
        db.execute("""INSERT INTO channel_builds (channel, inputs, built_until_ms) VALUES (?, ?, ?)
                      ON CONFLICT (channel) DO UPDATE SET inputs = excluded.inputs,
                      built_until_ms = excluded.built_until_ms, version = version + 1""",
                   [channel.number, inputs, rows[-1].end_ms if rows else until_ms])
    return len(rows)


def needs_rebuild(db: Database, lineup: Lineup, channel: Channel, now: datetime, horizon_ms: int,
                  slate_path: str) -> bool:
    """Whether the schedule, catalogue or line-up changed, or the timeline runs out within half the horizon."""
    build = db.execute("SELECT inputs, built_until_ms FROM channel_builds WHERE channel = ?",
                       [channel.number]).fetchone()
    if build is None:
        return True
    return build["inputs"] != build_inputs(db, lineup, slate_path) or \
        build["built_until_ms"] < to_ms(now) + horizon_ms // 2


def builds_version(db: Database) -> str:
    """Changes whenever any channel's timeline is rebuilt (for guide ETags)."""
    return ".".join(f"{row[0]}:{row[1]}" for row in db.execute("SELECT channel, version FROM channel_builds"))
