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


SNAPSHOT_TRIES = 5
LOCK_WAIT_MS = 200  # read_together waits this long for the write lock, then reads on one connection


def _begin_immediate_soon(db: Database) -> bool:
    """BEGIN IMMEDIATE if the write lock comes within LOCK_WAIT_MS; False (no transaction) if it does not."""
    db.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
    try:
        db.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        return False
    finally:
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


@contextlib.contextmanager
def read_together(db: Database) -> Iterator[Database | None]:
    """`db` and a second connection to its file, both reading one snapshot, so that a long read can run half in
    another thread (sqlite3 lets go of the GIL while SQLite works) and still see one state of the database; None
    instead of the second when there is no file to open again, or a writer kept committing in between. Both
    transactions end (nothing is written) and the second connection is closed on the way out.

    One snapshot for two connections: `db` takes the write lock (BEGIN IMMEDIATE waits for a writer like any
    other), so nothing can commit while the second starts reading; `db` then lets go of the lock and starts
    reading again, and `PRAGMA data_version` says whether another connection committed in that moment (then both
    start over). Writers wait for the lock a few milliseconds at most, and a reader never waits long for it: when a
    writer holds it beyond LOCK_WAIT_MS, `db` reads alone (a plain read transaction, as WAL allows beside a
    writer)."""
    files = [row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"]
    other = connect(files[0]) if files and files[0] else None
    try:
        for _ in range(SNAPSHOT_TRIES if other is not None else 0):
            if not _begin_immediate_soon(db):
                break  # a writer holds the lock: read alone rather than wait behind it
            try:
                version = db.execute("PRAGMA data_version").fetchone()[0]
                other.execute("BEGIN")
                other.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # its snapshot starts here
            finally:
                db.execute("ROLLBACK")
            db.execute("BEGIN")
            db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            if db.execute("PRAGMA data_version").fetchone()[0] == version:
                break
            db.execute("ROLLBACK")
            other.execute("ROLLBACK")
        if not db.conn.in_transaction:  # no snapshot shared: `db` reads alone
            db.execute("BEGIN")
            if other is not None:
                other.close()
                other = None
        try:
            yield other
        finally:
            db.execute("ROLLBACK")
            if other is not None:
                other.execute("ROLLBACK")
    finally:
        if other is not None:
            other.close()
