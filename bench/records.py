"""Study records at an organisation's scale: a year of watch history, the reports read from it, and the intake.

Part A, the database, in this process (no server): a site (create_app, so the migrations run) with
1 subdistrict, 10 communities, 50 branches and --members members (10,000), households of 1-3 members
with one approved box each, --items published videos (600-3600 s) and a year (--year, the last whole
one by default) of watch history: about 100 intervals per member (--intervals, 1,000,000), in
sittings of 1-4 intervals of 5-45 minutes on random days between 7:00 and 22:00, mostly going on
where the last sitting stopped, sometimes seeking, sometimes watching a finished video again; a
third of the sittings are watched by the whole household together. Loading: the intervals and their
pieces are inserted with executemany in one transaction each 100,000, as watch_log._store would write
them, then every member's credit is worked out by the real watch_log.recompute (a member at a time); the
first --intake-households households go through the real intake, watch_log.record_batch, in batches
of 100 per box (its rate is printed; --load intake sends every household that way).
The year's check-in programmes and quizzes, inserted the same way (load_events): 主题党日 every Friday 19:30
(60 min on channel 1, check-in for 15 min, a schedule entry of a bench video); at each, about half the households
tune in (1 or 2 channel intervals covering parts of it, naming the household's members, as boxes report them:
about 3,500 a week) and about 80 % of their members check in on the box, and a few % of the others are marked
by an administrator: about 40 % of the members check in, and the rest of the watchers are "watched, not checked
in". Quizzes of 3 questions on 20 videos, and about 2 attempts per member over the year with their answers.
Printed: the programmes, attendance rows, channel intervals and quiz attempts loaded.
Then the year's check-in programmes are kept (checkin_watch.settle, as the runner's reconcile does after each
programme ends; its time is printed as settle_ms), and, 21 times each (medians and p95, after one warm-up), on a
fresh connection:
  member_year     study.seconds_between for a random member over the year (and study.summary,
                  study.months_of_year)                 reference: SELECT count(*) FROM watch_pieces
                                                        WHERE member_id = ? (member_year_vs_scan)
  branch_month    reports.build for a random branch and month (every table and chart of the report page,
                  its check-in programmes and quizzes; built as the console does, in the site's zone, after the year)
                                                        reference: the same sum as a plain
                                                        join members x study_credit (branch_month_vs_join)
  report_year     reports.build for the whole organisation over the year (members, branches, communities,
                  lectures, weeks, months, the 52 check-in programmes with their attendance and "watched, not
                  checked in", the quizzes and the questions most missed)   reference: the full scan
                                                        SELECT sum(seconds) FROM study_credit (vs_scan)
  report_year_unkept  the same with no programme kept (each worked out from its intervals, as a report finds one
                  that is still on air or was just changed), 7 times
  watch checkpoint  watch_log.record_batch of one growing interval of a video the member watched before, as
                  POST /watch runs it (HTTP aside)      reference: the box's other 30-second write, a position
                                                        and what it plays, in one transaction (checkpoint_vs_position)
Goals: member_year and branch_month < 200 ms, report_year < 500 ms.

Part B, HTTP (--no-server skips it): `keting serve` (its nginx front, one worker; --workers N) on that
database, --boxes boxes (1,000) paired through the real functions before it starts, each with a household
of one member of the year above, over ladders whose segments exist (one file hard-linked). Two phases of
bench/boxes.py's load (run_boxes: 30 % live, 30 % video, the rest in the menus; --ramp, then --seconds
measured): the first as the client was before watch reports (positions by PUT every 30 s), the second as
the client is now: a playing box POSTs what it plays to /api/v1/watch every 30 s (the same key, a later
end), a video's checkpoint carrying its resume point instead of the position PUT; and, so that every one
of the boxes reports every 30 s, the boxes the model keeps in the menus report as if each played a
lecture too; --study-share of them open GET /api/v1/study/<member> once. Printed: the boxes' tables, the
watch POSTs' p50/p99 and errors (a refused interval counts as one), and watch_p99_vs_without = the boxes'
p99 with the reports over their p99 without (--control adds a third phase without them, and the reference
is the mean of the two). The boxes benchmark's goal: p99 < 100 ms and no error. The load averages are
printed: on a shared machine other work takes CPU from the server and the boxes alike.

Ends with one line:
  RESULT members= intervals= member_year_ms= branch_month_ms= report_year_ms= report_year_unkept_ms= settle_ms=
         load_s= checkins= quiz_attempts=
         watch_p99_ms= errors=
         vs_scan= boxes_p99_ms= watch_p99_vs_without= watch_cpu_ms=   (the HTTP fields only with the server;
         boxes_p99_ms: every request of phase 2, the reports included; vs_scan: report_year over the full scan;
         watch_cpu_ms: the server's CPU (gunicorn and nginx, from /proc) in phase 2 less that without the
         reports, per watch POST (most replace a position PUT): other work on the machine moves it far less
         than it moves latencies; checkins: attendance rows, quiz_attempts: attempts loaded; intervals: the
         video intervals, the channel intervals of the check-in programmes aside)

    .venv/bin/python bench/records.py [--members 10000] [--intervals N] [--items 200] [--year Y]
        [--load raw|intake] [--intake-households 100] [--no-server | --boxes 1000 --seconds 60 --ramp 30 --control]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import boxes as fleet  # noqa: E402
from local_server import start_server  # noqa: E402

from server import create_app  # noqa: E402
from server.accounts.devices import approve_device, claim_token, register_device, report_playing  # noqa: E402
from server.accounts.organisations import add_organisation  # noqa: E402
from server.catalogue.positions import save_position  # noqa: E402
from server.core.db import connect, write_transaction  # noqa: E402
from server.core.timestamps import format_utc  # noqa: E402
from server.records import checkin_watch, reports, study, watch_log  # noqa: E402
from server.records.members import Scope  # noqa: E402
from server.records.study_settings import rules_from  # noqa: E402
from server.web.context import current_lineup  # noqa: E402
from stb_client.ui.watch import CHECKPOINT_SECONDS as WATCH_EVERY_S  # noqa: E402
from tests.support.fake_vod import write_vod  # noqa: E402

COMMUNITIES, BRANCHES = 10, 50
LADDER_SECONDS = (600, 900, 1200, 1500, 1800, 2400, 3000, 3600)  # the videos' lengths (each a shared ladder)
SEGMENT_BYTES = 300_000  # about a 2 s segment of the 720p rung
REPEATS = 21
UNKEPT_REPEATS = 7  # the year report with nothing kept (each run deletes and restores 50,000 kept rows)
FLUSH_ROWS = 100_000
MEMBER_GOAL_MS, BRANCH_GOAL_MS, ORG_YEAR_GOAL_MS = 200.0, 200.0, 500.0
PROGRAMME_MINUTES, CHECKIN_MINUTES = 60, 15  # the weekly check-in programme (主题党日)
QUIZ_VIDEOS, QUIZ_QUESTIONS = 20, 3


# ---- Part A: the site and a year of history ----------------------------------------------------------------

def build_site(folder: Path, members: int, items: int, seed: int) -> dict:
    """Organisations, members in households with one box each, videos; returns what the history needs."""
    media = folder / "media"
    app = create_app({"INSTANCE": str(folder / "instance"), "DATABASE": str(folder / "k.db"),
                      "MEDIA_ROOT": str(media), "ORIGINALS_DIR": str(folder / "originals")})
    with app.app_context():
        lineup = current_lineup()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    stamp = format_utc(now)
    db = connect(folder / "k.db")
    street = add_organisation(db, "太平街道", "subdistrict", now=now).id
    communities = [add_organisation(db, f"第{c + 1}社区", "community", street, now=now).id for c in range(COMMUNITIES)]
    branches = [add_organisation(db, f"第{b + 1}党支部", "branch", communities[b % COMMUNITIES], now=now).id
                for b in range(BRANCHES)]
    boards = list(lineup.channels[0].filler) if lineup.channels else []
    boards = boards or [b.id for b in lineup.boards if b.kind in ("video", "mixed")]
    for seconds in LADDER_SECONDS:
        ladder(media, seconds)
    videos: list[tuple[int, float]] = []
    households: list[tuple[int, list[int]]] = []
    with write_transaction(db):
        for n in range(items):
            seconds = rng.choice(LADDER_SECONDS)
            item_id = db.execute(
                """INSERT INTO items (kind, board_id, title, state, publish_at, duration_s, hls_path, created_at,
                   updated_at) VALUES ('video', ?, ?, 'published', ?, ?, ?, ?, ?)""",
                [boards[n % len(boards)], f"党课第{n + 1}讲", format_utc(now - timedelta(days=400, minutes=n)),
                 float(seconds), f"vod/bench-{seconds}/master.m3u8", stamp, stamp]).lastrowid
            videos.append((item_id, float(seconds)))
        # What watch_log._remember_subject keeps for a video, written once here for the raw load.
        db.conn.executemany("INSERT INTO study_subjects (subject, kind, ref_id, title, duration_s) "
                            "VALUES (?, 'video', ?, (SELECT title FROM items WHERE id = ?), ?)",
                            [(f"item:{i}", i, i, d) for i, d in videos])
        per_branch = members // BRANCHES
        member_no = 0
        for branch in branches:
            left = per_branch
            while left:
                size = min(left, rng.choice((1, 1, 2, 2, 2, 3)))
                left -= size
                household = db.execute("INSERT INTO households (name, created_at) VALUES ('', ?)",
                                       [stamp]).lastrowid
                device = db.execute(
                    """INSERT INTO devices (serial, name, state, org_id, registered_at, approved_at, household_id)
                       VALUES (?, ?, 'approved', ?, ?, ?, ?)""",
                    [f"HH-{household:06d}", f"家庭{household}", branch, stamp, stamp, household]).lastrowid
                ids = []
                for _ in range(size):
                    member_no += 1
                    ids.append(db.execute(
                        """INSERT INTO members (name, branch_id, member_no, household_id, created_at, updated_at)
                           VALUES (?, ?, ?, ?, ?, ?)""",
                        [f"党员{member_no:05d}", branch, f"M{member_no:06d}", household, stamp, stamp]).lastrowid)
                households.append((device, ids))
    db.close()
    return {"app": app, "top": street, "branches": branches, "videos": videos, "households": households,
            "zone": ZoneInfo(app.config["TIMEZONE"]), "rules": rules_from(app.config), "media": media}


def ladder(media: Path, seconds: int) -> None:
    """A video's ladder of `seconds` whose playlists and segments exist (every segment one file, hard-linked)."""
    base = f"vod/bench-{seconds}"
    write_vod(media, base, seconds)
    blob = media / "vod" / "segment.bin"
    if not blob.exists():
        blob.write_bytes(os.urandom(SEGMENT_BYTES))
    for rendition in (media / base).iterdir():
        if rendition.is_dir():
            for index in range(math.ceil(seconds / 2)):
                os.link(blob, rendition / f"seg_{index:05d}.ts")


