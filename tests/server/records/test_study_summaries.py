"""The summaries the report reads (study_months, study_lessons, and the rollups study_branch_months and
study_years) against a direct computation from study_credit,
whatever writes the credit (the recount, plain SQL, a member moved, made inactive or deleted, a lesson's new
length, the migration's backfill), and the report they give against one worked out from the day rows."""

from __future__ import annotations

import random
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.accounts.organisations import add_organisation
from server.core import migrations
from server.core.db import connect, write_transaction
from server.records import reports, watch_log
from server.records.credit import Rules
from server.records.members import EVERYTHING, Scope, add_member, change_member
from server.records.study import FINISHED_SHARE
from server.records.study_summaries import FINISHED_SHARE_KEPT, month_weeks, whole_months

RULES = Rules(min_sitting_s=60, sitting_gap_s=300, daily_cap_s=3600, lesson_s=2700, annual_target_lessons=32)
SUBJECTS = {"item:1": 1800.0, "item:2": 2700.0, "item:3": 600.0, "entry:4": 3600.0}
FIRST_DAY = date(2025, 11, 20)  # the history runs over a new year, months of 4 to 6 weeks
DAYS = 120


def approx(value: float):
    return pytest.approx(value, rel=1e-12, abs=1e-9)


def expected_summaries(db) -> tuple[dict, dict]:
    """study_months and study_lessons as they should be, worked out in Python from study_credit and members."""
    members = {r["id"]: (r["branch_id"], r["active"]) for r in db.execute("SELECT id, branch_id, active FROM members")}
    lengths = dict(db.execute("SELECT subject, duration_s FROM study_subjects").fetchall())
    months: dict[tuple, list] = {}
    credit: dict[tuple, list] = {}
    for row in db.execute("SELECT member_id, day, subject, seconds FROM study_credit ORDER BY member_id, day"):
        day = date.fromisoformat(row["day"])
        key = (row["member_id"], row["day"][:7])
        found = months.setdefault(key, [0.0] * 7)
        week = sum(1 for start in month_weeks(day.year, day.month) if start <= day) - 1
        found[0] += row["seconds"]
        found[1 + week] += row["seconds"]
        credit.setdefault((row["member_id"], row["subject"]), []).append((row["day"], row["seconds"]))
    lessons = {}
    for (member, subject), days in credit.items():
        running, finished = 0.0, None
        for day, seconds in days:
            running += seconds
            if finished is None and running >= FINISHED_SHARE * lengths[subject]:
                finished = day
        lessons[(member, subject)] = (*members[member], days[0][0], days[-1][0], finished, running)
    return ({key: (*members[key[0]], *values) for key, values in months.items()}, lessons)


def assert_summaries_match(db) -> None:
    months, lessons = expected_summaries(db)
    stored = {(r[0], r[1]): tuple(r[2:]) for r in db.execute(
        """SELECT member_id, month, branch_id, active, seconds, week1, week2, week3, week4, week5, week6
           FROM study_months""")}
    assert stored.keys() == months.keys()
    for key, row in stored.items():
        assert row[:2] == months[key][:2], key
        assert row[2:] == tuple(approx(v) for v in months[key][2:]), key
    branch_months: dict[tuple, list] = {}
    years: dict[tuple, float] = {}
    for (member, month), (branch, active, *sums) in months.items():
        found = branch_months.setdefault((month, branch, active), [0] + [0.0] * 7)
        found[0] += 1
        for n, value in enumerate(sums):
            found[1 + n] += value
        years[(member, month[:4])] = years.get((member, month[:4]), 0.0) + sums[0]
    stored = {tuple(r[:3]): tuple(r[3:]) for r in db.execute(
        """SELECT month, branch_id, active, members, seconds, week1, week2, week3, week4, week5, week6
           FROM study_branch_months""")}
    assert stored.keys() == branch_months.keys()
    for key, row in stored.items():
        assert row[0] == branch_months[key][0], key
        assert row[1:] == tuple(approx(v) for v in branch_months[key][1:]), key
    stored = {(r[0], r[1]): r[2] for r in db.execute("SELECT member_id, year, seconds FROM study_years")}
    assert stored == {key: approx(value) for key, value in years.items()}
    stored = {(r[0], r[1]): tuple(r[2:]) for r in db.execute(
        """SELECT member_id, subject, branch_id, active, first_day, last_day, finished_day, seconds
           FROM study_lessons""")}
    assert stored.keys() == lessons.keys()
    for key, row in stored.items():
        assert row[:5] == lessons[key][:5], key
        assert row[5] == approx(lessons[key][5]), key


