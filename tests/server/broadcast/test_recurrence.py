"""Recurring rules expanded with APScheduler's cron trigger, in Asia/Shanghai (no DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from server.broadcast.recurrence import cron_from_request, occurrences
from server.core.errors import UserError

ZONE = "Asia/Shanghai"


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def expand(cron, first, last=None, until=None):
    until = until or utc(2027, 12, 31)
    return [moment.astimezone(UTC) for moment in occurrences(cron, ZONE, first, last, until)]


def test_weekly_tuesday_evening_is_stored_in_utc():
    cron = cron_from_request("weekly", "19:30", ["tue"])
    starts = expand(cron, date(2026, 11, 23), date(2026, 12, 15))
    assert starts == [utc(2026, 11, 24, 11, 30), utc(2026, 12, 1, 11, 30), utc(2026, 12, 8, 11, 30),
                      utc(2026, 12, 15, 11, 30)]


def test_crontab_day_numbers_mean_what_crontab_means():
    # In crontab 2 is Tuesday; APScheduler 3 alone would read it as Wednesday.
    assert cron_from_request("cron", cron="30 19 * * 2") == "30 19 * * tue"
    assert cron_from_request("cron", cron="0 9 * * 0,7") == "0 9 * * sun,sun"
    assert cron_from_request("cron", cron="0 9 * * 1-5") == "0 9 * * mon-fri"


def test_daily_rule_crosses_month_ends_and_the_utc_date_line():
    # 07:00 Beijing is 23:00 UTC the day before: dates must follow the local calendar.
    cron = cron_from_request("daily", "7:00")
    starts = expand(cron, date(2027, 1, 30), date(2027, 2, 2))
    assert starts == [utc(2027, 1, 29, 23), utc(2027, 1, 30, 23), utc(2027, 1, 31, 23), utc(2027, 2, 1, 23)]
    starts = expand(cron, date(2027, 2, 27), date(2027, 3, 1))
    assert [s.day for s in starts] == [26, 27, 28]  # Feb 27, Feb 28 and Mar 1 local


def test_monthly_on_the_31st_skips_short_months():
    starts = expand("0 20 31 * *", date(2027, 1, 1), date(2027, 8, 31))
    assert [(s.month, s.day) for s in starts] == [(1, 31), (3, 31), (5, 31), (7, 31), (8, 31)]


def test_open_ended_rules_stop_at_until():
    starts = expand("0 8 * * *", date(2026, 12, 1), None, until=utc(2026, 12, 3, 12))
    assert len(starts) == 3


@pytest.mark.parametrize(("repeat", "kwargs", "message"), [
    ("hourly", {}, "schedule.bad_repeat"),
    ("daily", {"at": "25:00"}, "schedule.bad_time_of_day"),
    ("weekly", {"at": "19:30"}, "schedule.days_missing"),
    ("weekly", {"at": "19:30", "days": ["funday"]}, "schedule.bad_day"),
    ("cron", {"cron": "30 19 * *"}, "schedule.bad_cron"),
    ("cron", {"cron": "99 19 * * *"}, "schedule.bad_cron"),
])
def test_bad_rules_say_what_is_wrong(repeat, kwargs, message):
    with pytest.raises(UserError) as raised:
        cron_from_request(repeat, **kwargs)
    assert raised.value.message_id == message


def test_a_rule_in_the_hour_clocks_go_back_airs_once_that_night_and_the_expansion_ends():
    """Europe/Berlin repeats 02:00-03:00 on 2026-10-25: "30 2 * * *" once a day, and no endless search."""
    from datetime import UTC, date, datetime

    from server.broadcast.recurrence import occurrences

    found = list(occurrences("30 2 * * *", "Europe/Berlin", date(2026, 10, 24), None,
                             datetime(2026, 10, 27, 12, tzinfo=UTC)))
    assert [f"{m:%Y-%m-%d %H:%M}" for m in found] == ["2026-10-24 02:30", "2026-10-25 02:30", "2026-10-26 02:30",
                                                      "2026-10-27 02:30"]
    assert found[1].utcoffset().total_seconds() == 7200  # the first 02:30 (summer time)