def household_history(rng: random.Random, members: list[int], budget: int, videos: list[tuple[int, float]],
                      midnights: list[float]) -> list[tuple]:
    """About `budget` intervals of one household: (item, from, to, started, ended, watchers) in sittings."""
    progress: dict[tuple[int, ...], dict[int, float]] = {}
    durations = dict(videos)
    out: list[tuple] = []
    while len(out) < budget:
        watchers = tuple(members) if len(members) == 1 or rng.random() < 0.33 else (rng.choice(members),)
        seen = progress.setdefault(watchers, {})
        if seen and rng.random() < 0.6:
            item = rng.choice(list(seen))
        else:
            item = rng.choice(videos)[0]
        length, position = durations[item], seen.get(item, 0.0)
        if position > length - 120:
            position = 0.0  # finished: watched again from the start
        clock = rng.choice(midnights) + rng.uniform(7 * 3600, 22 * 3600)
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            if len(out) >= budget or length - position < 60:
                break
            span = min(length - position, rng.uniform(300, 2700))
            ended = clock + span + rng.uniform(0, 3)
            out.append((item, round(position, 3), round(position + span, 3), round(clock, 3), round(ended, 3),
                        watchers))
            position += span
            clock = ended + (rng.uniform(5, 300) if rng.random() < 0.5 else 1.0)
            if rng.random() < 0.1:  # a seek, back or ahead
                position = min(max(0.0, position + rng.uniform(-600, 600)), max(0.0, length - 60))
        seen[item] = position
    return out


