"""Study-hour credit: the worked examples members ask about, and the promises that hold for any reports."""

from __future__ import annotations

import math
import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.records.credit import (
    Interval,
    Rules,
    coupled_subjects,
    credit_by_day,
    credit_for_member,
    describe,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2024, 3, 1)
# 2024-03-01 20:00 in Shanghai: an evening study session well away from midnight.
EVENING = datetime(2024, 3, 1, 20, 0, tzinfo=SHANGHAI).timestamp()
RULES = Rules()
PROPERTY = settings(max_examples=100, deadline=None)


def watch(start: float, wall_s: float, media_from: float, media_to: float, key: str = "k") -> Interval:
    return Interval(key, start, start + wall_s, media_from, media_to)


def total(by_day) -> float:
    return math.fsum(by_day.values())


def credit(xs, duration_s=3600.0, rules=RULES, zone=SHANGHAI):
    return credit_by_day(xs, duration_s, rules, zone)


def seconds(xs, duration_s=3600.0, rules=RULES):
    return total(credit(xs, duration_s, rules))


def union_measure(spans) -> float:
    measure, reach = 0.0, -math.inf
    for a, b in sorted(spans):
        if b > reach:
            measure += b - max(a, reach)
            reach = b
    return measure


# --- worked examples -----------------------------------------------------------------------------------------------


def test_watching_a_stretch_once_earns_its_length():
    assert credit([watch(EVENING, 600, 0, 600)]) == {DAY: pytest.approx(600)}


def test_replaying_the_same_stretch_an_hour_later_earns_it_once():
    xs = [watch(EVENING, 600, 0, 600, "a"), watch(EVENING + 3600, 600, 0, 600, "b")]
    assert seconds(xs) == pytest.approx(600)


def test_seeking_back_earns_only_the_part_not_seen_before():
    xs = [watch(EVENING, 300, 0, 300, "a"), watch(EVENING + 300, 300, 100, 400, "b")]
    assert seconds(xs) == pytest.approx(400)


def test_a_sitting_shorter_than_the_minimum_earns_nothing():
    assert credit([watch(EVENING, 100, 0, 100)]) == {}


def test_a_pause_within_the_gap_keeps_one_sitting_that_reaches_the_minimum():
    xs = [watch(EVENING, 100, 0, 100, "a"), watch(EVENING + 100 + 300, 100, 100, 200, "b")]
    assert seconds(xs) == pytest.approx(200)


def test_two_short_sittings_hours_apart_earn_nothing():
    xs = [watch(EVENING, 100, 0, 100, "a"), watch(EVENING + 2 * 3600, 100, 100, 200, "b")]
    assert credit(xs) == {}


def test_a_pause_is_measured_from_the_latest_end_in_the_sitting():
    """A short report inside a long one must not make the pause after the long one look longer than it was."""
    xs = [watch(EVENING, 900, 0, 900, "long"), watch(EVENING + 100, 60, 100, 160, "inside"),
          watch(EVENING + 900 + 300, 100, 900, 1000, "after")]  # 100 s alone would be under the minimum
    assert seconds(xs, duration_s=1800) == pytest.approx(1000)


def test_a_short_clip_watched_whole_counts_although_it_is_under_the_minimum():
    assert seconds([watch(EVENING, 60, 0, 60)], duration_s=60) == pytest.approx(60)


def test_a_clock_that_ran_fast_earns_no_more_than_the_wall_clock_time():
    jumped = [watch(EVENING, 60, 0, 600)]
    assert seconds(jumped, duration_s=1800) <= 60 + 1e-6
    # With a lower minimum the same sitting qualifies, and still earns only its minute.
    assert seconds(jumped, duration_s=1800, rules=Rules(min_sitting_s=30)) == pytest.approx(60)


def test_a_long_wall_span_earns_no_more_than_the_video_it_played():
    assert seconds([watch(EVENING, 3600, 0, 600)], duration_s=1800) == pytest.approx(600)


def test_the_daily_cap_holds_and_the_rest_is_earned_the_next_day():
    first = watch(EVENING, 5400, 0, 5400, "a")
    assert credit([first], duration_s=5400) == {DAY: pytest.approx(3600)}
    rest = watch(EVENING + 86400, 1800, 3600, 5400, "b")
    assert credit([first, rest], duration_s=5400) == {DAY: pytest.approx(3600), date(2024, 3, 2): pytest.approx(1800)}


def test_credit_goes_to_the_local_day_the_interval_started():
    before_midnight = datetime(2024, 3, 1, 23, 59, tzinfo=SHANGHAI).timestamp()
    after_midnight = datetime(2024, 3, 2, 0, 30, tzinfo=SHANGHAI).timestamp()  # still 1 March in UTC
    assert datetime.fromtimestamp(after_midnight, ZoneInfo("UTC")).date() == DAY
    # An interval running past midnight counts wholly on the day it started.
    assert set(credit([watch(before_midnight, 600, 0, 600)])) == {DAY}
    assert set(credit([watch(after_midnight, 600, 0, 600)])) == {date(2024, 3, 2)}


