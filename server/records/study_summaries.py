"""The summaries of `study_credit` an organisation's report reads: a member's month, and a member's lesson.

`study_months` holds a member's seconds in a month and in each calendar week (Monday to Sunday) the month
holds, cut to the month; `study_lessons` a member's subject: the first and the last day it was credited, its
seconds, and the day its credit so far first reached FINISHED_SHARE of its length. Triggers (migration m024)
work both out again from the credit whenever a row of it is written, in the same transaction, so they are never
behind it. Each row carries the member's branch and whether they are active (today's, as the report counts
them) in front of its key: a report seeks the active members of its branches instead of testing every member.

A period of whole months (a month, a quarter, a year) is read from `study_months`; any other period from the
day rows (`reports.py`). Lectures are read from `study_lessons` for every period: whether a member watched in
the period comes from the lesson's first and last day (the day rows only when the period falls between them),
whether they finished it by the period's end from its finished day.
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
    credit there."""
    months = {"first": _month(first), "year_first": _month(year_first), "from": _month(min(first, year_first)),
              "last": _month(last)}
    both = "sum(CASE WHEN s.month >= :{} THEN s.seconds ELSE 0 END)"
    span = "FROM study_months s WHERE s.member_id = m.id AND s.month BETWEEN :from AND :last"
    period = f"(SELECT {both.format('first')} {span})"
    # A period from January is its year so far: one sum for both.
    year = "NULL" if first == year_first else f"(SELECT {both.format('year_first')} {span})"
    rows = db.execute(f"""WITH RECURSIVE {scope.cte()} SELECT m.id, m.name, m.branch_id, m.active, {period}, {year}
                          FROM scope b JOIN members m ON m.branch_id = b.id""", {**scope.params(), **months})
    return [(*row[:4], 0.0, 0.0) if row[4] is None else (*row[:4], row[4], row[4] if row[5] is None else row[5])
            for row in rows]


def months(db: Database, scope: Scope, first: date, last: date) -> dict[str, tuple[int, tuple[float, ...]]]:
    """Each month of first..last (whole months) in which active members in scope studied: how many of them, and
    their seconds in each of the month's weeks (`month_weeks`). A query per month, each one seek per branch."""
    sums = ", ".join(f"sum(s.{week})" for week in WEEKS)
    found, year, month = {}, first.year, first.month
    while (year, month) <= (last.year, last.month):
        name = f"{year:04d}-{month:02d}"
        row = db.execute(
            f"""WITH RECURSIVE {scope.cte()} SELECT count(*), {sums}
                FROM scope b CROSS JOIN study_months s ON s.month = :month AND s.branch_id = b.id AND s.active = 1""",
            {**scope.params(), "month": name}).fetchone()
        if row[0]:
            found[name] = (row[0], tuple(row[1:]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


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
