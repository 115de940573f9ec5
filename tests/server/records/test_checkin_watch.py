"""What is kept of ended check-in programmes (checkin_watch.py): kept once they end, taken back by every change
to what it came from, and the report's figures the same whether a programme is kept or worked out."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlite_utils import Database

from server.accounts.organisations import add_organisation
from server.core.db import connect, write_transaction
from server.core.timestamps import format_utc
from server.records import attendance, checkin_watch
from server.records.members import EVERYTHING, Scope, add_member

START = datetime(2026, 11, 10, 11, 30, tzinfo=UTC)  # 19:30 in Shanghai
HOUR = 3600.0


@dataclass
class Site:
    db: object
    top: int
    branches: list[int]
    members: list[int]
    keys: int = 0

    def entry(self, entry_id: int, start: datetime, minutes: int = 60, channel: int = 1) -> None:
        with write_transaction(self.db):
            self.db.execute("""INSERT INTO schedule_entries (id, channel, item_id, title, start_at, end_at,
                               created_at, updated_at, checkin_minutes) VALUES (?, ?, 9, ?, ?, ?,
                               '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 15)""",
                            [entry_id, channel, f"主题党日{entry_id}", format_utc(start),
                             format_utc(start + timedelta(minutes=minutes))])

    def watch(self, start: float, end: float, members: list[int], channel: int = 1) -> int:
        self.keys += 1
        with write_transaction(self.db):
            return self.db.execute("""INSERT INTO watch_intervals (key, channel, started_at, ended_at, members,
                                      received_at) VALUES (?, ?, ?, ?, ?, '2026-11-10T13:00:00Z')""",
                                   [f"k{self.keys}", channel, start, end, ",".join(map(str, members))]).lastrowid

    def check_in(self, entry_id: int, member: int, how: str = "tv") -> None:
        with write_transaction(self.db):
            self.db.execute("INSERT INTO attendance (entry_id, member_id, how, at, marked_by) VALUES (?, ?, ?, ?, ?)",
                            [entry_id, member, how, format_utc(START), "admin" if how == "manual" else None])

    def kept(self) -> set[int]:
        return {row[0] for row in self.db.execute("SELECT entry_id FROM checkin_settled")}


@pytest.fixture
def site(ctx, clock) -> Site:
    """A subdistrict with two branches of six members each, a video, and programme 1 on channel 1 (19:30-20:30)."""
    db, _ = ctx
    top = add_organisation(db, "太平街道", "subdistrict").id
    community = add_organisation(db, "东风社区", "community", top).id
    branches = [add_organisation(db, f"第{n}党支部", "branch", community).id for n in (1, 2)]
    members = [add_member(db, EVERYTHING, name=f"党员{n}", branch_id=branches[n % 2], now=clock.now).id
               for n in range(12)]
    with write_transaction(db):
        db.execute("""INSERT INTO items (id, kind, board_id, title, state, hls_path, duration_s, created_at,
                      updated_at) VALUES (9, 'video', 'dangke', '主题党日', 'published', 'vod/9/master.m3u8', 3600,
                      '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')""")
    found = Site(db, top, branches, members)
    found.entry(1, START)
    return found


AFTER = START + timedelta(hours=2)


def test_an_ended_programme_is_kept_once_with_the_watchers_who_did_not_check_in(site):
    start = START.timestamp()
    site.watch(start - 600, start + 3000, site.members[:3])  # 50 of the 60 minutes
    site.watch(start + 2400, start + 3600, site.members[2:4])  # 20 minutes, overlapping member 2's first
    site.check_in(1, site.members[0])
    assert checkin_watch.settle(site.db, START + timedelta(minutes=59)) == 0  # still on air
    assert checkin_watch.settle(site.db, AFTER) == 1
    assert checkin_watch.settle(site.db, AFTER) == 0  # kept already
    rows = dict(site.db.execute("SELECT member_id, seconds FROM checkin_watch WHERE entry_id = 1").fetchall())
    assert rows == {site.members[1]: 3000.0, site.members[2]: 3600.0, site.members[3]: 1200.0}  # not member 0
    kept = checkin_watch.kept(site.db, Scope(site.top), [1], 0.8)[1]
    assert (kept.checked_in, kept.manual, kept.watched) == (1, 0, 2)  # members 1 and 2 watched 80 %
    branch_0 = checkin_watch.kept(site.db, Scope(site.branches[0]), [1], 0.8)[1]
    assert branch_0.watched == 1  # member 2 (members 1 and 3 are in the other branch)
    assert checkin_watch.kept(site.db, Scope(site.top), [1], 0.9)[1].watched == 1  # member 2 alone saw all