def test_the_cap_counts_per_local_day_not_per_utc_day():
    late = datetime(2024, 3, 1, 23, 0, tzinfo=SHANGHAI).timestamp()
    xs = [watch(late, 3600, 0, 3600, "a"), watch(late + 3600 + 60, 1800, 3600, 5400, "b")]  # 00:01 next local day
    assert credit(xs, duration_s=5400) == {DAY: pytest.approx(3600), date(2024, 3, 2): pytest.approx(1800)}


def test_media_outside_the_video_is_clipped():
    assert seconds([watch(EVENING, 900, -100, 800)], duration_s=600) == pytest.approx(600)


@pytest.mark.parametrize("bad", [
    watch(EVENING, 600, 0, math.nan),
    watch(EVENING, 600, math.inf, 600),
    Interval("k", EVENING, math.inf, 0, 600),
    watch(EVENING, 0, 0, 600),  # no wall-clock time
    watch(EVENING, -600, 0, 600),  # ended before it started
    watch(EVENING, 600, 300, 300),  # no video
    watch(EVENING, 600, 400, 300),  # backwards
    Interval("k", 1e15, 1e15 + 600, 0, 600),  # a clock beyond the calendar
])
def test_unusable_reports_are_ignored(bad):
    good = watch(EVENING + 7200, 600, 0, 600, "good")
    assert credit([bad]) == {}
    assert credit([bad, good]) == credit([good])


@pytest.mark.parametrize("duration_s", [0.0, -5.0, math.nan, math.inf])
def test_a_video_without_a_usable_length_earns_nothing(duration_s):
    assert credit([watch(EVENING, 600, 0, 600)], duration_s=duration_s) == {}


def test_a_sliver_reported_over_the_same_minutes_takes_nothing_away():
    """Only the seconds credited are spent: a report of ten seconds of video over ten minutes of wall clock
    spends ten seconds, and the full report of those minutes still earns the rest."""
    full = watch(EVENING, 600, 0, 600, "a")
    sliver = watch(EVENING, 600, 0, 10, "b")  # sorts first: same start and end, smaller media
    assert seconds([full]) == pytest.approx(600)
    assert seconds([full, sliver]) == pytest.approx(600)


def test_videos_claimed_at_the_same_time_share_the_minutes():
    """A box that says five videos played in the same half hour earns that member half an hour, not two and a
    half hours: the wall clock is the member's own across videos."""
    xs = {f"item:{n}": [watch(EVENING, 1800, 0, 1800, f"k{n}")] for n in range(5)}
    found = credit_for_member(xs, {subject: 3600.0 for subject in xs}, RULES, SHANGHAI)
    assert math.fsum(found.values()) == pytest.approx(1800)
    later = {**xs, "item:9": [watch(EVENING + 1800, 600, 0, 600, "k9")]}
    found = credit_for_member(later, {subject: 3600.0 for subject in later}, RULES, SHANGHAI)
    assert math.fsum(found.values()) == pytest.approx(2400) and found[("item:9", DAY)] == pytest.approx(600)


def test_describe_the_default_rules():
    assert describe(RULES) == [
        ("study.rule.min_sitting", {"minutes": 2}),
        ("study.rule.per_video", {}),
        ("study.rule.daily_cap", {"minutes": 60}),
        ("study.rule.no_replay", {}),
        ("study.rule.wall_clock", {}),
        ("study.rule.still_watching", {}),
        ("study.rule.lesson", {"minutes": 45}),
        ("study.rule.target", {"lessons": 32}),
    ]
    assert all(type(params[name]) is int for _, params in describe(RULES) for name in params)


def test_describe_keeps_a_fraction_when_the_rule_has_one():
    described = dict(describe(Rules(min_sitting_s=90, annual_target_lessons=24.5, daily_cap_s=100)))
    assert described["study.rule.min_sitting"] == {"minutes": 1.5}
    assert described["study.rule.target"] == {"lessons": 24.5}
    assert described["study.rule.daily_cap"] == {"minutes": 1.7}


# --- properties ------------------------------------------------------------------------------------------------------

# Starts mostly within a couple of hours (so sittings form and qualify), sometimes spread over a few days; whole
# seconds mostly, with fractions now and then.
starts = st.one_of(st.integers(0, 7200), st.integers(0, 4 * 86400))
spans = st.one_of(st.integers(-10, 4000), st.floats(-10, 4000))
positions = st.integers(-100, 8000)
durations = st.one_of(st.integers(1, 7200), st.floats(1, 7200)).map(float)
rules = st.builds(
    Rules,
    min_sitting_s=st.integers(0, 600).map(float),
    sitting_gap_s=st.integers(0, 1200).map(float),
    daily_cap_s=st.integers(0, 7200).map(float),
)


