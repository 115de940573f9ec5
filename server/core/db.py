"""Opening the SQLite database with the pragmas every connection needs."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

# A writer waits this long for another's transaction (a channel rebuild can hold it for seconds on a
# busy machine) before giving up with "database is locked".
BUSY_TIMEOUT_MS = 30_000


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL once (the mode is stored in the file).

    SQLite does not call the busy handler for this switch, so processes that
    open a brand-new file together would fail with "database is locked":
    retry until the busy timeout instead.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def create_private(path: str | Path) -> None:
    """Make the database file, if it is not there yet, readable by its owner only (its -wal and -shm
    files take the same mode): `keting` runs under umask 022 so that media is public; the database is not."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def connect(path: str | Path) -> Database:
    """Open the database with the settings every connection needs.

    WAL lets the set-top API read while a job writes; the busy timeout makes a
    writer wait for another instead of failing; foreign keys are off by default
    in SQLite and must be asked for on each connection.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    create_private(path)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _use_wal(conn)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return Database(conn)


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock at once (BEGIN IMMEDIATE); inside one, a savepoint.

    Every transaction that writes uses this. A deferred one that reads first
    would hold a read snapshot, and when it then writes after another process
    committed, SQLite refuses at once with "database is locked" instead of
    waiting on the busy timeout. Taking the lock up front makes writers queue
    (and a read-check-write, such as a schedule conflict check, safe).
    """
    if db.conn.in_transaction:
        with db.atomic():  # a savepoint in the enclosing immediate transaction
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