def load_history(folder: Path, site: dict, args: argparse.Namespace) -> dict:
    """Generate and store the year's intervals: raw rows + recompute, and the real intake for some households."""
    rng = random.Random(args.seed + 1)
    zone, rules = site["zone"], site["rules"]
    start = datetime(args.year, 1, 1, tzinfo=zone)
    days = (date(args.year + 1, 1, 1) - date(args.year, 1, 1)).days
    midnights = [(start + timedelta(days=d)).timestamp() for d in range(days)]
    households, members = site["households"], sum(len(h[1]) for h in site["households"])
    per_member = args.intervals / members
    intake_count = len(households) if args.load == "intake" else min(args.intake_households, len(households))
    db = connect(folder / "k.db")
    times = {"generate": 0.0, "insert": 0.0, "recompute": 0.0, "intake": 0.0}
    credited: set[int] = set()  # the members whose credit the raw load must work out
    interval_rows: list[tuple] = []
    piece_rows: list[tuple] = []
    next_id = 1
    intake_intervals = 0

    def flush() -> None:
        began = time.perf_counter()
        with write_transaction(db):
            db.conn.executemany(
                """INSERT INTO watch_intervals (id, device_id, key, item_id, media_from, media_to, started_at,
                   ended_at, members, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", interval_rows)
            db.conn.executemany(
                """INSERT INTO watch_pieces (member_id, subject, interval_id, media_from, media_to, started_at,
                   ended_at) VALUES (?, ?, ?, ?, ?, ?, ?)""", piece_rows)
        times["insert"] += time.perf_counter() - began
        interval_rows.clear()
        piece_rows.clear()

    intake_now = datetime(args.year + 1, 1, 2, tzinfo=UTC)
    for index, (device, ids) in enumerate(households):
        began = time.perf_counter()
        history = household_history(rng, ids, max(1, round(per_member * len(ids))), site["videos"], midnights)
        times["generate"] += time.perf_counter() - began
        if index < intake_count:  # the real intake: what a box's batches of 100 do
            history.sort(key=lambda h: h[3])
            began = time.perf_counter()
            for first in range(0, len(history), watch_log.MAX_BATCH):
                batch = [{"key": f"k{first + n}", "item_id": item, "from_s": mf, "to_s": mt, "started_at": st,
                          "ended_at": et, "members": list(watchers)}
                         for n, (item, mf, mt, st, et, watchers) in enumerate(history[first:first + 100])]
                intake = watch_log.record_batch(db, device, batch, intake_now, rules, zone, 400)
                if intake.refused or intake.accepted != len(batch):
                    raise SystemExit(f"the intake refused bench intervals: {intake.refused[:3]}")
            times["intake"] += time.perf_counter() - began
            intake_intervals += len(history)
            continue
        began = time.perf_counter()
        if index == intake_count and intake_count:
            next_id = db.execute("SELECT coalesce(max(id), 0) + 1 FROM watch_intervals").fetchone()[0]
        for n, (item, mf, mt, st, et, watchers) in enumerate(history):
            received = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(et + 30))
            interval_rows.append((next_id, device, f"k{n}", item, mf, mt, st, et, ",".join(map(str, watchers)),
                                  received))
            subject = f"item:{item}"
            for member in watchers:
                piece_rows.append((member, subject, next_id, mf, mt, st, et))
                credited.add(member)
            next_id += 1
        times["generate"] += time.perf_counter() - began
        if len(interval_rows) >= FLUSH_ROWS:
            flush()
    if interval_rows:
        flush()
    if intake_count:
        print(f"  intake (watch_log.record_batch, batches of 100 per box): {intake_count} households, "
              f"{intake_intervals} intervals in {times['intake']:.1f} s = "
              f"{intake_intervals / max(times['intake'], 1e-9):.0f} intervals/s")
    began = time.perf_counter()
    ordered = sorted(credited)
    for first in range(0, len(ordered), 1000):
        with write_transaction(db):
            for member in ordered[first:first + 1000]:
                watch_log.recompute(db, member, rules, zone)
    times["recompute"] = time.perf_counter() - began
    if ordered:
        print(f"  raw rows: {times['insert']:.1f} s to insert (generation {times['generate']:.1f} s); "
              f"credit through watch_log.recompute: {len(ordered)} members (their whole year each) in "
              f"{times['recompute']:.1f} s = {1000 * times['recompute'] / len(ordered):.2f} ms per member")
    counts = {name: db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
              for name in ("watch_intervals", "watch_pieces", "study_credit")}
    credited_s = db.execute("SELECT coalesce(sum(seconds), 0) FROM study_credit").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return {**counts, "credited_s": credited_s, "intake_intervals": intake_intervals,
            "times": times}


def load_events(folder: Path, site: dict, args: argparse.Namespace) -> dict:
    """A year of a weekly check-in programme and of quizzes, inserted directly as load_history inserts history.

    主题党日 every Friday 19:30 (60 min on channel 1, check-in for 15 min, a video that exists): about half the
    households tune in (1 or 2 channel intervals each covering parts of it, every member of the household named,
    as a box reports) and about 80 % of their members check in on the box; a few % of the others are marked by an
    administrator. So about 40 % of the members check in and the rest of the watchers are "watched, not checked
    in". Quizzes: 3 questions on each of QUIZ_VIDEOS videos, about 2 attempts per member over the year with an
    answer per question (75 % right)."""
    rng = random.Random(args.seed + 5)
    zone = site["zone"]
    stamp = format_utc(datetime(args.year, 1, 1, tzinfo=UTC))
    day = date(args.year, 1, 1)
    day += timedelta(days=(4 - day.weekday()) % 7)  # the first Friday
    starts = []
    while day.year == args.year:
        starts.append(datetime.combine(day, dt_time(19, 30), zone))
        day += timedelta(days=7)
    households, videos = site["households"], site["videos"]
    db = connect(folder / "k.db")
    began = time.perf_counter()
    counts = {"programmes": 0, "attendance": 0, "manual": 0, "channel_intervals": 0, "quiz_attempts": 0,
              "quiz_answers": 0}
    for start in starts:
        end = start + timedelta(minutes=PROGRAMME_MINUTES)
        with write_transaction(db):
            entry = db.execute(
                """INSERT INTO schedule_entries (channel, item_id, title, start_at, end_at, state, checkin_minutes,
                   created_at, updated_at) VALUES (1, ?, '主题党日', ?, ?, 'scheduled', ?, ?, ?)""",
                [videos[0][0], format_utc(start), format_utc(end), CHECKIN_MINUTES, stamp, stamp]).lastrowid
            attendance, intervals = [], []
            opens = start.timestamp()
            for device, ids in households:
                if rng.random() < 0.5:  # tuned in: one sitting, sometimes broken by a pause
                    first = opens + rng.uniform(-300, 600)
                    last = min(first + rng.uniform(1200, 4200), end.timestamp() + rng.uniform(0, 600))
                    pieces = [(first, last)]
                    if rng.random() < 0.3:
                        cut = rng.uniform(first, last)
                        pieces = [(first, cut), (cut + rng.uniform(60, 600), last + 300)]
                    watchers = ",".join(map(str, ids))
                    for n, (a, b) in enumerate(pieces):
                        intervals.append((device, f"c{entry}-{n}", round(a, 3), round(max(a, b), 3), watchers,
                                          time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(max(a, b) + 30))))
                    at = format_utc(start + timedelta(seconds=rng.uniform(0, 60 * CHECKIN_MINUTES)))
                    attendance += [(entry, m, "tv", at, device, None) for m in ids if rng.random() < 0.8]
                else:
                    attendance += [(entry, m, "manual", format_utc(end), None, "admin")
                                   for m in ids if rng.random() < 0.06]
            db.conn.executemany("""INSERT INTO attendance (entry_id, member_id, how, at, device_id, marked_by)
                                   VALUES (?, ?, ?, ?, ?, ?)""", attendance)
            db.conn.executemany(
                """INSERT INTO watch_intervals (device_id, key, item_id, channel, started_at, ended_at, members,
                   received_at) VALUES (?, ?, NULL, 1, ?, ?, ?, ?)""", intervals)
        counts["programmes"] += 1
        counts["attendance"] += len(attendance)
        counts["manual"] += sum(1 for row in attendance if row[2] == "manual")
        counts["channel_intervals"] += len(intervals)
    quizzed = rng.sample(videos, min(QUIZ_VIDEOS, len(videos)))
    questions: dict[int, list[tuple[int, int]]] = {}  # item: (question id, correct choice)
    year_s = (datetime(args.year + 1, 1, 1, tzinfo=zone) - datetime(args.year, 1, 1, tzinfo=zone)).total_seconds()
    with write_transaction(db):
        for item, _ in quizzed:
            for position in range(1, QUIZ_QUESTIONS + 1):
                correct = rng.randrange(4)
                question = db.execute(
                    """INSERT INTO quiz_questions (item_id, position, text, options, correct, updated_at)
                       VALUES (?, ?, ?, ?, ?, ?)""",
                    [item, position, f"第{item}讲 问题{position}", json.dumps(["甲", "乙", "丙", "丁"]), correct,
                     stamp]).lastrowid
                questions.setdefault(item, []).append((question, correct))
        for device, ids in households:
            for member in ids:
                for _ in range(rng.choice((0, 1, 2, 2, 3, 4))):
                    item = rng.choice(quizzed)[0]
                    at = datetime(args.year, 1, 1, tzinfo=zone) + timedelta(seconds=rng.uniform(0, year_s))
                    answers = []
                    for question, correct in questions[item]:
                        right = rng.random() < 0.75
                        answers.append((question, correct if right else (correct + 1) % 4, int(right)))
                    attempt = db.execute(
                        """INSERT INTO quiz_attempts (member_id, item_id, device_id, score, total, at)
                           VALUES (?, ?, ?, ?, ?, ?)""",
                        [member, item, device, sum(a[2] for a in answers), len(answers), format_utc(at)]).lastrowid
                    db.conn.executemany("INSERT INTO quiz_answers (attempt_id, question_id, choice, correct) "
                                        "VALUES (?, ?, ?, ?)", [(attempt, *a) for a in answers])
                    counts["quiz_attempts"] += 1
                    counts["quiz_answers"] += len(answers)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    counts["load_s"] = time.perf_counter() - began
    return counts


# ---- Part A: measurements ----------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def timed(name: str, call: Callable[[int], object], check: Callable[[object], bool] | None = None) -> float:
    """Run call(0) once to warm up, then call(n) REPEATS times; prints and returns the median in ms."""
    call(0)
    values = []
    for n in range(REPEATS):
        began = time.perf_counter()
        answer = call(n)
        values.append((time.perf_counter() - began) * 1000)
        if check is not None and not check(answer):
            raise SystemExit(f"{name}: unexpected answer {answer!r:.200}")
    median = statistics.median(values)
    print(f"  {name:<22} median {median:8.2f} ms   p95 {percentile(values, 95):8.2f} ms   "
          f"(min {min(values):.2f}, max {max(values):.2f})")
    return median


def measure(folder: Path, site: dict, year: int, seed: int, programmes: int) -> dict:
    """The reads people wait for, against references in the same run; medians in ms. The reports are built
    as the console builds them, in the site's zone and after the year (so its check-in programmes count)."""
    db = connect(folder / "k.db")
    rng = random.Random(seed + 2)
    members = [m for _, ids in site["households"] for m in ids]
    sample = [rng.choice(members) for _ in range(REPEATS + 1)]
    branches = [rng.choice(site["branches"]) for _ in range(REPEATS + 1)]
    months = [rng.randint(1, 12) for _ in range(REPEATS + 1)]
    per_branch = len(members) // BRANCHES
    first, last = f"{year:04d}-01-01", f"{year:04d}-12-31"

    def month(n: int) -> tuple[date, date]:
        end = date(year + (months[n] == 12), months[n] % 12 + 1, 1) - timedelta(days=1)
        return date(year, months[n], 1), end

    r = {}
    print(f"\nreads, {REPEATS} times each after a warm-up (one connection, as a request opens); {machine_load()}:")
    r["member_year"] = timed("member_year", lambda n: study.seconds_between(db, sample[n], first, last))
    r["member_summary"] = timed("member_summary", lambda n: study.summary(db, sample[n], "x", date(year, 12, 31)))
    r["member_months"] = timed("member_months", lambda n: study.months_of_year(db, sample[n], year))
    r["member_scan"] = timed("ref pieces count", lambda n: db.execute(
        "SELECT count(*) FROM watch_pieces WHERE member_id = ?", [sample[n]]).fetchone()[0])
    rules, top = site["rules"], Scope(site["top"])
    context = reports.Context(ZoneInfo("Asia/Shanghai"), 0.8, datetime(year + 1, 1, 2, tzinfo=UTC))
    began = time.perf_counter()
    kept = checkin_watch.settle(db, context.now)
    r["settle"] = (time.perf_counter() - began) * 1000
    print(f"  settle                 {r['settle']:8.2f} ms   (the year's {kept} check-in programmes kept, once, as the "
          "runner's reconcile does after each ends)")
    r["branch_month"] = timed("branch_month", lambda n: reports.build(
        db, Scope(branches[n]), reports.Period("month", *month(n)), rules, None, context),
        lambda report: len(report.members) == per_branch)
    r["branch_join"] = timed("ref branch join", lambda n: db.execute(
        """SELECT coalesce(sum(c.seconds), 0) FROM members m JOIN study_credit c ON c.member_id = m.id
           WHERE m.branch_id = ? AND c.day BETWEEN ? AND ?""",
        [branches[n], *(d.isoformat() for d in month(n))]).fetchone()[0])
    whole_year = reports.Period("year", date(year, 1, 1), date(year, 12, 31))
    r["report_year"] = timed("report_year (org)", lambda n: reports.build(db, top, whole_year, rules, None, context),
                             lambda report: len(report.members) == len(members) and len(report.checkins) == programmes
                             and len(report.quizzes) > 0)
    def unkept(n: int) -> reports.Report:
        db.execute("BEGIN")  # as a report finds them when nothing is kept: every programme worked out
        try:
            db.execute("DELETE FROM checkin_settled")
            began = time.perf_counter()
            report = reports.build(db, top, whole_year, rules, None, context)
            unkept_ms.append((time.perf_counter() - began) * 1000)
            return report
        finally:
            db.execute("ROLLBACK")

    unkept_ms: list[float] = []
    for n in range(UNKEPT_REPEATS + 1):
        unkept(n)
    r["report_year_unkept"] = statistics.median(unkept_ms[1:])
    print(f"  report_year_unkept     median {r['report_year_unkept']:8.2f} ms   ({UNKEPT_REPEATS} times: no check-in "
          "programme kept)")
    r["full_scan"] = timed("ref full scan", lambda n: db.execute(
        "SELECT sum(seconds) FROM study_credit").fetchone()[0])
    r.update(intake_costs(db, site, rng))
    total = reports.build(db, top, whole_year, rules, None, context).total.period_s
    scanned = db.execute("SELECT sum(seconds) FROM study_credit WHERE day BETWEEN ? AND ?", [first, last]).fetchone()[0]
    if not math.isclose(total, scanned or 0.0, rel_tol=1e-9):
        raise SystemExit(f"the year's report sums to {total} s, study_credit to {scanned} s")
    db.close()
    return r


def intake_costs(db, site: dict, rng: random.Random) -> dict:
    """What one box's checkpoint costs the server in Python, HTTP aside: record_batch of a growing interval (a
    video the member already watched), against the box's other 30-second write, a position with what it plays."""
    households = rng.sample(site["households"], REPEATS + 1)
    now = datetime.now(UTC)
    reports = []
    for device, ids in households:
        subject = db.execute("SELECT subject FROM watch_pieces WHERE member_id = ? LIMIT 1", [ids[0]]).fetchone()
        item = int(subject[0].split(":")[1]) if subject else site["videos"][0][0]
        report = {"key": f"bench-{device}", "item_id": item, "from_s": 0.0, "to_s": 30.0,
                  "started_at": now.timestamp() - 60, "ended_at": now.timestamp() - 30, "members": [ids[0]]}
        watch_log.record_batch(db, device, [report], now, site["rules"], site["zone"], 7)  # the first checkpoint
        reports.append((device, {**report, "to_s": 60.0, "ended_at": now.timestamp()}))

    def checkpoint(n: int) -> None:
        device, report = reports[n]
        report["to_s"] += 1.0
        report["ended_at"] += 0.001
        intake = watch_log.record_batch(db, device, [report], now, site["rules"], site["zone"], 7)
        if intake.accepted != 1 or intake.refused:
            raise SystemExit(f"the checkpoint was refused: {intake.refused}")

    def position(n: int) -> None:
        device, report = reports[n]
        with write_transaction(db):
            save_position(db, device, report["item_id"], report["to_s"], 3600.0, now)
            report_playing(db, device, None, report["item_id"], now)

    return {"checkpoint": timed("watch checkpoint", checkpoint), "position": timed("ref position save", position)}


# ---- Part B: the server, boxes and their watch reports -------------------------------------------------------

def pair_boxes(folder: Path, site: dict, count: int, seed: int) -> list[tuple[fleet.PairedBox, int, int, float]]:
    """`count` boxes paired through the real functions, each with a household of one member of the history;
    (box, member, a video it plays, that video's length)."""
    db = connect(folder / "k.db")
    rng = random.Random(seed + 3)
    members = [m for _, ids in site["households"] for m in ids]
    chosen = rng.sample(members, min(count, len(members)))
    octet, run_id = rng.randint(16, 250), secrets.token_hex(3)
    now = datetime.now(UTC)
    paired = []
    for index, member in enumerate(chosen):
        branch = db.execute("SELECT branch_id FROM members WHERE id = ?", [member]).fetchone()[0]
        registration = register_device(db, f"BENCH-{run_id}-{index:05d}", f"压测机顶盒{index + 1}", "bench", now, 3600)
        device = approve_device(db, registration.pairing_code, branch, now)
        token = claim_token(db, registration.device_code, now).token
        with write_transaction(db):
            household = db.execute("INSERT INTO households (name, created_at) VALUES ('', ?)",
                                   [format_utc(now)]).lastrowid
            db.execute("UPDATE devices SET household_id = ? WHERE id = ?", [household, device.id])
            db.execute("UPDATE members SET household_id = ? WHERE id = ?", [household, member])
        video = rng.choice(site["videos"])
        paired.append((fleet.PairedBox(index, f"BENCH-{run_id}-{index:05d}", device.id, token,
                                       fleet.source_address(octet, index)), member, video[0], video[1]))
    db.close()
    return paired


async def extra_reports(args: argparse.Namespace, stop: asyncio.Event, stats: fleet.Stats, paired: list,
                        menus: set[int], begin: float) -> None:
    """What phase 2 adds beyond the box model: the boxes the model keeps in the menus (`menus`, by index) report
    as if each played a lecture too, so that all of them report every 30 s (the playing ones do so through
    the model); --study-share of all boxes open 我的学习 once, at a random moment of the steady state."""
    rng = random.Random(args.seed + 4)
    origin = fleet.origin_of(args.url)

    async def pause(seconds: float) -> bool:
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, seconds))
            return True
        except TimeoutError:
            return False

    async def call(box: fleet.PairedBox, kind: str, method: str, target: str, body: dict | None = None):
        headers = fleet.API_HEADERS + f"Authorization: Bearer {box.token}\r\n"
        if body is not None:
            headers += "Content-Type: application/json\r\n"
        connection = fleet.Connection(origin, box.source, keep_alive=False)  # urllib: one per request
        try:
            return await fleet.measured(stats, kind, connection, method, target, args.timeout, headers,
                                        None if body is None else json.dumps(body).encode())
        except fleet.RequestFailed:
            return None
        finally:
            connection.close()

    async def visit(box: fleet.PairedBox, member: int, at: float) -> None:
        if not await pause(at - time.monotonic()):
            await call(box, "study", "GET", f"/api/v1/study/{member}")

    async def reporter(box: fleet.PairedBox, member: int, item: int, length: float, rng: random.Random) -> None:
        session = secrets.token_hex(6)
        if await pause(rng.uniform(0, args.ramp)):  # switched on during the ramp, like the model's boxes
            return
        started, media_from = time.time(), round(rng.uniform(0, max(0.0, length - 1800)), 3)
        due = time.monotonic() + WATCH_EVERY_S
        while not await pause(due - time.monotonic()):
            due += WATCH_EVERY_S
            now = time.time()
            if now - started > min(1800.0, length - media_from):  # the video ended: the next interval, a new key
                started, media_from = now - 1.0, 0.0
            to_s = round(media_from + now - started, 3)
            interval = {"key": f"{session}-{int(started * 1000)}", "item_id": item, "from_s": media_from,
                        "to_s": to_s, "started_at": round(started, 3), "ended_at": round(now, 3),
                        "members": [member]}
            sent = time.monotonic()
            answer = await call(box, "watch", "POST", "/api/v1/watch", {
                "intervals": [interval], "sent_at": round(now, 3), "position": {"item_id": item, "position_s": to_s}})
            if answer is not None:
                taken = json.loads(answer.body)
                if taken.get("accepted") != 1 or taken.get("refused"):
                    stats.fail("watch", sent, "refused_" + "_".join(r["code"] for r in taken.get("refused", [])))

    jobs = [reporter(box, member, item, length, random.Random(rng.random()))
            for index, (box, member, item, length) in enumerate(paired) if index in menus]
    jobs += [visit(box, member, begin + args.ramp + rng.uniform(0, args.seconds))
             for box, member, _, _ in paired if rng.random() < args.study_share]
    await asyncio.gather(*jobs)