def test_only_broadcast_check_in_programmes_are_kept(site):
    site.entry(2, START + timedelta(days=1))  # not yet ended
    site.entry(3, START - timedelta(days=1))
    with write_transaction(site.db):
        site.db.execute("UPDATE schedule_entries SET state = 'preempted' WHERE id = 3")
        site.db.execute("INSERT INTO schedule_entries (id, channel, item_id, title, start_at, end_at, created_at, "
                        "updated_at) VALUES (4, 1, 9, '普通节目', ?, ?, '', '')",
                        [format_utc(START - timedelta(hours=3)), format_utc(START - timedelta(hours=2))])
    assert checkin_watch.settle(site.db, AFTER) == 1
    assert site.kept() == {1}


CHANGES = {
    "a late interval overlapping it": (lambda s: s.watch(START.timestamp() + 60, START.timestamp() + 600,
                                                         s.members[5:6]), False),
    "an interval on another channel": (lambda s: s.watch(START.timestamp(), START.timestamp() + 600,
                                                         s.members[5:6], channel=2), True),
    "an interval ended before it": (lambda s: s.watch(START.timestamp() - 900, START.timestamp(), s.members[5:6]),
                                    True),
    "an interval begun after it": (lambda s: s.watch(START.timestamp() + HOUR, START.timestamp() + HOUR + 60,
                                                     s.members[5:6]), True),
    "an interval growing": (lambda s: s.db.execute("UPDATE watch_intervals SET ended_at = ended_at + 60"), False),
    "an interval's members changed": (lambda s: s.db.execute("UPDATE watch_intervals SET members = ?",
                                                             [str(s.members[6])]), False),
    "an interval deleted": (lambda s: s.db.execute("DELETE FROM watch_intervals"), False),
    "a check-in": (lambda s: s.check_in(1, s.members[7]), False),
    "a mark taken back": (lambda s: s.db.execute("DELETE FROM attendance WHERE how = 'manual'"), False),
    "the programme moved": (lambda s: s.db.execute("UPDATE schedule_entries SET start_at = ?, end_at = ? WHERE id = 1",
                                                   [format_utc(START + timedelta(minutes=5)),
                                                    format_utc(START + timedelta(minutes=65))]), False),
    "the programme pre-empted": (lambda s: s.db.execute("UPDATE schedule_entries SET state = 'preempted'"), False),
    "the window changed": (lambda s: s.db.execute("UPDATE schedule_entries SET checkin_minutes = 20"), False),
    "the programme renamed": (lambda s: s.db.execute("UPDATE schedule_entries SET title = '新名字'"), True),
    "another programme's check-in": (lambda s: (s.entry(2, START + timedelta(days=7)), s.check_in(2, s.members[0])),
                                     True),
}


@pytest.mark.parametrize("change", CHANGES)
def test_what_a_kept_programme_came_from_changing_takes_it_back(site, change):
    start = START.timestamp()
    site.watch(start - 300, start + 3300, site.members[:2])
    site.check_in(1, site.members[3], "manual")
    assert checkin_watch.settle(site.db, AFTER) == 1
    make, stays = CHANGES[change]
    with write_transaction(site.db):
        make(site)
    assert (1 in site.kept()) is stays
    if not stays:
        assert site.db.execute("SELECT count(*) FROM checkin_watch WHERE entry_id = 1").fetchone()[0] == 0


def test_a_box_left_on_the_channel_after_the_end_leaves_it_kept(site):
    """Its interval grows every 30 s long after the programme: what falls inside the programme stays the same."""
    start = START.timestamp()
    interval = site.watch(start - 300, start + HOUR + 60, site.members[:2])
    assert checkin_watch.settle(site.db, AFTER) == 1
    for _ in range(3):
        with write_transaction(site.db):
            site.db.execute("UPDATE watch_intervals SET ended_at = ended_at + 30 WHERE id = ?", [interval])
    assert site.kept() == {1}
    with write_transaction(site.db):  # now it says someone else watched: what was kept is wrong
        site.db.execute("UPDATE watch_intervals SET members = ?, ended_at = ended_at + 30 WHERE id = ?",
                        [str(site.members[4]), interval])
    assert site.kept() == set()


