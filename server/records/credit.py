"""Study-hour credit (学时): the pure rules that turn the intervals boxes report into seconds of study per day.

A box reports what it played as intervals of wall-clock time and video position. Those reports repeat
(a box re-sends after a lost reply), arrive out of order, overlap (seeking back, replaying) and come from
clocks that jump. The rules below are written so that, whatever arrives, credit never exceeds the video's
length, the daily cap or the wall-clock time actually spent, and re-sending or reordering changes nothing.

No I/O, no clock: the caller passes everything in, so the same rules run in a request, the CLI or a report.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

# A sorted list of disjoint half-open ranges [a, b) with a < b.
Ranges = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Interval:
    """What one box reported playing for one member and one video (or live programme)."""

    key: str  # the reporting box's id for the interval (unique per box); used only as a tiebreak
    started_at: float  # wall clock, seconds since the epoch (UTC)
    ended_at: float
    media_from: float  # seconds into the video where it started
    media_to: float  # seconds into the video where it ended


@dataclass(frozen=True)
class Rules:
    """The credit rules as configured (defaults are the site's defaults)."""

    min_sitting_s: float = 120.0  # a sitting earns only once this much of the video was watched in it
    sitting_gap_s: float = 600.0  # intervals whose wall-clock gap is at most this belong to one sitting (pauses)
    daily_cap_s: float = 3600.0  # at most this much credit per video per member per local day
    lesson_s: float = 2700.0  # 1 学时 = 45 minutes
    annual_target_lessons: float = 32.0


def credit_by_day(intervals: Iterable[Interval], duration_s: float, rules: Rules, zone: ZoneInfo) -> dict[date, float]:
    """Seconds of study credit per local day (in `zone`) that one member earns from one video.

    Takes all the intervals reported for that member and video. Days without credit are left out; values are
    not rounded (callers round for display).
    """
    found = credit_for_member({"": intervals}, {"": duration_s}, rules, zone)
    return {day: seconds for (_, day), seconds in found.items()}


def credit_for_member(intervals: Mapping[str, Iterable[Interval]], durations: Mapping[str, float], rules: Rules,
                      zone: ZoneInfo) -> dict[tuple[str, date], float]:
    """Seconds of credit per (subject, local day) one member earns from all the intervals of every subject.

    Sittings, the media already credited and the daily cap are per subject (a video, or a programme); the
    wall clock is the member's own across subjects: a second pays at most once, however many videos a box
    claims were playing in it. Only the seconds actually credited are marked as spent, on the wall clock and
    in the video, so a report of a few seconds cannot use up the minutes another report of the same time
    earns, and what the cap held back can be earned on another day.
    """
    qualified: list[tuple[Interval, date, str]] = []
    for subject, reported in intervals.items():
        duration_s = durations.get(subject, 0.0)
        if not math.isfinite(duration_s) or duration_s <= 0:
            continue
        threshold = min(rules.min_sitting_s, 0.9 * duration_s)  # so a short clip watched whole still counts
        for sitting in _sittings(_normalised(reported, duration_s, zone), rules.sitting_gap_s):
            if _qualifies(sitting, threshold):  # else it earns nothing: a later, longer sitting may earn it
                qualified += [(interval, day, subject) for interval, day in sitting]
    qualified.sort(key=lambda found: (found[0].started_at, found[0].ended_at, found[2], found[0].media_from,
                                      found[0].media_to, found[0].key))
    wall = RangeSet()
    media: dict[str, RangeSet] = {}
    earned: dict[tuple[str, date], float] = {}
    for interval, day, subject in qualified:
        seen = media.setdefault(subject, RangeSet())
        new_media = seen.missing(interval.media_from, interval.media_to)
        new_wall = wall.missing(interval.started_at, interval.ended_at)
        room = rules.daily_cap_s - earned.get((subject, day), 0.0)
        earn = max(0.0, min(_measure(new_media), _measure(new_wall), room))
        if earn <= 0:
            continue
        earned[(subject, day)] = earned.get((subject, day), 0.0) + earn
        for piece in _first(new_media, earn):
            seen.add(*piece)
        for piece in _first(new_wall, earn):
            wall.add(*piece)
    return {key: seconds for key, seconds in earned.items() if seconds > 0}


def coupled_subjects(intervals: Mapping[str, Iterable[Interval]], touched: Iterable[str]) -> set[str]:
    """The subjects whose credit can change when those `touched` change: the touched ones and every subject
    with an interval overlapping one of theirs in wall-clock time, and so on (they share the member's clock).

    Subjects apart from these keep their credit exactly: their intervals never overlap the others', so no
    second of wall clock, no media and no daily cap is shared. A member's recount is then the few videos of
    one evening, not a year of them.
    """
    parent: dict[str, str] = {}

    def root(subject: str) -> str:
        while parent.setdefault(subject, subject) != subject:
            parent[subject] = parent[parent[subject]]
            subject = parent[subject]
        return subject

    spans = sorted((i.started_at, i.ended_at, subject) for subject, xs in intervals.items() for i in xs
                   if i.ended_at > i.started_at)
    reach, holder = -math.inf, None
    for start, end, subject in spans:
        if holder is not None and start < reach:
            parent[root(subject)] = root(holder)
        if end > reach:
            reach, holder = end, subject
    roots = {root(subject) for subject in touched}
    return {subject for subject in intervals if root(subject) in roots} | set(touched)


class RangeSet:
    """Disjoint half-open ranges kept sorted in two parallel lists: finding what is missing from a span is a
    bisection, adding one replaces a slice (no tuple rebuilt per addition, so many reports stay cheap)."""

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []

    def missing(self, start: float, end: float) -> list[tuple[float, float]]:
        """The parts of [start, end) not in the set, in order."""
        pieces = []
        index = bisect_right(self.ends, start)  # ranges ending at or before `start` cannot overlap
        while index < len(self.starts) and self.starts[index] < end:
            if self.starts[index] > start:
                pieces.append((start, self.starts[index]))
            start = max(start, self.ends[index])
            index += 1
        if start < end:
            pieces.append((start, end))
        return pieces

    def add(self, start: float, end: float) -> None:
        """Add [start, end), merging with the ranges it touches."""
        low = bisect_left(self.ends, start)  # first range that ends at or after `start`
        high = bisect_right(self.starts, end)  # ranges from here start after `end`
        if low < high:
            start, end = min(start, self.starts[low]), max(end, self.ends[high - 1])
        self.starts[low:high] = [start]
        self.ends[low:high] = [end]


def describe(rules: Rules) -> list[tuple[str, dict]]:
    """The rules in words, as message ids with their parameters, in the order a member should read them."""
    return [
        ("study.rule.min_sitting", {"minutes": _nice(rules.min_sitting_s / 60)}),
        ("study.rule.per_video", {}),
        ("study.rule.daily_cap", {"minutes": _nice(rules.daily_cap_s / 60)}),
        ("study.rule.no_replay", {}),
        ("study.rule.wall_clock", {}),
        ("study.rule.still_watching", {}),
        ("study.rule.lesson", {"minutes": _nice(rules.lesson_s / 60)}),
        ("study.rule.target", {"lessons": _nice(rules.annual_target_lessons)}),
    ]


def _nice(number: float) -> int | float:
    """A number as a reader expects it: 2 rather than 2.0, and at most one decimal otherwise."""
    rounded = round(number, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def _normalised(intervals: Iterable[Interval], duration_s: float, zone: ZoneInfo) -> list[tuple[Interval, date]]:
    """The usable intervals, media clipped to the video, exact repeats dropped, in a fixed order, with their day.

    Dropping repeats by content rather than by key makes a re-send harmless even when a box renumbers it; the
    fixed order makes the result independent of the order reports arrived in.
    """
    unique: dict[tuple[float, float, float, float], Interval] = {}
    for interval in intervals:
        numbers = (interval.started_at, interval.ended_at, interval.media_from, interval.media_to)
        if not all(math.isfinite(n) for n in numbers) or interval.ended_at <= interval.started_at:
            continue
        media_from = max(0.0, min(interval.media_from, duration_s))
        media_to = max(media_from, min(interval.media_to, duration_s))
        if media_to <= media_from:
            continue
        clipped = Interval(interval.key, interval.started_at, interval.ended_at, media_from, media_to)
        identity = (clipped.started_at, clipped.ended_at, media_from, media_to)
        # Of two identical reports keep the smaller key, whichever arrived first.
        if identity not in unique or clipped.key < unique[identity].key:
            unique[identity] = clipped
    placed = []
    for _, interval in sorted(unique.items(), key=lambda item: (item[0], item[1].key)):
        day = _local_day(interval.started_at, zone)
        if day is not None:
            placed.append((interval, day))
    return placed


def _local_day(timestamp: float, zone: ZoneInfo) -> date | None:
    """The local date of an epoch timestamp, or None when a broken clock put it outside the calendar."""
    try:
        return datetime.fromtimestamp(timestamp, zone).date()
    except (OverflowError, ValueError, OSError):
        return None


def _sittings(placed: Sequence[tuple[Interval, date]], gap_s: float) -> Iterator[list[tuple[Interval, date]]]:
    """The sorted intervals grouped into sittings: a pause longer than `gap_s` starts a new one."""
    current: list[tuple[Interval, date]] = []
    latest_end = -math.inf
    for interval, day in placed:
        if current and interval.started_at - latest_end > gap_s:
            yield current
            current, latest_end = [], -math.inf
        current.append((interval, day))
        latest_end = max(latest_end, interval.ended_at)
    if current:
        yield current


def _qualifies(sitting: Sequence[tuple[Interval, date]], threshold: float) -> bool:
    """Whether a sitting watched enough, counting both the video seen and the wall-clock time it took."""
    media = _measure(_union((i.media_from, i.media_to) for i, _ in sitting))
    wall = _measure(_union((i.started_at, i.ended_at) for i, _ in sitting))
    return min(media, wall) >= threshold


def _union(ranges: Iterable[tuple[float, float]]) -> Ranges:
    """Merge ranges into sorted disjoint ones (touching ranges join)."""
    merged: list[tuple[float, float]] = []
    for a, b in sorted(r for r in ranges if r[1] > r[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def _measure(ranges: Iterable[tuple[float, float]]) -> float:
    """Total length of disjoint ranges."""
    return math.fsum(b - a for a, b in ranges)


def _first(pieces: Iterable[tuple[float, float]], amount: float) -> list[tuple[float, float]]:
    """The first `amount` seconds of `pieces`, in order."""
    taken = []
    for a, b in pieces:
        if amount <= 0:
            break
        end = min(b, a + amount)
        taken.append((a, end))
        amount -= end - a
    return taken