def machine_load() -> str:
    """The load averages: other work on the machine takes CPU from the server and the boxes alike."""
    one, five, _ = os.getloadavg()
    return f"machine load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def tree_cpu(root: int) -> float:
    """CPU seconds (user and system) used so far by a process and its descendants (gunicorn, nginx)."""
    children: dict[int, list[int]] = {}
    used: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = text[text.rindex(")") + 2:].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            used[int(entry)] = int(fields[11]) + int(fields[12])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += used.get(pid, 0)
        todo += children.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


async def steady_cpu(args: argparse.Namespace) -> float:
    """The server's share of one core over a phase's steady state (started with the phase)."""
    await asyncio.sleep(args.ramp)
    before = tree_cpu(args.server_pid)
    await asyncio.sleep(args.seconds)
    return (tree_cpu(args.server_pid) - before) / args.seconds


def kind_line(stats: fleet.Stats, kinds: tuple[str, ...]) -> str:
    """p50/p99 of some request kinds together."""
    values = sorted(ms for kind in kinds for ms in stats.latency.get(kind, []))
    errors = sum(n for (kind, _), n in stats.errors.items() if kind in kinds)
    return (f"{len(values)} answered, p50 {fleet.percentile(values, 50):.1f} ms, "
            f"p99 {fleet.percentile(values, 99):.1f} ms, errors {errors}")


