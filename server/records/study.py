"""Study time read back for one member: their year and month, their lessons, their months.

Everything is summed from `study_credit` (one row per member, local day and
subject), whose primary key starts with the member and the day, so a member's
year is one index range. An organisation's figures are in reports.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlite_utils import Database

FINISHED_SHARE = 0.9  # a lesson with this share of its length credited counts as finished
LIST_LIMIT = 5


@dataclass(frozen=True)
class Lesson:
    """A video or study programme a member watched: how much of it is credited, and when they last watched."""

    subject: str
    kind: str  # video or programme
    ref_id: int
    title: str
    duration_s: float
    credited_s: float
    last_watched_at: float

    @property
    def finished(self) -> bool:
        """Whether enough of it is credited to count as watched to the end."""
        return self.credited_s >= FINISHED_SHARE * self.duration_s


@dataclass(frozen=True)
class Summary:
    """What 我的学习 shows for one member: seconds this year and month, and lessons."""

    member_id: int
    name: str
    year_s: float
    month_s: float
    recent: tuple[Lesson, ...]
    unfinished: tuple[Lesson, ...]


def _year_range(year: int) -> tuple[str, str]:
    return f"{year:04d}-01-01", f"{year:04d}-12-31"


def _month_range(year: int, month: int) -> tuple[str, str]:
    return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-31"


def seconds_between(db: Database, member_id: int, first: str, last: str) -> float:
    """A member's credited seconds on local days first..last (YYYY-MM-DD, inclusive)."""
    return db.execute("SELECT coalesce(sum(seconds), 0) FROM study_credit WHERE member_id = ? AND day BETWEEN ? AND ?",
                      [member_id, first, last]).fetchone()[0]


def lessons(db: Database, member_id: int, limit: int | None = None, year: int | None = None,
            zone: ZoneInfo | None = None) -> list[Lesson]:
    """The member's lessons, the most recently watched first: every subject with a piece, credited or not; with
    `year` (local, in `zone`), only those watched that year and the credit of that year."""
    first, last, start, end = "0000-01-01", "9999-12-31", float("-inf"), float("inf")
    if year is not None:
        first, last = _year_range(year)
        start = datetime(year, 1, 1, tzinfo=zone or UTC).timestamp()
        end = datetime(year + 1, 1, 1, tzinfo=zone or UTC).timestamp()
    rows = db.execute(
        """SELECT p.subject, s.kind, s.ref_id, s.title, s.duration_s, max(p.ended_at) AS last_at,
                  (SELECT coalesce(sum(c.seconds), 0) FROM study_credit c WHERE c.member_id = p.member_id
                   AND c.subject = p.subject AND c.day BETWEEN :first AND :last) AS credited
           FROM watch_pieces p JOIN study_subjects s ON s.subject = p.subject
           WHERE p.member_id = :member AND p.started_at >= :start AND p.started_at < :end
           GROUP BY p.subject ORDER BY last_at DESC, p.subject LIMIT :limit""",
        {"member": member_id, "first": first, "last": last, "start": start, "end": end,
         "limit": -1 if limit is None else limit}).fetchall()
    return [Lesson(r["subject"], r["kind"], r["ref_id"], r["title"], r["duration_s"], r["credited"], r["last_at"])
            for r in rows]


def summary(db: Database, member_id: int, name: str, today: date) -> Summary:
    """我的学习 for one member: this year's and this month's seconds, the last lessons, unfinished videos."""
    every = lessons(db, member_id, limit=50)
    unfinished = [lesson for lesson in every if lesson.kind == "video" and not lesson.finished]
    return Summary(member_id, name, seconds_between(db, member_id, *_year_range(today.year)),
                   seconds_between(db, member_id, *_month_range(today.year, today.month)),
                   tuple(every[:LIST_LIMIT]), tuple(unfinished[:LIST_LIMIT]))


def months_of_year(db: Database, member_id: int, year: int) -> list[float]:
    """A member's credited seconds in each month of a year (12 numbers)."""
    totals = [0.0] * 12
    first, last = _year_range(year)
    for month, seconds in db.execute(
            """SELECT CAST(substr(day, 6, 2) AS INTEGER), sum(seconds) FROM study_credit
               WHERE member_id = ? AND day BETWEEN ? AND ? GROUP BY substr(day, 6, 2)""",
            [member_id, first, last]):
        totals[month - 1] = seconds
    return totals