def _interval(key: str, start: int, wall_s: float, media_from: int, media_s: float) -> Interval:
    return Interval(key, EVENING + start, EVENING + start + wall_s, float(media_from), media_from + media_s)


intervals = st.builds(_interval, st.sampled_from("abcd"), starts, spans, positions, spans)
reports = st.lists(intervals, max_size=12)
settings_ = st.one_of(st.just(RULES), rules)


@PROPERTY
@given(reports, durations, settings_)
def test_credit_stays_within_every_bound(xs, duration_s, rules_):
    """One test for the four limits (one set of examples is cheaper than four): the video's length, the daily cap,
    the wall-clock time actually spent, and only days on which someone started watching."""
    by_day = credit(xs, duration_s, rules_)
    assert total(by_day) <= duration_s + 1e-6, "more credit than the video is long"
    assert all(0 < s <= rules_.daily_cap_s + 1e-6 for s in by_day.values()), "a day over the cap, or an empty day"
    spent = union_measure((x.started_at, x.ended_at) for x in xs if x.ended_at > x.started_at)
    assert total(by_day) <= spent + 1e-6, "more credit than wall-clock time spent"
    started = {datetime.fromtimestamp(x.started_at, SHANGHAI).date() for x in xs}
    assert set(by_day) <= started, "credit on a day nobody started watching"


@PROPERTY
@given(intervals, durations, settings_)
def test_one_report_earns_at_most_its_wall_time_and_its_video(x, duration_s, rules_):
    seen = min(max(x.media_to, 0), duration_s) - min(max(x.media_from, 0), duration_s)
    assert total(credit([x], duration_s, rules_)) <= max(0.0, min(x.ended_at - x.started_at, seen)) + 1e-6


@PROPERTY
@given(reports, durations, settings_)
def test_sending_the_reports_again_changes_nothing(xs, duration_s, rules_):
    once = credit(xs, duration_s, rules_)
    assert credit(xs + xs, duration_s, rules_) == once
    renamed = [Interval(x.key + "-again", x.started_at, x.ended_at, x.media_from, x.media_to) for x in xs]
    assert credit(renamed + xs, duration_s, rules_) == once


@PROPERTY
@given(reports, durations, settings_, st.randoms(use_true_random=False))
def test_the_order_reports_arrive_in_changes_nothing(xs, duration_s, rules_, rng: random.Random):
    shuffled = list(xs)
    rng.shuffle(shuffled)
    assert credit(shuffled, duration_s, rules_) == credit(xs, duration_s, rules_)


@PROPERTY
@given(reports, intervals, durations, settings_)
def test_a_later_report_never_takes_credit_away(xs, later, duration_s, rules_):
    """A report starting after every earlier one can only add credit: it joins the last sitting or starts one."""
    last = max((x.started_at for x in xs), default=EVENING)
    later = Interval(later.key, later.started_at + last + 1 - EVENING, later.ended_at + last + 1 - EVENING,
                     later.media_from, later.media_to)
    assert total(credit(xs + [later], duration_s, rules_)) >= total(credit(xs, duration_s, rules_)) - 1e-6


subjects = st.dictionaries(st.sampled_from(["item:1", "item:2", "item:3"]), reports, max_size=3)


@PROPERTY
@given(subjects, durations, settings_)
def test_across_videos_a_member_earns_at_most_the_wall_clock_time_spent(by_subject, duration_s, rules_):
    durations_ = {subject: duration_s for subject in by_subject}
    found = credit_for_member(by_subject, durations_, rules_, SHANGHAI)
    spent = union_measure((x.started_at, x.ended_at) for xs in by_subject.values() for x in xs
                          if x.ended_at > x.started_at)
    assert math.fsum(found.values()) <= spent + 1e-6
    for subject in by_subject:  # and no video more than it is long
        assert math.fsum(v for (s, _), v in found.items() if s == subject) <= duration_s + 1e-6


@PROPERTY
@given(subjects, durations, settings_, st.sets(st.sampled_from(["item:1", "item:2", "item:3"]), min_size=1))
def test_recounting_the_coupled_subjects_alone_gives_their_full_credit(by_subject, duration_s, rules_, touched):
    """What watch_log recounts after a report (the touched videos and those sharing wall-clock time with them)
    is exactly what a recount of everything gives them."""
    durations_ = {subject: duration_s for subject in [*by_subject, *touched]}
    full = credit_for_member(by_subject, durations_, rules_, SHANGHAI)
    coupled = coupled_subjects(by_subject, touched)
    part = credit_for_member({s: by_subject.get(s, []) for s in coupled}, durations_, rules_, SHANGHAI)
    assert part == {key: value for key, value in full.items() if key[0] in coupled}
