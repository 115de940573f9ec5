"""A channel's week as the schedule page draws it: blocks per day, placed by local time.

Where the timeline is planned (PLAYOUT_HORIZON_HOURS ahead) the blocks are
what viewers will see, filler and slate included, read by the same function as
/epg.xml; further ahead they are the schedule's entries alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from server.broadcast.guide import programmes
from server.broadcast.schedule import Entry, list_entries
from server.core.channels_yaml import Lineup
from server.core.timestamps import from_ms

DAY_S = 24 * 3600


@dataclass(frozen=True)
class Block:
    """One block of the grid: a programme or a run of filler on one day, placed in % of the day's height."""

    day: int  # 0 = Monday
    top: float  # % of the day's height
    height: float
    title: str
    kind: str  # programme, filler, slate, live, or planned (an entry beyond the planned timeline)
    start_label: str
    end_label: str
    important: bool
    entry_id: int | None


@dataclass(frozen=True)
class WeekGrid:
    """A channel's week: its days, the blocks to draw, its entries, and how far the timeline is planned."""

    days: list[date]
    blocks: list[Block]
    entries: list[Entry]
    planned_until: datetime | None


def _pieces(start: datetime, end: datetime, monday: date, zone: ZoneInfo):
    """(day index, top %, height %) of [start, end) cut at each local midnight of the week."""
    for index in range(7):
        day_start = datetime.combine(monday + timedelta(days=index), time(), zone)
        day_end = datetime.combine(monday + timedelta(days=index + 1), time(), zone)
        piece_start, piece_end = max(start, day_start), min(end, day_end)
        if piece_end > piece_start:
            length = (day_end - day_start).total_seconds()  # 23 or 25 h on a DST change
            yield (index, 100 * (piece_start - day_start).total_seconds() / length,
                   100 * (piece_end - piece_start).total_seconds() / length)


def _merge_gaps(shown: list, gap_title: str):
    """Programmes as (start, end, title, kind, entry_id); a run of filler and slate between two
    programmes is one block (a short filler item would otherwise be thousands of them)."""
    run = None
    for programme in shown:
        if programme.kind in ("filler", "slate"):
            if run is None:
                run = [programme.start, programme.end, "slate"]
            run[1] = programme.end
            if programme.kind == "filler":
                run[2] = "filler"
            continue
        if run is not None:
            yield run[0], run[1], gap_title, run[2], None
            run = None
        yield programme.start, programme.end, programme.title, programme.kind, programme.entry_id
    if run is not None:
        yield run[0], run[1], gap_title, run[2], None


def week_grid(db: Database, lineup: Lineup, channel: int, monday: date, zone: ZoneInfo,
              gap_title: str) -> WeekGrid:
    """One channel's week from `monday`: the planned timeline where there is one, the schedule's entries beyond it."""
    week_start = datetime.combine(monday, time(), zone)
    week_end = datetime.combine(monday + timedelta(days=7), time(), zone)
    shown = programmes(db, lineup, channel, week_start, week_end)
    last = db.execute("SELECT max(end_ms) FROM playout WHERE channel = ?", [channel]).fetchone()[0]
    planned_until = from_ms(last) if last else None
    entries = [e for e in list_entries(db, week_start, week_end, channel) if e.state != "preempted"]
    important = {e.id: e.important for e in entries}
    blocks: list[Block] = []

    def add(start: datetime, end: datetime, title: str, kind: str, is_important: bool, entry_id: int | None):
        label = (f"{start.astimezone(zone):%H:%M}", f"{end.astimezone(zone):%H:%M}")
        for day, top, height in _pieces(start, end, monday, zone):
            blocks.append(Block(day, round(top, 3), round(height, 3), title, kind, *label, is_important, entry_id))

    seen_entries = set()
    for start, end, title, kind, entry_id in _merge_gaps(shown, gap_title):
        seen_entries.add(entry_id)
        add(start, end, title, kind, important.get(entry_id, False), entry_id)
    for entry in entries:
        if entry.id not in seen_entries and (planned_until is None or entry.end > planned_until):
            start = entry.start if planned_until is None else max(entry.start, planned_until)
            add(start, entry.end, entry.title, "planned", entry.important, entry.id)
    days = [monday + timedelta(days=i) for i in range(7)]
    return WeekGrid(days, blocks, entries, planned_until)