async def http_phases(args: argparse.Namespace, paired: list) -> dict:
    """Phase 1: bench/boxes.py's load as the client was before watch reports (positions by PUT); phase 2: the
    same as the client is now (a watch checkpoint every 30 s carrying the resume point), and the boxes in the
    menus reporting too (with --control, phase 3: phase 1 again, and the reference is the mean of phases 1
    and 3). Returns the figures."""
    pool = [p[0] for p in paired]

    def box_args(reports: bool) -> argparse.Namespace:
        return argparse.Namespace(url=args.url, ramp=args.ramp, duration=args.seconds, seed=args.seed, live=0.3,
                                  vod=0.3, channel=1, timeout=args.timeout, api_keepalive=False,
                                  segment_concurrency=0, watch_reports=reports)

    cpu: dict[int, float] = {}

    async def measured_run(number: int, reports: bool) -> fleet.Outcome:
        sampler = asyncio.create_task(steady_cpu(args))
        outcome = await fleet.run_boxes(box_args(reports), pool, len(pool))
        cpu[number] = await sampler
        fleet.show(outcome, box_args(reports))
        print(f"  server (keting serve, gunicorn, nginx): {100 * cpu[number]:.0f} % of one core in the steady "
              f"state; {machine_load()}")
        return outcome

    async def alone(number: int) -> fleet.Outcome:
        print(f"\nphase {number}: {len(pool)} boxes, bench/boxes.py's load, no watch reports (positions by PUT)")
        return await measured_run(number, False)

    references = [await alone(1)]
    print(f"\nphase 2: the same, every box reporting every {WATCH_EVERY_S:.0f} s: the playing ones as the client "
          "does (the resume point riding along), the ones in the menus as if they played a lecture too; "
          "--study-share of them opening 我的学习 once")
    roles = fleet.roles(len(pool), box_args(True))
    menus = {index for index, role in enumerate(roles) if role == "menus"}
    stop = asyncio.Event()
    begin = time.monotonic()
    extra = fleet.Stats(begin + args.ramp, begin + args.ramp + args.seconds)
    adding = asyncio.create_task(extra_reports(args, stop, extra, paired, menus, begin))
    try:
        with_watch = await measured_run(2, True)
    finally:
        stop.set()
        await asyncio.gather(adding, return_exceptions=True)
    extra.report("  the menu boxes' reports and 我的学习 visits (measured in the same steady state):")
    if args.control:
        references.append(await alone(3))
    for number, outcome in zip((1, 3), references, strict=False):
        print(f"  polls (channels, notices), phase {number}: {kind_line(outcome.stats, ('channels', 'notices'))}")
        print(f"  position PUTs, phase {number}:              {kind_line(outcome.stats, ('position',))}")
    print(f"  polls (channels, notices), phase 2: {kind_line(with_watch.stats, ('channels', 'notices'))}")
    print(f"  watch POSTs, phase 2:               {kind_line(with_watch.stats, ('watch',))}")
    print(f"  position PUTs, phase 2:             {kind_line(with_watch.stats, ('position',))}")
    print(f"  watch POSTs of the menu boxes:      {kind_line(extra, ('watch',))}")
    watch = sorted(with_watch.stats.latency.get("watch", []) + extra.latency.get("watch", []))
    every = sorted(with_watch.stats.all_latencies() + extra.all_latencies())
    p99, errors = fleet.percentile(every, 99), with_watch.errors + extra.error_count()
    without = statistics.mean(o.p99 for o in references)
    ratio = p99 / without if without > 0 else math.nan
    print(f"  boxes' p99: {' and '.join(f'{o.p99:.1f}' for o in references)} ms without the reports, "
          f"{p99:.1f} ms with them (every request, the reports included) -> watch_p99_vs_without {ratio:.2f}")
    rate = len(watch) / args.seconds
    extra = cpu[2] - statistics.mean(cpu[n] for n in cpu if n != 2)
    cpu_ms = 1000 * extra / rate if rate else math.nan
    print(f"  server CPU: {100 * extra:+.0f} % of one core with the reports ({rate:.1f} watch POSTs/s, most "
          f"replacing a position PUT): {cpu_ms:.1f} ms of server CPU per watch POST")
    print(f"  goal p99 < {fleet.P99_LIMIT_MS:.0f} ms and no error: "
          f"{'held' if p99 < fleet.P99_LIMIT_MS and not errors else 'NOT held'} ({errors} errors)")
    return {"watch_p99": fleet.percentile(watch, 99), "errors": errors, "boxes_p99": p99, "ratio": ratio,
            "cpu_ms": cpu_ms, "watch_rate": rate}


