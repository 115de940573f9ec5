"""Recurring broadcast rules ("支部党课 every Tuesday at 19:30") expanded with APScheduler's cron trigger.

A rule is stored as a five-field crontab line (minute hour day month
day-of-week) in a named time zone, with a first and an optional last date.
Day-of-week numbers follow crontab (0 or 7 = Sunday) and are turned into
names before they reach APScheduler 3, whose own numbering starts at Monday.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from server.core.errors import UserError

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_DOW_NUMBER = re.compile(r"\d+")


def _day_name(token: str) -> str:
    """One crontab day-of-week token as APScheduler understands it."""
    token = token.strip().lower()
    if token.isdigit():
        number = int(token)
        if number > 7:
            raise UserError("schedule.bad_day", value=token)
        return DAY_NAMES[number % 7]
    if token[:3] in DAY_NAMES:
        return token[:3]
    raise UserError("schedule.bad_day", value=token)


def _convert_dow(field: str) -> str:
    if field == "*":
        return field
    parts = []
    for part in field.split(","):
        if "-" in part:
            low, high = part.split("-", 1)
            parts.append(f"{_day_name(low)}-{_day_name(high)}")
        else:
            parts.append(_day_name(part))
    return ",".join(parts)


def cron_from_request(repeat: str, at: str | None = None, days: list | None = None, cron: str | None = None) -> str:
    """The canonical cron line for a rule given as daily/weekly (with a time) or as crontab text."""
    if repeat in ("daily", "weekly"):
        match = _TIME.fullmatch(str(at or "").strip())
        if not match:
            raise UserError("schedule.bad_time_of_day", value=at or "")
        hour, minute = int(match.group(1)), int(match.group(2))
        if repeat == "daily":
            return f"{minute} {hour} * * *"
        if not days:
            raise UserError("schedule.days_missing")
        return f"{minute} {hour} * * {','.join(_day_name(str(day)) for day in days)}"
    if repeat == "cron":
        fields = str(cron or "").split()
        if len(fields) != 5:
            raise UserError("schedule.bad_cron", value=cron or "")
        fields[4] = _convert_dow(fields[4])
        line = " ".join(fields)
        trigger(line, "UTC", date(2000, 1, 1), None)  # refuse what APScheduler would refuse, now
        return line
    raise UserError("schedule.bad_repeat", value=repeat)


def trigger(cron: str, zone: str, first: date, last: date | None) -> CronTrigger:
    """APScheduler's trigger for a rule, bounded by its first and last dates (inclusive, local)."""
    tz = ZoneInfo(zone)
    minute, hour, day, month, day_of_week = cron.split()
    start = datetime.combine(first, time(0, 0), tz)
    end = datetime.combine(last, time(23, 59, 59), tz) if last else None
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week,
                           start_date=start, end_date=end, timezone=tz)
    except ValueError as error:
        raise UserError("schedule.bad_cron", value=cron) from error


def occurrences(cron: str, zone: str, first: date, last: date | None, until: datetime) -> Iterator[datetime]:
    """Every start of a rule from its first date up to `until` (aware), in order, in the rule's zone.

    The search moves on in UTC: wall-clock arithmetic drops `fold`, and in the hour a zone repeats
    when its clocks go back it would find the same moment for ever. A programme whose time falls in
    that hour airs once, at its first occurrence.
    """
    rule = trigger(cron, zone, first, last)
    previous = None
    now = datetime.combine(first, time(0, 0), ZoneInfo(zone))
    while True:
        moment = rule.get_next_fire_time(previous, now)
        if moment is None or moment > until:
            return
        if not (previous is not None and moment.replace(tzinfo=None) == previous.replace(tzinfo=None)):
            yield moment
        previous, now = moment, (moment.astimezone(UTC) + timedelta(seconds=1)).astimezone(moment.tzinfo)
