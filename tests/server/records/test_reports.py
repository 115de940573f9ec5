"""The participation report against a fixture computed by hand: members in two communities, credit on known
days, a month, a quarter and the periods' words and refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from server.accounts.organisations import add_organisation
from server.core.db import write_transaction
from server.core.errors import UserError
from server.records import checkin_watch, reports
from server.records.credit import Rules
from server.records.members import EVERYTHING, Scope, add_member
from server.records.reports import parse_period

RULES = Rules(min_sitting_s=120, sitting_gap_s=300, daily_cap_s=3600, lesson_s=2700, annual_target_lessons=32)
NOVEMBER = reports.Period("month", date(2026, 11, 1), date(2026, 11, 30))


@dataclass
class Org:
    db: object
    top: int
    east: int
    west: int
    branch_1: int
    branch_2: int
    branch_3: int
    ids: dict


@pytest.fixture
def org(ctx, clock) -> Org:
    """东风社区 (一支部: 张一, 张二; 二支部: 李一, and 李二 inactive) and 向阳社区 (三支部: 王一, who never studied)."""
    db, _ = ctx
    top = add_organisation(db, "太平街道", "subdistrict").id
    east = add_organisation(db, "东风社区", "community", top).id
    west = add_organisation(db, "向阳社区", "community", top).id
    b1 = add_organisation(db, "一支部", "branch", east).id
    b2 = add_organisation(db, "二支部", "branch", east).id
    b3 = add_organisation(db, "三支部", "branch", west).id
    ids = {}
    for name, branch, active in (("张一", b1, True), ("张二", b1, True), ("李一", b2, True), ("李二", b2, False),
                                 ("王一", b3, True)):
        ids[name] = add_member(db, EVERYTHING, name=name, branch_id=branch, active=active, now=clock.now).id
    with write_transaction(db):
        db.conn.executemany("INSERT INTO study_subjects (subject, kind, ref_id, title, duration_s) "
                            "VALUES (?, ?, ?, ?, ?)",
                            [("item:1", "video", 1, "党课一", 1800.0), ("item:2", "video", 2, "党课二", 2700.0)])
        db.conn.executemany("INSERT INTO study_credit (member_id, day, subject, seconds) VALUES (?, ?, ?, ?)", [
            (ids["张一"], "2026-11-03", "item:1", 1800.0), (ids["张一"], "2026-11-10", "item:2", 1350.0),
            (ids["张一"], "2026-10-20", "item:2", 900.0),  # before November, in the year
            (ids["张二"], "2026-11-15", "item:1", 900.0),  # a Sunday
            (ids["李一"], "2026-12-01", "item:1", 600.0),  # after November
            (ids["李一"], "2026-01-05", "item:2", 2700.0),
            (ids["李二"], "2026-11-20", "item:1", 1800.0)])  # inactive now: listed, counted nowhere
    return Org(db, top, east, west, b1, b2, b3, ids)


def test_a_month_of_the_whole_subdistrict_matches_the_hand_computed_figures(org):
    report = reports.build(org.db, Scope(org.top), NOVEMBER, RULES)
    assert report.organisation == "太平街道"
    assert report.target_s == pytest.approx(30 / 365 * 32 * 2700)  # 7,101 s: the year's target for 30 days
    lines = {m.name: (m.branch, m.community, m.active, m.period_s, m.year_s) for m in report.members}
    assert lines == {"张一": ("一支部", "东风社区", True, 3150.0, 4050.0),
                     "张二": ("一支部", "东风社区", True, 900.0, 900.0),
                     "李一": ("二支部", "东风社区", True, 0.0, 2700.0),
                     "李二": ("二支部", "东风社区", False, 1800.0, 1800.0),
                     "王一": ("三支部", "向阳社区", True, 0.0, 0.0)}
    total = report.total
    assert (total.members, total.participants, total.period_s, total.below_target) == (4, 2, 4050.0, 4)
    assert total.participation == 0.5 and total.per_member_s == 4050.0 / 4
    assert [(b.name, b.community, b.members, b.participants, b.period_s) for b in report.branches] == [
        ("一支部", "东风社区", 2, 2, 4050.0), ("二支部", "东风社区", 1, 0, 0.0), ("三支部", "向阳社区", 1, 0, 0.0)]
    assert [(c.name, c.members, c.participants, c.period_s) for c in report.communities] == [
        ("东风社区", 3, 2, 4050.0), ("向阳社区", 1, 0, 0.0)]
    assert [(m.name, m.period_s) for m in report.below_target()] == [
        ("李一", 0.0), ("王一", 0.0), ("张二", 900.0), ("张一", 3150.0)]
    # 党课一: 张一 and 张二 watched it in November, 张一 to the end; 党课二: 张一, 2,250 of 2,700 s by the 30th.
    assert [(lec.title, lec.viewers, lec.finished) for lec in report.lectures] == [("党课一", 2, 1), ("党课二", 1, 0)]
    # November 2026 begins on a Sunday: the first week is that one day.
    assert report.weeks == ((date(2026, 11, 1), 0.0), (date(2026, 11, 2), 1800.0), (date(2026, 11, 9), 2250.0),
                            (date(2026, 11, 16), 0.0), (date(2026, 11, 23), 0.0), (date(2026, 11, 30), 0.0))
    assert report.months == (("2026-11", 2),)


def test_a_community_sees_itself_and_a_quarter_counts_october_too(org):
    quarter = parse_period("quarter", "2026-Q4", date(2026, 12, 1))
    report = reports.build(org.db, Scope(org.east), quarter, RULES)
    assert report.organisation == "东风社区" and {m.name for m in report.members} == {"张一", "张二", "李一", "李二"}
    assert [b.name for b in report.branches] == ["一支部", "二支部"]
    assert report.total.period_s == 4050.0 + 900.0 + 600.0  # October's 900 s and 李一's December 600 s
    assert report.months == (("2026-10", 1), ("2026-11", 2), ("2026-12", 1))
    assert report.target_s == pytest.approx(92 / 365 * 32 * 2700)


def test_a_branch_whose_members_all_left_still_shows_with_zeros(org):
    org.db.execute("UPDATE members SET active = 0 WHERE id = ?", [org.ids["李一"]])
    report = reports.build(org.db, Scope(org.east), NOVEMBER, RULES)
    assert [(b.name, b.members, b.participation) for b in report.branches] == [("一支部", 2, 1.0), ("二支部", 0, 0.0)]


def test_the_target_runs_to_today_so_the_current_month_is_judged_on_the_days_gone(org):
    mid_month = reports.build(org.db, Scope(org.top), NOVEMBER, RULES, today=date(2026, 11, 15))
    assert mid_month.target_s == pytest.approx(15 / 365 * 32 * 2700)  # 3,551 s: 张一's 3,150 s are still behind
    future = reports.build(org.db, Scope(org.top), parse_period("year", "2027", date(2026, 11, 15)), RULES,
                           today=date(2026, 11, 15))
    assert future.target_s == 0 and future.below_target() == []


def test_communities_of_one_name_under_two_subdistricts_stay_two(org, clock):
    other_top = add_organisation(org.db, "太和街道", "subdistrict").id
    twin = add_organisation(org.db, "东风社区", "community", other_top).id
    branch = add_organisation(org.db, "四支部", "branch", twin).id
    add_member(org.db, EVERYTHING, name="赵一", branch_id=branch, now=clock.now)
    report = reports.build(org.db, EVERYTHING, NOVEMBER, RULES)
    assert sorted((c.name, c.members) for c in report.communities) == [("东风社区", 1), ("东风社区", 3),
                                                                       ("向阳社区", 1)]


@pytest.mark.parametrize(("kind", "value", "first", "last"), [
    ("month", "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("month", "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("quarter", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    ("year", "2025", date(2025, 1, 1), date(2025, 12, 31)),
    ("custom", "2026-01-05..2026-02-10", date(2026, 1, 5), date(2026, 2, 10)),
    ("month", "", date(2026, 12, 1), date(2026, 12, 31)),  # empty: the current one
    ("quarter", " ", date(2026, 10, 1), date(2026, 12, 31)),
])
def test_periods_are_read_as_written(kind, value, first, last):
    period = parse_period(kind, value, date(2026, 12, 1))
    assert (period.first, period.last) == (first, last)
    assert parse_period(kind, period.value(), date(2000, 1, 1)) == period  # its URL form reads back the same


@pytest.mark.parametrize(("kind", "value", "says"), [
    ("week", "2026-01", "week"), ("month", "2026-13", "2026-13"), ("month", "26-1", "26-1"),
    ("quarter", "2026-Q5", "2026-Q5"), ("year", "二〇二六", "二〇二六"), ("year", "0000", "0000"),
    ("custom", "2026-02-10..2026-01-05", "2026-02-10"), ("custom", "2020-01-01..2026-01-01", "5"),
    ("custom", "2026-01-05", "2026-01-05"), (None, "", "None"),
])
def test_a_bad_period_is_refused_in_words_naming_the_value(kind, value, says):
    with pytest.raises(UserError) as refused:
        parse_period(kind, value, date(2026, 12, 1))
    assert says in refused.value.message()


def test_the_target_is_pro_rated_over_each_years_days():
    leap = reports.Period("custom", date(2024, 12, 1), date(2025, 1, 31))
    assert reports.target_seconds(RULES, leap) == pytest.approx((31 / 366 + 31 / 365) * 32 * 2700)


def test_check_ins_and_quizzes_in_the_report_match_the_hand_computed_figures(org):
    """Two check-in programmes in November (60 minutes each, on channel 1) and one in December; a quiz of two
    questions taken three times. Zone UTC+8: 2026-11-30 16:30 UTC is already December there."""
    db = org.db
    zone = ZoneInfo("Asia/Shanghai")
    with write_transaction(db):
        db.execute("""INSERT INTO items (id, kind, board_id, title, state, hls_path, duration_s, created_at,
                      updated_at) VALUES (9, 'video', 'dangke', '党课三', 'published', 'vod/9/master.m3u8', 3600,
                      '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')""")
        for entry_id, start, end in ((1, "2026-11-10T11:30:00Z", "2026-11-10T12:30:00Z"),
                                     (2, "2026-11-24T11:30:00Z", "2026-11-24T12:30:00Z"),
                                     (3, "2026-11-30T16:30:00Z", "2026-11-30T17:30:00Z")):
            db.execute("""INSERT INTO schedule_entries (id, channel, item_id, title, start_at, end_at, created_at,
                          updated_at, checkin_minutes) VALUES (?, 1, 9, ?, ?, ?, '2026-01-01T00:00:00Z',
                          '2026-01-01T00:00:00Z', 15)""", [entry_id, f"主题党日{entry_id}", start, end])
        db.conn.executemany("""INSERT INTO attendance (entry_id, member_id, how, at, marked_by)
                               VALUES (?, ?, ?, '2026-11-10T11:35:00Z', ?)""", [
            (1, org.ids["张一"], "tv", None), (1, org.ids["王一"], "manual", "admin"),
            (1, org.ids["李二"], "tv", None),  # inactive now: counted nowhere
            (2, org.ids["张二"], "tv", None), (3, org.ids["张一"], "tv", None)])
        # 李一 watched 50 of entry 1's 60 minutes (two overlapping sittings), 张二 40: only 李一 watched enough.
        start_1 = datetime(2026, 11, 10, 11, 30, tzinfo=UTC).timestamp()
        db.conn.executemany("""INSERT INTO watch_intervals (key, channel, started_at, ended_at, members, received_at)
                               VALUES (?, 1, ?, ?, ?, '2026-11-10T13:00:00Z')""", [
            ("a", start_1 - 300, start_1 + 1800, str(org.ids["李一"])),
            ("b", start_1 + 1200, start_1 + 3000, str(org.ids["李一"])),
            ("c", start_1, start_1 + 2400, f"{org.ids['张二']},{org.ids['李一']}")])
        db.conn.executemany("""INSERT INTO quiz_questions (id, item_id, position, text, options, correct,
                               updated_at) VALUES (?, 9, ?, ?, '["甲", "乙", "丙"]', 0, '2026-01-01T00:00:00Z')""",
                            [(1, 1, "第一题"), (2, 2, "第二题")])
        for attempt_id, member, score, at, answers in (
                (1, org.ids["张一"], 1, "2026-11-10T13:00:00Z", ((1, 1), (2, 0))),
                (2, org.ids["张一"], 2, "2026-11-11T13:00:00Z", ((1, 1), (2, 1))),
                (3, org.ids["张二"], 0, "2026-11-12T13:00:00Z", ((1, 0), (2, 0))),
                (4, org.ids["张二"], 2, "2026-11-30T17:00:00Z", ((1, 1), (2, 1)))):  # December in Shanghai
            db.execute("INSERT INTO quiz_attempts (id, member_id, item_id, score, total, at) VALUES (?, ?, 9, ?, 2, ?)",
                       [attempt_id, member, score, at])
            db.conn.executemany("INSERT INTO quiz_answers (attempt_id, question_id, choice, correct) "
                                "VALUES (?, ?, 0, ?)", [(attempt_id, q, right) for q, right in answers])
    context = reports.Context(zone, 0.8, datetime(2026, 12, 20, tzinfo=UTC))
    assert checkin_watch.settle(db, context.now) == 3  # as the runner keeps them
    report = reports.build(db, Scope(org.top), NOVEMBER, RULES, context=context)
    assert [(c.title, c.start_local, c.members, c.checked_in, c.manual, c.watched, c.absent) for c in report.checkins
            ] == [("主题党日1", "2026-11-10 19:30", 4, 2, 1, 1, 1), ("主题党日2", "2026-11-24 19:30", 4, 1, 0, 0, 3)]
    assert report.checkins[0].rate == 0.5
    # 张一's best is 2/2, 张二's 0/2 (their 2/2 was in December): an average best of a half.
    assert [(q.title, q.takers, q.attempts, q.average_best) for q in report.quizzes] == [("党课三", 2, 3, 0.5)]
    assert [(q.text, q.answers, q.wrong) for q in report.missed] == [("第二题", 3, 2), ("第一题", 3, 1)]
    east = reports.build(db, Scope(org.west), NOVEMBER, RULES, context=context)  # 向阳社区: 王一 only
    assert [(c.members, c.checked_in, c.manual) for c in east.checkins] == [(1, 1, 1), (1, 0, 0)]
    before = reports.build(db, Scope(org.top), NOVEMBER, RULES,
                           context=reports.Context(zone, 0.8, datetime(2026, 11, 20, tzinfo=UTC)))
    assert [c.title for c in before.checkins] == ["主题党日1"]  # the second had not begun
    db.execute("BEGIN")  # in the caller's transaction: one connection, nothing kept, the same report
    try:
        db.execute("DELETE FROM checkin_settled")
        assert reports.build(db, Scope(org.top), NOVEMBER, RULES, context=context) == report
    finally:
        db.execute("ROLLBACK")
