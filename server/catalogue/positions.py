"""Resume points: where each box stopped in each video, so playback picks up there."""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from server.core.errors import UserError
from server.core.json_numbers import finite_number
from server.core.timestamps import format_utc, parse_time

# Within this many seconds of the end (or past 95 %) a video counts as watched
# to the end, and the next play starts from the beginning, not the credits.
END_MARGIN_S = 15.0
END_FRACTION = 0.95


def is_completed(position_s: float, duration_s: float | None) -> bool:
    """Whether a position is close enough to the end to count as finished."""
    if not duration_s:
        return False
    return position_s >= duration_s - END_MARGIN_S or position_s >= duration_s * END_FRACTION


def checked_position(value: object) -> float:
    """A position as a box sent it: a finite number of seconds, not negative (UserError otherwise)."""
    number = finite_number(value)
    if number is None or number < 0:
        raise UserError("api.bad_position", value=value)
    return number


def save_position(db: Database, device_id: int, item_id: int, position_s: float,
                  duration_s: float | None, now: datetime) -> bool:
    """Store the box's position in an item (clamped to its duration); return whether completed."""
    if duration_s:
        position_s = min(position_s, duration_s)
    completed = is_completed(position_s, duration_s)
    db.execute(
        """INSERT INTO positions (device_id, item_id, position_s, completed, updated_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (device_id, item_id) DO UPDATE SET position_s = excluded.position_s,
               completed = excluded.completed, updated_at = excluded.updated_at""",
        [device_id, item_id, position_s, int(completed), format_utc(now)])
    return completed


def saved_point(db: Database, device_id: int, item_id: int) -> tuple[float, float] | None:
    """When (seconds since the epoch) and where the box last saved its position in a video; None if never."""
    row = db.execute("SELECT updated_at, position_s FROM positions WHERE device_id = ? AND item_id = ?",
                     [device_id, item_id]).fetchone()
    return None if row is None else (parse_time(row["updated_at"]).timestamp(), row["position_s"])


def saved_points(db: Database, device_id: int, limit: int) -> dict[int, tuple[float, float]]:
    """The box's `limit` latest saved positions: item id -> (when, where), the latest first."""
    return {row[0]: (parse_time(row[1]).timestamp(), row[2]) for row in db.execute(
        "SELECT item_id, updated_at, position_s FROM positions WHERE device_id = ? ORDER BY updated_at DESC LIMIT ?",
        [device_id, limit])}