def a_site(db, now) -> tuple[int, list[int], list[int]]:
    """A subdistrict with two communities of two branches each, eight members, the subjects; (top, branches,
    members)."""
    top = add_organisation(db, "太平街道", "subdistrict").id
    communities = [add_organisation(db, f"社区{n}", "community", top).id for n in range(2)]
    branches = [add_organisation(db, f"支部{n}", "branch", communities[n % 2]).id for n in range(4)]
    members = [add_member(db, EVERYTHING, name=f"党员{n}", branch_id=branches[n % 4], now=now).id for n in range(8)]
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO study_subjects (subject, kind, ref_id, title, duration_s) VALUES (?, ?, ?, ?, ?)",
            [(s, "video" if s.startswith("item") else "programme", int(s.split(":")[1]), f"第{s}讲", d)
             for s, d in SUBJECTS.items()])
    return top, branches, members


def random_day(rng: random.Random) -> str:
    return (FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat()


def random_write(db, rng: random.Random, members: list[int]) -> None:
    """One write of study_credit as any writer might make it: a new row, an upsert, a changed amount, a row moved
    to another day, member or subject, a replaced row, a deleted one; amounts with decimals, now and then 0."""
    member, subject, day = rng.choice(members), rng.choice(list(SUBJECTS)), random_day(rng)
    seconds = 0.0 if rng.random() < 0.05 else round(rng.uniform(1, 1500), 3)
    existing = db.execute("SELECT member_id, day, subject FROM study_credit ORDER BY random() LIMIT 1").fetchone()
    kind = rng.randrange(7) if existing else 0
    if kind == 0:
        db.execute("INSERT OR IGNORE INTO study_credit (member_id, day, subject, seconds) VALUES (?, ?, ?, ?)",
                   [member, day, subject, seconds])
    elif kind == 1:
        db.execute("""INSERT INTO study_credit (member_id, day, subject, seconds) VALUES (?, ?, ?, ?)
                      ON CONFLICT (member_id, day, subject) DO UPDATE SET seconds = excluded.seconds""",
                   [*existing, seconds])
    elif kind == 2:
        db.execute("UPDATE study_credit SET seconds = ? WHERE (member_id, day, subject) = (?, ?, ?)",
                   [seconds, *existing])
    elif kind == 3:
        db.execute("UPDATE OR IGNORE study_credit SET day = ? WHERE (member_id, day, subject) = (?, ?, ?)",
                   [day, *existing])
    elif kind == 4:
        db.execute("UPDATE OR IGNORE study_credit SET member_id = ?, subject = ? WHERE (member_id, day, subject) = "
                   "(?, ?, ?)", [member, subject, *existing])
    elif kind == 5:
        db.execute("INSERT OR REPLACE INTO study_credit (member_id, day, subject, seconds) VALUES (?, ?, ?, ?)",
                   [*existing, seconds])
    else:
        db.execute("DELETE FROM study_credit WHERE (member_id, day, subject) = (?, ?, ?)", list(existing))


@pytest.mark.parametrize("seed", range(3))
def test_the_summaries_follow_every_kind_of_write(ctx, clock, seed):
    db, _ = ctx
    rng = random.Random(seed)
    _, branches, members = a_site(db, clock.now)
    for step in range(400):
        with write_transaction(db):
            random_write(db, rng, members)
        if step % 100 == 99:
            assert_summaries_match(db)
    with write_transaction(db):  # a video's new length: who had finished it changes with it
        db.execute("UPDATE study_subjects SET duration_s = 900.0 WHERE subject = 'item:2'")
    change_member(db, EVERYTHING, members[0], {"active": False}, clock.now)
    change_member(db, EVERYTHING, members[1], {"branch_id": branches[3]}, clock.now)
    assert_summaries_match(db)
    with write_transaction(db):
        db.execute("DELETE FROM members WHERE id = ?", [members[2]])
    assert db.execute("SELECT count(*) FROM study_months WHERE member_id = ?", [members[2]]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM study_lessons WHERE member_id = ?", [members[2]]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM study_years WHERE member_id = ?", [members[2]]).fetchone()[0] == 0
    assert_summaries_match(db)
    with write_transaction(db):
        db.execute("DELETE FROM study_credit")
    for table in ("study_months", "study_lessons", "study_branch_months", "study_years"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_a_branch_week_left_empty_is_zero_not_rounding(ctx, clock):
    """Two members' 0.3 s and 0.9 s in one week of a branch's month, a third's 60 s in another week; the first two
    taken away one after the other: the week is 0, exactly (0.3 + 0.9 - 0.3 - 0.9 is -1.1e-16 in floats)."""
    db, _ = ctx
    _, branches, members = a_site(db, clock.now)
    one, two = members[0], members[4]  # the same branch
    three = add_member(db, EVERYTHING, name="党员九", branch_id=branches[0], now=clock.now).id
    with write_transaction(db):
        db.conn.executemany("INSERT INTO study_credit (member_id, day, subject, seconds) VALUES (?, ?, 'item:1', ?)",
                            [(one, "2026-01-05", 0.3), (two, "2026-01-06", 0.9), (three, "2026-01-20", 60.0)])
    for member, day in ((one, "2026-01-05"), (two, "2026-01-06")):
        with write_transaction(db):
            db.execute("DELETE FROM study_credit WHERE member_id = ? AND day = ?", [member, day])
    row = db.execute("SELECT members, seconds, week2, week4 FROM study_branch_months WHERE month = ?",
                     ["2026-01"]).fetchone()
    assert tuple(row) == (1, approx(60.0), 0.0, approx(60.0))  # a sum that is not 0 may keep its rounding
    assert_summaries_match(db)


def test_the_recount_keeps_the_summaries(ctx, clock):
    """watch_log.recompute (what every watch report ends with) writes the credit; the summaries follow, also when
    a piece is taken away and the recount deletes rows."""
    db, _ = ctx
    rng = random.Random(7)
    _, _, members = a_site(db, clock.now)
    zone = ZoneInfo("Asia/Shanghai")
    start = 1_764_000_000.0  # 2025-11-25
    with write_transaction(db):
        for n in range(300):
            at = start + rng.randrange(DAYS) * 86400 + rng.uniform(0, 80000)
            media = rng.uniform(0, 1500)
            interval = db.execute("INSERT INTO watch_intervals (device_id, key, item_id, started_at, ended_at, "
                                  "received_at) VALUES (NULL, ?, 1, ?, ?, '2025-11-25T00:00:00Z')",
                                  [f"k{n}", at, at + 900]).lastrowid
            db.execute("""INSERT INTO watch_pieces (member_id, subject, interval_id, media_from, media_to, started_at,
                          ended_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                       [rng.choice(members), rng.choice(["item:1", "item:2", "item:3"]), interval, media,
                        media + 900, at, at + 900])
        for member in members:
            watch_log.recompute(db, member, RULES, zone)
    assert db.execute("SELECT count(*) FROM study_credit").fetchone()[0] > 50
    assert_summaries_match(db)
    with write_transaction(db):
        db.execute("DELETE FROM watch_pieces WHERE member_id = ? AND subject = 'item:1'", [members[0]])
        watch_log.recompute(db, members[0], RULES, zone)
    assert_summaries_match(db)


def test_the_migration_fills_the_summaries_from_the_credit_there_is(tmp_path, monkeypatch):
    names = [name for name, _ in migrations.MIGRATIONS]
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:names.index("m024_study_summaries")])
    db = connect(tmp_path / "k.db")
    migrations.migrate(db)
    rng = random.Random(3)
    with write_transaction(db):
        db.execute("INSERT INTO organisations (id, name, kind, created_at) VALUES (1, '支部', 'branch', '')")
        for member in range(1, 6):
            db.execute("INSERT INTO members (id, name, branch_id, active, created_at, updated_at) "
                       "VALUES (?, ?, 1, ?, '', '')", [member, f"党员{member}", int(member != 5)])
        db.conn.executemany("INSERT INTO study_subjects (subject, kind, ref_id, title, duration_s) "
                            "VALUES (?, 'video', 1, 't', ?)", list(SUBJECTS.items()))
        for _ in range(200):
            db.execute("INSERT OR IGNORE INTO study_credit (member_id, day, subject, seconds) VALUES (?, ?, ?, ?)",
                       [rng.randint(1, 5), random_day(rng), rng.choice(list(SUBJECTS)), round(rng.uniform(0, 900), 3)])
    monkeypatch.undo()
    assert migrations.migrate(db)[0] == "m024_study_summaries"
    assert_summaries_match(db)


# ---- the report read from the summaries against one worked out from the day rows ----------------------------

def expected_report(db, scope_branches: set[int], first: date, last: date) -> dict:
    """The report's figures as the day rows give them: each member's period and year, the members who studied per
    month, the seconds per week, each lecture's viewers and finishers (active members of the branches only)."""
    members = {r["id"]: r["active"] for r in db.execute("SELECT id, branch_id, active FROM members")
               if r["branch_id"] in scope_branches}
    lengths = dict(db.execute("SELECT subject, duration_s FROM study_subjects").fetchall())
    year_first = date(last.year, 1, 1)
    sums: dict[int, list[float]] = {}
    months: dict[str, set[int]] = {}
    weeks: dict[date, float] = {}
    seen: dict[tuple[int, str], list] = {}
    for row in db.execute("SELECT member_id, day, subject, seconds FROM study_credit ORDER BY member_id, day"):
        member, day = row["member_id"], date.fromisoformat(row["day"])
        if member not in members or day > last:
            continue
        if day >= min(first, year_first):
            found = sums.setdefault(member, [0.0, 0.0])
            found[0] += row["seconds"] if day >= first else 0.0
            found[1] += row["seconds"] if day >= year_first else 0.0
        lesson = seen.setdefault((member, row["subject"]), [0.0, False])
        lesson[0] += row["seconds"]
        if members[member] and day >= first:
            lesson[1] = True
            months.setdefault(row["day"][:7], set()).add(member)
            week = max(first, day - timedelta(days=day.weekday()))
            weeks[week] = weeks.get(week, 0.0) + row["seconds"]
    lectures: dict[str, list[int]] = {}
    for (_, subject), (total, in_period) in seen.items():
        if in_period:
            counts = lectures.setdefault(subject, [0, 0])
            counts[0] += 1
            counts[1] += total >= FINISHED_SHARE * lengths[subject]
    return {"sums": sums, "months": {k: len(v) for k, v in months.items()}, "weeks": weeks,
            "lectures": {k: tuple(v) for k, v in lectures.items()}}


def assert_report_matches(db, scope: Scope, scope_branches: set[int], period: reports.Period) -> None:
    report = reports.build(db, scope, period, RULES, period.last)
    expected = expected_report(db, scope_branches, period.first, period.last)
    for line in report.members:
        period_s, year_s = expected["sums"].get(line.member_id, (0.0, 0.0))
        assert (line.period_s, line.year_s) == (approx(period_s), approx(year_s)), line
    assert {m: n for m, n in report.months if n} == expected["months"]
    months = (period.last.year - period.first.year) * 12 + period.last.month - period.first.month + 1
    assert len(report.months) == months
    assert {w: s for w, s in report.weeks if s} == {w: approx(s) for w, s in expected["weeks"].items() if s}
    assert {line.subject: (line.viewers, line.finished) for line in report.lectures} == expected["lectures"]


def test_every_kind_of_period_reads_what_the_day_rows_say(ctx, clock):
    db, _ = ctx
    rng = random.Random(11)
    top, branches, members = a_site(db, clock.now)
    for _ in range(500):
        with write_transaction(db):
            random_write(db, rng, members)
    with write_transaction(db):  # watched before and after a month, not in it: not a viewer of that month
        db.execute("DELETE FROM study_credit WHERE member_id = ? AND subject = 'item:3'", [members[3]])
        db.conn.executemany("INSERT INTO study_credit (member_id, day, subject, seconds) VALUES (?, ?, 'item:3', ?)",
                            [(members[3], "2025-12-20", 300.0), (members[3], "2026-02-03", 300.0)])
    change_member(db, EVERYTHING, members[4], {"active": False}, clock.now)
    change_member(db, EVERYTHING, members[5], {"branch_id": branches[0]}, clock.now)
    periods = [reports.parse_period("month", m, date(2026, 3, 1)) for m in ("2025-11", "2025-12", "2026-01", "2026-02")]
    periods += [reports.parse_period("quarter", "2026-Q1", date(2026, 3, 1)),
                reports.parse_period("year", "2025", date(2026, 3, 1)),
                reports.parse_period("year", "2026", date(2026, 3, 1)),
                reports.parse_period("custom", "2025-01-01..2026-12-31", date(2026, 3, 1)),  # whole years: study_years
                reports.parse_period("custom", "2025-12-01..2026-02-28", date(2026, 3, 1)),  # whole months, two years
                reports.parse_period("custom", "2025-12-10..2026-01-20", date(2026, 3, 1)),  # from the day rows
                reports.parse_period("custom", "2026-01-01..2026-01-30", date(2026, 3, 1))]
    assert [whole_months(p.first, p.last) for p in periods] == [True] * 9 + [False] * 2
    everything = set(branches)
    for period in periods:
        assert_report_matches(db, Scope(top), everything, period)
        assert_report_matches(db, Scope(branches[0]), {branches[0]}, period)
    assert db.execute("SELECT first_day, last_day FROM study_lessons WHERE member_id = ? AND subject = 'item:3'",
                      [members[3]]).fetchone()[:] == ("2025-12-20", "2026-02-03")  # so January asks the day rows


def test_a_months_weeks_are_cut_to_the_month():
    assert month_weeks(2026, 2) == [date(2026, 2, 1), date(2026, 2, 2), date(2026, 2, 9), date(2026, 2, 16),
                                    date(2026, 2, 23)]  # 1 February 2026 is a Sunday
    assert month_weeks(2021, 2) == [date(2021, 2, 1), date(2021, 2, 8), date(2021, 2, 15), date(2021, 2, 22)]
    assert len(month_weeks(2026, 8)) == 6  # a Saturday the 1st and 31 days
    assert whole_months(date(2026, 2, 1), date(2026, 2, 28)) and not whole_months(date(2026, 2, 1), date(2026, 2, 27))


def test_the_lessons_keep_the_finished_day_of_the_share_study_uses():
    """A new FINISHED_SHARE needs a migration that works the finished days out again (m024 keeps 0.9's)."""
    assert FINISHED_SHARE_KEPT == FINISHED_SHARE
