"""Several processes writing one database at once: every writer waits its turn, none is refused.

The write paths that read before they write (pairing, accounts, items,
uploads' rows) each run in BEGIN IMMEDIATE; a deferred transaction there
would make SQLite refuse the upgrade ("database is locked") instead of
waiting on the busy timeout. Processes, not threads: that is how a site
with several `keting serve` processes (or gunicorn workers) writes.
"""

from __future__ import annotations

import multiprocessing
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path

from server.accounts.devices import approve_device, claim_token, register_device
from server.accounts.login_guard import Limits, begin, succeeded
from server.accounts.users import add_user, set_password
from server.catalogue.items import create_item, set_targets, update_item
from server.core.channels_yaml import load_lineup
from server.core.db import connect
from server.core.migrations import migrate
from server.core.settings import PROJECT_ROOT

PROCESSES = 6
ROUNDS = 60
ACCOUNT_ROUNDS = 3  # password hashing is slow by design: a few accounts are enough
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _hammer(db_path: str, worker: int, errors) -> None:
    """One process's share: pair boxes, add and change accounts, create and edit items, log in."""
    try:
        db = connect(db_path)
        lineup = load_lineup(PROJECT_ROOT / "channels.yaml")
        org = db.execute("SELECT id FROM organisations ORDER BY id LIMIT 1").fetchone()[0]
        for n in range(ROUNDS):
            registration = register_device(db, f"SN-{worker}-{n}", "机顶盒", "test", NOW, 3600)
            approve_device(db, registration.pairing_code, org, NOW)
            claim_token(db, registration.device_code, NOW)
            if n < ACCOUNT_ROUNDS:
                name = f"editor{worker}x{n}"
                add_user(db, lineup, name, "a long enough password", "editor", NOW, boards=("dangke",))
                set_password(db, name, "another long password", NOW)
                succeeded(db, begin(db, name, f"10.0.{worker}.{n}", Limits(5, 20, timedelta(minutes=15)), NOW))
            item = create_item(db, lineup, kind="article", board_id="banshi", title=f"标题 {worker}-{n}",
                               body_markdown="正文", targets=(org,))
            update_item(db, lineup, item, {"title": f"新标题 {worker}-{n}"}, now=NOW)
            set_targets(db, item, [org])
    except Exception:
        errors.put(f"process {worker}: {traceback.format_exc()}")


def test_processes_writing_at_once_are_never_refused(tmp_path: Path):
    db_path = str(tmp_path / "keting.sqlite3")
    db = connect(db_path)
    migrate(db)
    db.execute("INSERT INTO organisations (name, kind, created_at) VALUES ('东风社区', 'community', '2026-12-01')")
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    processes = [context.Process(target=_hammer, args=(db_path, worker, errors)) for worker in range(PROCESSES)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == [], "\n".join(failures)[-3000:]
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    counts = db.execute("SELECT (SELECT count(*) FROM devices WHERE state = 'approved'), "
                        "(SELECT count(*) FROM users), (SELECT count(*) FROM items)").fetchone()
    assert tuple(counts) == (PROCESSES * ROUNDS, PROCESSES * ACCOUNT_ROUNDS, PROCESSES * ROUNDS)