def serve_and_run(folder: Path, site: dict, args: argparse.Namespace) -> dict:
    """Pair the boxes, start `keting serve` on the site, wait for channel 1, run both phases, stop the server."""
    began = time.perf_counter()
    paired = pair_boxes(folder, site, args.boxes, args.seed)
    print(f"\n{len(paired)} boxes paired (register, approve, claim in this process) with a household of one "
          f"member each in {time.perf_counter() - began:.1f} s")
    server, port = start_server({"INSTANCE": folder / "instance", "DATABASE": folder / "k.db",
                                 "MEDIA_ROOT": site["media"], "ORIGINALS_DIR": folder / "originals",
                                 "SLATE_SECONDS": 2, **({"WORKERS": args.workers} if args.workers else {})},
                                deadline_s=60)
    try:
        args.url, args.server_pid = f"http://127.0.0.1:{port}", server.pid
        playlist = site["media"] / "live" / "1" / "720p.m3u8"
        end = time.monotonic() + 180
        while not playlist.is_file():
            if time.monotonic() > end or server.poll() is not None:
                raise SystemExit("channel 1 was not on the air within 180 s")
            time.sleep(0.2)
        print(f"keting serve (pid {server.pid}) on {args.url}, channel 1 on the air "
              f"{time.perf_counter() - began:.0f} s after pairing began")
        return asyncio.run(http_phases(args, paired))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except Exception:
            server.kill()
            server.wait(timeout=10)


