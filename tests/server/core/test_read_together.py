"""Two connections reading one snapshot (db.read_together), while other connections keep committing."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlite_utils import Database

from server.core.db import BUSY_TIMEOUT_MS, SNAPSHOT_TRIES, connect, read_together


@pytest.fixture
def path(tmp_path):
    file = tmp_path / "k.db"
    db = connect(file)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, at REAL)")
    db.conn.commit()
    db.close()
    return file


def count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM t").fetchone()[0]


def test_both_read_the_state_they_began_with_while_another_commits(path):
    db, writer = connect(path), connect(path)
    with read_together(db) as other:
        assert other is not None and db.conn.in_transaction and other.conn.in_transaction
        writer.execute("INSERT INTO t (at) VALUES (1)")
        writer.conn.commit()  # WAL: a writer commits while the two read
        assert count(db) == count(other) == 0
    assert not db.conn.in_transaction and count(db) == 1
    with pytest.raises(sqlite3.ProgrammingError):
        other.execute("SELECT 1")  # closed


def test_a_writer_committing_all_the_time_never_splits_the_snapshot(path):
    """A thread commits row after row as fast as it can; each time, the two connections count the same rows."""
    db, stop = connect(path), threading.Event()

    def write() -> None:
        writer = connect(path)
        while not stop.is_set():
            writer.execute("INSERT INTO t (at) VALUES (1)")
            writer.conn.commit()
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        seen = []
        for _ in range(100):
            with read_together(db) as other:
                assert other is not None
                seen.append((count(db), count(other)))
    finally:
        stop.set()
        thread.join()
    assert all(a == b for a, b in seen), seen
    assert len({a for a, _ in seen}) > 1  # the writer did commit in between


class CommitInTheGap(Database):
    """A connection that lets another commit just before it begins reading again: the moment between letting go
    of the write lock and starting its own snapshot, where the two snapshots could part."""

    def __init__(self, path, times: int):
        super().__init__(connect(path).conn)
        self.writer, self.times = connect(path), times

    def execute(self, sql, parameters=None):
        if sql == "BEGIN" and self.times:
            self.times -= 1
            self.writer.execute("INSERT INTO t (at) VALUES (2)")
            self.writer.conn.commit()
        return super().execute(sql, parameters)


@pytest.mark.parametrize("times", [1, 3])
def test_a_commit_in_the_gap_is_seen_and_both_start_again(path, times):
    db = CommitInTheGap(path, times)
    with read_together(db) as other:
        assert count(db) == count(other) == times  # each commit came before both snapshots


def test_commits_in_the_gap_every_time_leave_one_connection_reading_alone(path):
    db = CommitInTheGap(path, SNAPSHOT_TRIES)
    with read_together(db) as other:
        assert other is None and db.conn.in_transaction and count(db) == SNAPSHOT_TRIES


def test_a_writer_holding_the_lock_leaves_one_connection_reading_without_waiting_for_it(path):
    writer = connect(path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t (at) VALUES (3)")
    db = connect(path)
    with read_together(db) as other:
        assert other is None and db.conn.in_transaction and count(db) == 0  # the committed state
    writer.conn.commit()
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS  # a writer's wait is as before


def test_without_a_file_there_is_no_second_connection():
    db = Database(memory=True)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, at REAL)")
    with read_together(db) as other:
        assert other is None and db.conn.in_transaction
    assert not db.conn.in_transaction
