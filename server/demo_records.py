"""Demo study records: a roster in the demo branches, the demo box's household, and half a year of past lessons.

Made through the real code: members through members.add_member, the household
through households.assign_members, the history as watch intervals whose credit
watch_log.recompute works out by the site's rules. Idempotent: what exists stays.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from server.core.db import write_transaction
from server.records.households import assign_members
from server.records.members import EVERYTHING, add_member
from server.records.study_settings import rules_from
from server.records.watch_log import SubjectKind, recompute

LESSON_SECONDS = 45 * 60
HISTORY_WEEKS = 26
SUBJECT_PREFIX = "demo:"


def load_demo_records(db: Database, content: Mapping, device_id: int | None, now: datetime, config: Mapping) -> int:
    """Add the demo members, the demo box's household and past lessons; return how many members were added."""
    branches = {row["name"]: row["id"]
                for row in db.execute("SELECT id, name FROM organisations WHERE kind = 'branch'")}
    added = 0
    ids: dict[str, int] = {}
    for member in content.get("members", []):
        row = db.execute("SELECT id FROM members WHERE member_no = ?", [member["member_no"]]).fetchone()
        if row is None and member["branch"] in branches:
            row = {"id": add_member(db, EVERYTHING, name=member["name"], branch_id=branches[member["branch"]],
                                    phone=member.get("phone", ""), member_no=member["member_no"],
                                    active=member.get("active", True), now=now).id}
            added += 1
        if row is not None:
            ids[member["name"]] = row["id"]
    household = [ids[name] for name in content.get("household", []) if name in ids]
    if device_id is not None and household:
        assign_members(db, EVERYTHING, device_id, household, now)
    _past_lessons(db, content.get("past_lessons", []), [i for n, i in ids.items() if _active(content, n)], now,
                  config)
    return added


def _active(content: Mapping, name: str) -> bool:
    return next((m.get("active", True) for m in content["members"] if m["name"] == name), True)


def _past_lessons(db: Database, titles: list[str], members: list[int], now: datetime, config: Mapping) -> None:
    """Each member studied some of the lessons on evenings of the last half year: most of them, some less."""
    if not titles or not members or db.execute(
            "SELECT 1 FROM study_subjects WHERE subject LIKE ?", [SUBJECT_PREFIX + "%"]).fetchone():
        return
    rules, zone = rules_from(config), ZoneInfo(config["TIMEZONE"])
    chance = random.Random(2026)
    with write_transaction(db):
        subjects = []
        for number, title in enumerate(titles, start=1):
            subject = f"{SUBJECT_PREFIX}{number}"
            db.execute("INSERT INTO study_subjects (subject, kind, ref_id, title, duration_s) VALUES (?, ?, 0, ?, ?)",
                       [subject, SubjectKind.PROGRAMME, title, LESSON_SECONDS])
            subjects.append(subject)
        for member in members:
            keenness = chance.choice((0.2, 0.5, 0.8))
            for week in range(1, HISTORY_WEEKS + 1):
                if chance.random() > keenness:
                    continue
                subject = chance.choice(subjects)
                evening = (now - timedelta(weeks=week)).astimezone(zone).replace(hour=19, minute=30, second=0,
                                                                                   microsecond=0)
                watched = chance.choice((LESSON_SECONDS, LESSON_SECONDS, 30 * 60, 10 * 60))
                start = evening.timestamp()
                interval = db.execute(
                    """INSERT INTO watch_intervals (device_id, key, channel, started_at, ended_at, members, received_at)
                       VALUES (NULL, ?, 1, ?, ?, ?, ?)""",
                    [f"demo-{member}-{week}", start, start + watched, str(member), evening.isoformat()]).lastrowid
                db.execute("""INSERT OR IGNORE INTO watch_pieces (member_id, subject, interval_id, media_from,
                              media_to, started_at, ended_at) VALUES (?, ?, ?, 0, ?, ?, ?)""",
                           [member, subject, interval, watched, start, start + watched])
        for member in members:
            recompute(db, member, rules, zone)
