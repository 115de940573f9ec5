"""The party committee's participation report: an organisation over a period, by branch and community.

Read with a few aggregate queries: the members' seconds in the period and in
its last year so far, the seconds per week (for the chart), the members who
studied per month, and each lecture's viewers and how many finished it. A period
of whole months (a month, a quarter, a year) reads the summaries kept on write
(`study_summaries.py`: a member's months and years, a branch's months), any other period the day rows of
`study_credit` (one per member, local day and subject); lectures always come
from the members' lessons (`study_summaries.lectures`). Only active members
count, in every figure and chart; an inactive member who studied in the period
is listed, marked, for the record. Whether a member is active, and which branch
they are in, is today's state (no history of it is kept): a member made inactive
in December leaves November's figures too, and one who moved branch takes their
whole history along.

Check-in programmes (签到) that began in the period are listed with their attendance among the active members
(`attendance.report_lines`; what was watched of ended programmes is kept by the broadcast runner,
`checkin_watch.py`), and the quizzes taken in it with their average best scores and the questions most
often missed (`quizzes.quiz_summary`).

The annual target is pro-rated over the period up to today (a quarter's target
is a quarter of the year's; in its middle, half that), so "below target" means
behind the pace that reaches the annual target by the end of the year. Every
figure is read in one snapshot while boxes keep reporting: one transaction, or
two on the same snapshot (`db.read_together`) when the lectures and quizzes are
read in another thread, half the work of a site's year on a second core.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from server.core.db import read_together
from server.core.errors import UserError
from server.records import study_summaries
from server.records.attendance import CheckinLine, report_lines
from server.records.credit import Rules
from server.records.members import Scope, branches_in
from server.records.quizzes import LectureQuiz, MissedQuestion, QuizSummary, quiz_summary

LONGEST_CUSTOM_DAYS = 5 * 366
FIRST_YEAR, LAST_YEAR = 1970, 2199  # a report's years (date arithmetic at 9999-12-31 would overflow)


class PeriodKind(StrEnum):
    """How a report's period is asked for (report_exports.period_kind)."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"


PERIOD_KINDS = tuple(kind.value for kind in PeriodKind)
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_YEAR = re.compile(r"\d{4}")
_BAD_PERIOD = {"month": "report.bad_period_month", "quarter": "report.bad_period_quarter",
               "year": "report.bad_period_year", "custom": "report.bad_period_custom"}