def test_an_interval_moved_into_the_day_before_takes_it_back(site):
    """An interval begun more than a day before a programme is not looked at (LONGEST_SITTING); moved to begin
    within the day, it is."""
    start = START.timestamp()
    interval = site.watch(start - 86400 - 60, start + HOUR, site.members[:1])
    assert checkin_watch.settle(site.db, AFTER) == 1
    with write_transaction(site.db):
        site.db.execute("UPDATE watch_intervals SET started_at = ? WHERE id = ?", [start - 3600, interval])
    assert site.kept() == set()
    checkin_watch.settle(site.db, AFTER)
    assert checkin_watch.kept(site.db, Scope(site.top), [1], 0.8)[1].watched == 1


class DeleteInTheGap(Database):
    """A connection on which another deletes the programme (with its item) just before it takes the write lock."""

    def __init__(self, db: Database):
        super().__init__(connect(db.execute("PRAGMA database_list").fetchone()[2]).conn)
        self.other = connect(db.execute("PRAGMA database_list").fetchone()[2])

    def execute(self, sql, parameters=None):
        if sql == "BEGIN IMMEDIATE":
            self.other.execute("DELETE FROM items WHERE id = 9")
            self.other.conn.commit()
        return super().execute(sql, parameters)


def test_a_programme_deleted_while_it_is_kept_is_passed_over(site):
    site.watch(START.timestamp(), START.timestamp() + HOUR, site.members[:2])
    assert checkin_watch.settle(DeleteInTheGap(site.db), AFTER) == 0
    assert site.kept() == set()


def test_a_deleted_programme_takes_what_was_kept_along(site):
    site.watch(START.timestamp(), START.timestamp() + HOUR, site.members[:2])
    checkin_watch.settle(site.db, AFTER)
    with write_transaction(site.db):
        site.db.execute("DELETE FROM schedule_entries WHERE id = 1")
    assert site.kept() == set()
    assert site.db.execute("SELECT count(*) FROM checkin_watch").fetchone()[0] == 0


@pytest.mark.parametrize("seed", range(3))
def test_the_report_counts_the_same_kept_or_worked_out(site, seed):
    """Random sittings, check-ins and marks at three programmes: the report's check-in lines, for the whole
    subdistrict and for one branch and at several shares, are the same from the kept rows as worked out from
    the intervals; and again after late changes took some programmes back and the next report kept them again."""
    rng = random.Random(seed)
    site.entry(2, START + timedelta(days=7))
    site.entry(3, START + timedelta(days=14), minutes=45, channel=2)
    entries = {1: (START, 60, 1), 2: (START + timedelta(days=7), 60, 1), 3: (START + timedelta(days=14), 45, 2)}

    def activity(count: int) -> None:
        for _ in range(count):
            entry_id = rng.choice(list(entries))
            start, minutes, channel = entries[entry_id]
            a = start.timestamp() + rng.uniform(-1200, minutes * 60)
            site.watch(a, a + rng.uniform(60, 3600), rng.sample(site.members, rng.randint(1, 3)), channel)
            member = rng.choice(site.members)
            if not site.db.execute("SELECT 1 FROM attendance WHERE entry_id = ? AND member_id = ?",
                                   [entry_id, member]).fetchone():
                site.check_in(entry_id, member, rng.choice(["tv", "tv", "manual"]))

    def lines(scope: Scope, share: float) -> list[tuple]:
        found = attendance.report_lines(site.db, scope, START - timedelta(days=1), START + timedelta(days=30),
                                        share, ZoneInfo("Asia/Shanghai"))
        return [(line.entry_id, line.members, line.checked_in, line.manual, line.watched) for line in found]

    def worked_out(scope: Scope, share: float) -> list[tuple]:
        site.db.execute("BEGIN")  # as if nothing were kept
        try:
            site.db.execute("DELETE FROM checkin_settled")
            return lines(scope, share)
        finally:
            site.db.execute("ROLLBACK")

    scopes = [Scope(site.top), Scope(site.branches[1])]
    activity(60)
    now = START + timedelta(days=20)
    taken_back = {1, 2, 3}
    for _ in range(2):
        expected = {(n, share): worked_out(scope, share) for n, scope in enumerate(scopes) for share in (0.3, 0.8)}
        assert site.kept() == {1, 2, 3} - taken_back
        assert checkin_watch.settle(site.db, now) == len(taken_back)
        assert site.kept() == {1, 2, 3}
        for (n, share), figures in expected.items():
            assert lines(scopes[n], share) == figures, (n, share)
        assert any(line[4] for line in expected[(0, 0.3)])  # the test sees watchers at all
        activity(5)  # late reports and marks take some back
        taken_back = {1, 2, 3} - site.kept()
        assert taken_back