# ---- the run -------------------------------------------------------------------------------------------------

def main() -> None:
    """Build and load the year, measure the reads, then (unless --no-server) the boxes over HTTP; RESULT."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--intervals", type=int, default=0, help="watch intervals in the year (100 per member)")
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--year", type=int, default=date.today().year - 1)
    parser.add_argument("--load", choices=("raw", "intake"), default="raw",
                        help="raw rows + recompute (default), or every household through record_batch")
    parser.add_argument("--intake-households", type=int, default=100,
                        help="households loaded through record_batch with --load raw")
    parser.add_argument("--no-server", action="store_true", help="only the database part")
    parser.add_argument("--boxes", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0, help="steady state of each HTTP phase")
    parser.add_argument("--ramp", type=float, default=30.0, help="seconds over which the boxes are switched on")
    parser.add_argument("--study-share", type=float, default=0.1, help="boxes opening 我的学习 once in phase 2")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a request counts as timed out")
    parser.add_argument("--control", action="store_true",
                        help="a third phase without reports; the reference is then the mean of phases 1 and 3")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: the WORKERS setting's default)")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    args.intervals = args.intervals or 100 * args.members
    if args.members < BRANCHES:
        parser.error(f"--members must be at least {BRANCHES}")
    with tempfile.TemporaryDirectory(prefix="keting-records-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o755)  # the front's workers (another user) must reach media/
        began = time.perf_counter()
        site = build_site(folder, args.members, args.items, args.seed)
        built = time.perf_counter() - began
        members = sum(len(ids) for _, ids in site["households"])
        print(f"site: {members} members in {BRANCHES} branches, {len(site['households'])} households with a box, "
              f"{len(site['videos'])} videos; built in {built:.1f} s")
        print(f"loading {args.year}'s history ({args.intervals} intervals asked, load={args.load}):")
        loaded = load_history(folder, site, args)
        events = load_events(folder, site, args)
        load_s = time.perf_counter() - began
        size = sum(f.stat().st_size for f in folder.glob("k.db*")) / 1e6
        print(f"  check-ins and quizzes in {events['load_s']:.1f} s: {events['programmes']} check-in programmes "
              f"(主题党日, weekly), {events['attendance']} attendance rows ({events['manual']} marked), "
              f"{events['channel_intervals']} channel intervals; {events['quiz_attempts']} quiz attempts "
              f"({events['quiz_answers']} answers) on {QUIZ_VIDEOS} videos")
        print(f"  {loaded['watch_intervals']} intervals, {loaded['watch_pieces']} pieces, "
              f"{loaded['study_credit']} credit rows ({loaded['credited_s'] / 3600 / members:.1f} h credited per "
              f"member); database {size:.0f} MB; load_s {load_s:.1f} (all of part A's writing)")
        reads = measure(folder, site, args.year, args.seed, events["programmes"])
        ratios = {"member_year_vs_scan": reads["member_year"] / reads["member_scan"],
                  "branch_month_vs_join": reads["branch_month"] / reads["branch_join"],
                  "report_year_vs_scan": reads["report_year"] / reads["full_scan"],
                  "checkpoint_vs_position": reads["checkpoint"] / reads["position"]}
        print("  " + " ".join(f"{k}={v:.2f}" for k, v in ratios.items()))
        for name, goal in (("member_year", MEMBER_GOAL_MS), ("branch_month", BRANCH_GOAL_MS),
                           ("report_year", ORG_YEAR_GOAL_MS)):
            print(f"  {name}: {reads[name]:.2f} ms, goal < {goal:.0f} ms: {'met' if reads[name] < goal else 'NOT met'}")
        http = None if args.no_server else serve_and_run(folder, site, args)
    line = (f"RESULT members={members} intervals={loaded['watch_intervals']} member_year_ms={reads['member_year']:.2f} "
            f"branch_month_ms={reads['branch_month']:.2f} report_year_ms={reads['report_year']:.2f} "
            f"report_year_unkept_ms={reads['report_year_unkept']:.2f} settle_ms={reads['settle']:.1f} "
            f"load_s={load_s:.1f} checkins={events['attendance']} quiz_attempts={events['quiz_attempts']}")
    if http is not None:
        line += f" watch_p99_ms={http['watch_p99']:.1f} errors={http['errors']:g}"
    line += f" vs_scan={ratios['report_year_vs_scan']:.2f}"
    if http is not None:
        line += (f" boxes_p99_ms={http['boxes_p99']:.1f} watch_p99_vs_without={http['ratio']:.2f}"
                 f" watch_cpu_ms={http['cpu_ms']:.1f}")
    print(line)


if __name__ == "__main__":
    main()
