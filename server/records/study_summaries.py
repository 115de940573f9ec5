"""The summaries of `study_credit` an organisation's report reads: a member's month, and a member's lesson.

`study_months` holds a member's seconds in a month and in each calendar week (Monday to Sunday) the month
holds, cut to the month; `study_lessons` a member's subject: the first and the last day it was credited, its
seconds, and the day its credit so far first reached FINISHED_SHARE of its length. Triggers (migration m024)
work both out again from the credit whenever a row of it is written, in the same transaction, so they are never
behind it. Each row carries the member's branch and whether they are active (today's, as the report counts
them) in front of its key: a report seeks the active members of its branches instead of testing every member.

Two rollups of `study_months` are kept the same way (migration m027): `study_branch_months`, a branch's month
(its members who studied, their seconds and weeks), and `study_years`, a member's year.

A period of whole months (a month, a quarter, a year) is read from these: the members from `study_months`
(`study_years` for whole calendar years), the chart of months and weeks from `study_branch_months`; any other
period from the day rows (`reports.py`). Lectures are read from `study_lessons` for every period: whether a
member watched in the period comes from the lesson's first and last day (the day rows only when the period
falls between them), whether they finished it by the period's end from its finished day.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlite_utils import Database

from server.records.members import Scope

WEEKS = ("week1", "week2", "week3", "week4", "week5", "week6")
FINISHED_SHARE_KEPT = 0.9  # the share whose day study_lessons keep (m024's triggers); study.FINISHED_SHARE must match


def whole_months(first: date, last: date) -> bool:
    """Whether first..last is whole months (from a month's first day to a month's last)."""
    return first.day == 1 and last.day == calendar.monthrange(last.year, last.month)[1]


def month_weeks(year: int, month: int) -> list[date]:
    """The first day of each week (Monday to Sunday) the month holds, cut to the month: week1, week2, ... of
    `study_months` (four to six)."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    starts, monday = [first], first - timedelta(days=first.weekday()) + timedelta(days=7)
    while monday <= last:
        starts.append(monday)
        monday += timedelta(days=7)
    return starts


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def members(db: Database, scope: Scope, first: date, last: date, year_first: date) -> list[tuple]:
    """Every member in scope, active or not: (id, name, branch_id, active, seconds from `first`, seconds from
    `year_first`), both sums over the months from min(first, year_first) to `last` (whole months), 0.0 without
    credit there. Whole calendar years read `study_years`, a row a member and year."""
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31):
        params = {"first_year": f"{first.year:04d}", "last_year": f"{last.year:04d}"}
        period = ("(SELECT sum(y.seconds) FROM study_years y WHERE y.member_id = m.id"
                  " AND y.year BETWEEN :first_year AND :last_year)")
        year = ("NULL" if first.year == last.year else
                "coalesce((SELECT y.seconds FROM study_years y WHERE y.member_id = m.id AND y.year = :last_year), 0.0)")
    else:
        params = {"first": _month(first), "year_first": _month(year_first), "from": _month(min(first, year_first)),
                  "last": _month(last)}
        both = "sum(CASE WHEN s.month >= :{} THEN s.seconds ELSE 0 END)"
        span = "FROM study_months s WHERE s.member_id = m.id AND s.month BETWEEN :from AND :last"
        period = f"(SELECT {both.format('first')} {span})"
        # A period from January is its year so far: one sum for both.
        year = "NULL" if first == year_first else f"(SELECT {both.format('year_first')} {span})"
    cursor = db.conn.cursor()
    cursor.row_factory = None  # plain tuples: a site's ten thousand members
    rows = cursor.execute(f"""WITH RECURSIVE {scope.cte()} SELECT m.id, m.name, m.branch_id, m.active, {period}, {year}
                              FROM scope b JOIN members m ON m.branch_id = b.id""", {**scope.params(), **params})
    return [(*row[:4], 0.0, 0.0) if row[4] is None else (*row[:4], row[4], row[4] if row[5] is None else row[5])
            for row in rows]


def months(db: Database, scope: Scope, first: date, last: date) -> dict[str, tuple[int, tuple[float, ...]]]:
    """Each month of first..last (whole months) in which active members in scope studied: how many of them, and
    their seconds in each of the month's weeks (`month_weeks`). From the branches' months (`study_branch_months`),
    a row per branch and month."""
    sums = ", ".join(f"sum(s.{week})" for week in WEEKS)
    rows = db.execute(
        f"""WITH RECURSIVE {scope.cte()} SELECT s.month, sum(s.members), {sums}
            FROM scope b CROSS JOIN study_branch_months s ON s.branch_id = b.id AND s.active = 1
            WHERE s.month BETWEEN :first AND :last GROUP BY s.month""",
        {**scope.params(), "first": _month(first), "last": _month(last)})
    return {row[0]: (row[1], tuple(row[2:])) for row in rows if row[1]}


def lectures(db: Database, scope: Scope, first: date, last: date) -> list:
    """Each subject active members in scope were credited for on a day of first..last: (subject, kind, title,
    duration_s, viewers, finished), finished counting those whose credit up to `last` reached FINISHED_SHARE_KEPT
    of its length. The most watched first. A seek per subject and branch: no member is tested."""
    return db.execute(
        f"""WITH RECURSIVE {scope.cte()}, branches AS MATERIALIZED (
                SELECT id FROM scope WHERE EXISTS (SELECT 1 FROM members m WHERE m.branch_id = scope.id))
            SELECT s.subject, s.kind, s.title, s.duration_s, count(*) AS viewers,
                   coalesce(sum(l.finished_day <= :last), 0) AS finished
            FROM study_subjects s CROSS JOIN branches b CROSS JOIN study_lessons l
                 ON l.subject = s.subject AND l.branch_id = b.id AND l.active = 1 AND l.first_day <= :last
            WHERE l.first_day >= :first OR (l.last_day >= :first AND (l.last_day <= :last OR EXISTS (
                  SELECT 1 FROM study_credit c WHERE c.member_id = l.member_id AND c.day BETWEEN :first AND :last
                  AND c.subject = l.subject)))
            GROUP BY s.subject ORDER BY viewers DESC, s.title, s.subject""",
        {**scope.params(), "first": first.isoformat(), "last": last.isoformat()}).fetchall()
