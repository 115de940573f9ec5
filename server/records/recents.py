"""最近看过 on the TV's Home: the videos the members watching saw last, each with where to pick it up.

For members they come from their watch pieces (what the study records keep of
every sitting, on any box), so they follow a household to a new box; a box with
nobody known has its own resume points. The resume point is the later of this
box's own (exact to the second) and the members' last piece (on another box, or
before this box was theirs); a video watched to the end starts again from 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from server.catalogue.favourites import Owners
from server.catalogue.positions import is_completed, saved_point, saved_points

SCAN_LIMIT = 60  # rows read before hidden items are left out (Home shows far fewer)
OWN_POINT_GRACE_S = 60.0  # the box's own point wins over a piece ending up to this much later (checkpoints lag)


@dataclass(frozen=True)
class Recent:
    """A video last watched at `watched_at` (seconds since the epoch), to resume at `stopped_s`."""

    item_id: int
    watched_at: float
    stopped_s: float


def recent(db: Database, owners: Owners) -> list[Recent]:
    """The owners' videos, the most recently watched first (up to SCAN_LIMIT, hidden ones included)."""
    if owners.member_ids:
        marks = ", ".join("?" * len(owners.member_ids))
        # SQLite takes the bare media_to from the row holding max(ended_at): where the last sitting stopped.
        rows = db.execute(
            f"""SELECT CAST(substr(subject, 6) AS INTEGER), max(ended_at), media_to FROM watch_pieces
                WHERE member_id IN ({marks}) AND subject LIKE 'item:%' GROUP BY subject
                ORDER BY 2 DESC LIMIT ?""", [*owners.member_ids, SCAN_LIMIT]).fetchall()
        found = [Recent(row[0], row[1], row[2]) for row in rows]
    else:
        found = []
    own = saved_points(db, owners.device_id, SCAN_LIMIT)
    if owners.member_ids:
        return [Recent(r.item_id, r.watched_at, later_stop(own.get(r.item_id), (r.watched_at, r.stopped_s)))
                for r in found]
    return [Recent(item_id, at, stopped) for item_id, (at, stopped) in own.items()]


def later_stop(own: tuple[float, float] | None, piece: tuple[float, float] | None) -> float | None:
    """Where a video stopped last, from the box's own point and the members' last piece, each (when, where): the
    box's own (exact to the second) unless the piece ended more than OWN_POINT_GRACE_S after it (another box)."""
    if own is None:
        return None if piece is None else piece[1]
    if piece is not None and piece[0] > own[0] + OWN_POINT_GRACE_S:
        return piece[1]
    return own[1]


def resume_from(stopped_s: float, duration_s: float | None) -> float:
    """Where playback picks up: where it stopped, or 0 for a video watched to the end."""
    return 0.0 if is_completed(stopped_s, duration_s) else stopped_s


def household_stop(db: Database, device_id: int, item_id: int) -> tuple[float, float] | None:
    """When and where the box's household (its active members) last stopped in a video, on any box; None when
    they never watched it."""
    row = db.execute(
        """SELECT p.ended_at, p.media_to FROM watch_pieces p JOIN members m ON m.id = p.member_id
           JOIN devices d ON d.household_id = m.household_id
           WHERE d.id = ? AND m.active = 1 AND p.subject = ? ORDER BY p.ended_at DESC LIMIT 1""",
        [device_id, f"item:{item_id}"]).fetchone()
    return None if row is None else (row[0], row[1])


def resume_point(db: Database, device_id: int, item_id: int, duration_s: float | None) -> float:
    """Where this box starts a video: the later of its own saved point and where its household last stopped (on
    another box, or before this box was theirs: a new box picks up where the old one left off), as Home's
    最近看过 shows it; 0 when watched to the end or never begun."""
    stopped = later_stop(saved_point(db, device_id, item_id), household_stop(db, device_id, item_id))
    return 0.0 if stopped is None else resume_from(stopped, duration_s)