@dataclass(frozen=True)
class Period:
    """Local days first..last (inclusive), and how it was asked (month, quarter, year or custom)."""

    kind: str
    first: date
    last: date

    @property
    def label(self) -> tuple[str, dict]:
        """The period in words: a message id and its parameters."""
        if self.kind == "month":
            return "report.period_month", {"year": self.first.year, "month": self.first.month}
        if self.kind == "quarter":
            return "report.period_quarter", {"year": self.first.year, "quarter": (self.first.month - 1) // 3 + 1}
        if self.kind == "year":
            return "report.period_year", {"year": self.first.year}
        return "report.period_custom", {"first": self.first.isoformat(), "last": self.last.isoformat()}

    def value(self) -> str:
        """The period as it is written in a URL (2026-11, 2026-Q4, 2026, 2026-01-05..2026-02-10)."""
        if self.kind == "month":
            return f"{self.first.year:04d}-{self.first.month:02d}"
        if self.kind == "quarter":
            return f"{self.first.year:04d}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.first.year:04d}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def parse_period(kind: object, value: object, today: date) -> Period:
    """A period from a form or URL: kind month ("2026-11"), quarter ("2026-Q4"), year ("2026") or custom
    ("2026-01-05..2026-02-10"); an empty value is the current one. UserError says what is wrong and how to write it."""
    if kind not in PERIOD_KINDS:
        raise UserError("report.bad_period_kind", value=str(kind)[:20], kinds=" / ".join(PERIOD_KINDS))
    text = value.strip() if isinstance(value, str) else ""
    try:
        if kind == "month":
            year, month = (today.year, today.month) if not text else _numbers(_MONTH, text)
            return Period(kind, date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
        if kind == "quarter":
            year, quarter = (today.year, (today.month - 1) // 3 + 1) if not text else _numbers(_QUARTER, text)
            end_month = 3 * quarter
            return Period(kind, date(year, end_month - 2, 1),
                          date(year, end_month, calendar.monthrange(year, end_month)[1]))
        if kind == "year":
            year = today.year if not text else _numbers(_YEAR, text)[0] if _YEAR.fullmatch(text) else None
            if year is None:
                raise ValueError(text)
            return Period(kind, date(year, 1, 1), date(year, 12, 31))
        first_text, _, last_text = text.partition("..")
        first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
        if not FIRST_YEAR <= first.year <= LAST_YEAR or not FIRST_YEAR <= last.year <= LAST_YEAR:
            raise ValueError(text)
    except ValueError:
        raise UserError(_BAD_PERIOD[kind], value=text[:40]) from None
    if last < first or (last - first).days >= LONGEST_CUSTOM_DAYS:
        raise UserError("report.bad_period_span", first=first.isoformat(), last=last.isoformat(), years=5)
    return Period(kind, first, last)


def _numbers(pattern: re.Pattern, text: str) -> tuple[int, ...]:
    match = pattern.fullmatch(text)
    if match is None:
        raise ValueError(text)
    numbers = tuple(int(group) for group in (match.groups() or (match[0],)))
    if not FIRST_YEAR <= numbers[0] <= LAST_YEAR:
        raise ValueError(text)
    return numbers


def target_seconds(rules: Rules, period: Period, today: date | None = None) -> float:
    """The annual target pro-rated over the period's days up to `today` (each day a share of its own year): in
    the middle of the current month, half the month's target; for a period still to come, none."""
    last = period.last if today is None else min(period.last, today)
    total, day = 0.0, period.first
    while day <= last:
        year_end = min(last, date(day.year, 12, 31))
        days_in_year = 366 if calendar.isleap(day.year) else 365
        total += ((year_end - day).days + 1) / days_in_year
        day = year_end + timedelta(days=1)
    return total * rules.annual_target_lessons * rules.lesson_s


class MemberLine(NamedTuple):
    """One member in the report (a named tuple: a year's report makes ten thousand of them)."""

    member_id: int
    name: str
    branch_id: int
    branch: str
    community: str
    active: bool
    period_s: float
    year_s: float  # the last day's year, up to the last day
    community_id: int | None = None


@dataclass(frozen=True)
class GroupLine:
    """A branch, a community or the whole organisation: its active members and what they studied."""

    org_id: int | None
    name: str
    community: str
    members: int
    participants: int
    period_s: float
    below_target: int

    @property
    def participation(self) -> float:
        """Members who studied at all in the period, as a share of the active members (0 when there are none)."""
        return self.participants / self.members if self.members else 0.0

    @property
    def per_member_s(self) -> float:
        """The period's seconds per active member."""
        return self.period_s / self.members if self.members else 0.0


@dataclass(frozen=True)
class LectureLine:
    """A lecture (a video or a study programme) watched in the period: by how many members, finished by how many
    (credited at least FINISHED_SHARE of its length by the period's end)."""

    subject: str
    kind: str
    title: str
    duration_s: float
    viewers: int
    finished: int


@dataclass(frozen=True)
class Report:
    """Everything the report page, its charts and its exports show."""

    organisation: str
    period: Period
    target_s: float
    members: tuple[MemberLine, ...]
    branches: tuple[GroupLine, ...]
    communities: tuple[GroupLine, ...]
    total: GroupLine
    lectures: tuple[LectureLine, ...]
    weeks: tuple[tuple[date, float], ...]  # each week's Monday (within the period) and its seconds
    months: tuple[tuple[str, int], ...]  # YYYY-MM and the members (active now) who studied in it
    checkins: tuple[CheckinLine, ...] = ()  # check-in programmes begun in the period, by start
    quizzes: tuple[LectureQuiz, ...] = ()  # quizzes taken in the period, most takers first
    missed: tuple[MissedQuestion, ...] = ()  # the questions most often answered wrong in the period

    def below_target(self) -> list[MemberLine]:
        """Active members behind the period's target, the furthest behind first."""
        return sorted((m for m in self.members if m.active and m.period_s < self.target_s),
                      key=lambda m: (m.period_s, m.community, m.branch, m.name))


def _communities(db: Database) -> tuple[dict[int, str], dict[int, tuple[int | None, str]]]:
    """Every organisation's name, and each one's community (its nearest community or village above, or itself)
    as (id, name): two communities of one name under different subdistricts stay two."""
    rows = {r["id"]: r for r in db.execute("SELECT id, parent_id, name, kind FROM organisations")}
    names = {org_id: row["name"] for org_id, row in rows.items()}
    community: dict[int, tuple[int | None, str]] = {}
    for org_id in rows:
        node = rows[org_id]
        while node is not None and node["kind"] not in ("community", "village"):
            node = rows.get(node["parent_id"])
        community[org_id] = (node["id"], node["name"]) if node is not None else (None, "")
    return names, community


@dataclass(frozen=True)
class Context:
    """What a report needs besides its organisation and period: the site's zone (the period's days are local),
    the share of a check-in programme that counts as watched, and now (programmes not yet begun are left out)."""

    zone: ZoneInfo = ZoneInfo("UTC")
    watched_share: float = 0.8
    now: datetime | None = None


def build(db: Database, scope: Scope, period: Period, rules: Rules, today: date | None = None,
          context: Context = Context()) -> Report:
    """The report for the organisations in `scope` (None: the whole site) over `period`, its target pro-rated up
    to `today` (None: the whole period). Read in one transaction, so every figure sees the same credit while
    boxes keep reporting. Nothing is written: what is kept of ended check-in programmes is kept by the broadcast
    runner (checkin_watch.settle), and a programme not kept yet is worked out here."""
    if db.conn.in_transaction:
        return _build(db, scope, period, rules, today, context, None)
    with read_together(db) as helper:
        return _build(db, scope, period, rules, today, context, helper)


def _build(db: Database, scope: Scope, period: Period, rules: Rules, today: date | None, context: Context,
           helper: Database | None) -> Report:
    """The report from `db`; the lectures and the quizzes from `helper` in another thread when there is one (a
    second connection on the same snapshot: on a site's year they are half the work)."""
    def lectures_and_quizzes(source: Database) -> tuple[tuple[LectureLine, ...], QuizSummary]:
        return (tuple(LectureLine(*row) for row in study_summaries.lectures(source, scope, period.first, period.last)),
                quiz_summary(source, scope, period.first, period.last, context.zone))

    if helper is None:
        return _build_with(db, scope, period, rules, today, context, lambda: lectures_and_quizzes(db))
    with ThreadPoolExecutor(1, thread_name_prefix="report") as aside:
        later = aside.submit(lectures_and_quizzes, helper)
        try:
            return _build_with(db, scope, period, rules, today, context, later.result)
        finally:
            later.cancel()
            wait([later])  # the helper's connection is closed after this: its thread must be done with it


def _build_with(db: Database, scope: Scope, period: Period, rules: Rules, today: date | None, context: Context,
                lectures_and_quizzes: Callable[[], tuple[tuple[LectureLine, ...], QuizSummary]]) -> Report:
    names, community = _communities(db)
    year_first = date(period.last.year, 1, 1)
    params = {**scope.params(), "first": period.first.isoformat(), "last": period.last.isoformat(),
              "year_first": year_first.isoformat(), "from": min(period.first, year_first).isoformat()}
    everyone, mine = _members_cte(scope, active_only=False), _members_cte(scope, active_only=True)
    whole_months = study_summaries.whole_months(period.first, period.last)
    if whole_months:
        rows = study_summaries.members(db, scope, period.first, period.last, year_first)
    else:
        rows = _members_from_days(db, everyone, params)
    target = target_seconds(rules, period, today)
    members = []
    for member_id, name, branch_id, active, period_s, year_s in rows:
        if active or period_s > 0:
            community_id, community_name = community[branch_id]
            members.append(MemberLine(member_id, name, branch_id, names[branch_id], community_name, bool(active),
                                      period_s, year_s, community_id))
    members.sort(key=lambda m: (m.community, m.branch, m.branch_id, m.name, m.member_id))
    every_branch = [(branch_id, names[branch_id], community[branch_id]) for branch_id, _, _ in branches_in(db, scope)]
    branches = _groups(members, target, lambda m: (m.branch_id, m.branch, m.community),
                       [(b, name, c[1]) for b, name, c in every_branch])
    communities = _groups(members, target, lambda m: (m.community_id, m.community, m.community),
                          [(c[0], c[1], c[1]) for _, _, c in every_branch])
    total = _group(scope.org_id, names.get(scope.org_id, ""), "", members, target)  # active members only
    if whole_months:
        days, counts = _from_months(study_summaries.months(db, scope, period.first, period.last))
    else:
        days = dict(db.execute(
            f"""{mine} SELECT c.day, sum(c.seconds) FROM mine CROSS JOIN study_credit c ON c.member_id = mine.id
                WHERE c.day BETWEEN :first AND :last GROUP BY c.day""", params).fetchall())
        counts = dict(db.execute(
            f"""{mine} SELECT substr(c.day, 1, 7), count(DISTINCT c.member_id)
                FROM mine CROSS JOIN study_credit c ON c.member_id = mine.id WHERE c.day BETWEEN :first AND :last
                GROUP BY substr(c.day, 1, 7)""", params).fetchall())
    start = datetime.combine(period.first, time(), context.zone)
    end = datetime.combine(period.last + timedelta(days=1), time(), context.zone)
    if context.now is not None:
        end = max(start, min(end, context.now.astimezone(UTC) + timedelta(microseconds=1)))
    checkins = report_lines(db, scope, start, end, context.watched_share, context.zone)
    lectures, quizzes = lectures_and_quizzes()
    return Report(names.get(scope.org_id, ""), period, target, tuple(members), branches, communities, total,
                  lectures, _weeks(period, days), _months(period, counts), checkins, quizzes.lectures, quizzes.missed)


def _members_from_days(db: Database, everyone: str, params: dict) -> list[tuple]:
    """Every member in scope from the day rows: (id, name, branch_id, active, the period's seconds, the year's)."""
    sums = {r[0]: (r[1], r[2]) for r in db.execute(
        f"""{everyone} SELECT c.member_id,
                   sum(CASE WHEN c.day >= :first THEN c.seconds ELSE 0 END),
                   sum(CASE WHEN c.day >= :year_first THEN c.seconds ELSE 0 END)
            FROM mine CROSS JOIN study_credit c ON c.member_id = mine.id
            WHERE c.day BETWEEN :from AND :last GROUP BY c.member_id""", params)}
    return [(*row, *sums.get(row[0], (0.0, 0.0))) for row in db.execute(
        f"""{everyone} SELECT m.id, m.name, m.branch_id, m.active FROM members m JOIN mine ON mine.id = m.id""",
        params)]


def _from_months(found: dict[str, tuple[int, tuple[float, ...]]]) -> tuple[dict[str, float], dict[str, int]]:
    """The months' summaries as the day rows would give them: each week's seconds on its first day in the month
    (`_weeks` adds a week's days), and the members who studied in each month."""
    days, counts = {}, {}
    for month, (members, weeks) in found.items():
        counts[month] = members
        year, number = int(month[:4]), int(month[5:7])
        for start, seconds in zip(study_summaries.month_weeks(year, number), weeks, strict=False):
            days[start.isoformat()] = seconds
    return days, counts


def _members_cte(scope: Scope, active_only: bool) -> str:
    """A `mine(id)` CTE of the members in scope (only the active ones with `active_only`)."""
    where = " WHERE m.active" if active_only else ""
    return (f"WITH RECURSIVE {scope.cte()}, mine AS (SELECT m.id FROM members m JOIN scope s ON s.id = m.branch_id"
            f"{where})")


def _group(org_id: int | None, name: str, community_name: str, lines: list[MemberLine], target: float) -> GroupLine:
    totals = _Totals()
    for member in lines:
        if member.active:
            totals.add(member.period_s, target)
    return totals.line(org_id, name, community_name)


class _Totals:
    """A group's active members counted as they come (one pass over a year's ten thousand members)."""

    __slots__ = ("members", "participants", "period_s", "below")

    def __init__(self) -> None:
        self.members = self.participants = self.below = 0
        self.period_s = 0.0

    def add(self, period_s: float, target: float) -> None:
        self.members += 1
        self.participants += period_s > 0
        self.period_s += period_s
        self.below += period_s < target

    def line(self, org_id: int | None, name: str, community_name: str) -> GroupLine:
        return GroupLine(org_id, name, community_name, self.members, self.participants, self.period_s, self.below)


def _groups(members: list[MemberLine], target: float, key, empty: list[tuple]) -> tuple[GroupLine, ...]:
    """Active members grouped by key(member) -> (org id, name, community); the keys in `empty` listed even
    without members (a branch whose members all left still shows, with zeros)."""
    grouped: dict[tuple, _Totals] = {group: _Totals() for group in empty}
    for member in members:
        if member.active:
            group = key(member)
            totals = grouped.get(group)
            if totals is None:
                totals = grouped[group] = _Totals()
            totals.add(member.period_s, target)
    ordered = sorted(grouped.items(), key=lambda g: (g[0][2], g[0][1]))
    return tuple(totals.line(org_id, name, community_name) for (org_id, name, community_name), totals in ordered)


def _weeks(period: Period, days: dict[str, float]) -> tuple[tuple[date, float], ...]:
    """Seconds per week (Monday to Sunday), each week cut to the period; the first labelled by its first day."""
    weeks: dict[date, float] = {}
    day = period.first
    while day <= period.last:
        start = max(period.first, day - timedelta(days=day.weekday()))
        weeks[start] = weeks.get(start, 0.0) + days.get(day.isoformat(), 0.0)
        day += timedelta(days=1)
    return tuple(weeks.items())


def _months(period: Period, counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """Every month of the period (YYYY-MM) with the members who studied in it (`counts`), none left out."""
    first, last = period.first, period.last
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        key = f"{year:04d}-{month:02d}"
        months.append((key, counts.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)
