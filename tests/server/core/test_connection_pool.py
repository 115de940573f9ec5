"""The request threads' connection pool: one idle connection per thread, never shared, never kept mid-transaction."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from server.core import connection_pool
from server.core.connection_pool import ConnectionPool
from server.core.db import connect


@pytest.fixture
def pool(tmp_path):
    path = tmp_path / "k.db"
    connect(path).execute("CREATE TABLE t (a INTEGER)")
    return ConnectionPool(lambda: connect(path))


def test_a_thread_gets_its_connection_back_and_its_statements_stay_prepared(pool):
    first = pool.acquire()
    first.execute("INSERT INTO t VALUES (1)")
    pool.release(first)
    assert pool.acquire() is first


def test_a_connection_given_back_mid_transaction_is_rolled_back_before_anyone_reuses_it(pool, caplog):
    db = pool.acquire()
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t VALUES (2)")
    pool.release(db)
    assert "rolled back" in caplog.text
    again = pool.acquire()
    assert again is db and not again.conn.in_transaction
    assert again.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    other = pool.acquire()  # and the write lock is free for another connection
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")


def test_asking_again_while_lent_out_opens_another_closed_when_given_back(pool):
    outer = pool.acquire()
    inner = pool.acquire()
    assert inner is not outer
    pool.release(outer)
    pool.release(inner)  # one is kept already: this one is closed
    with pytest.raises(sqlite3.ProgrammingError):
        inner.execute("SELECT 1")
    assert pool.acquire() is outer


def test_threads_never_share_a_connection(pool):
    mine = pool.acquire()
    pool.release(mine)
    theirs = []

    def other_thread():
        db = pool.acquire()
        theirs.append(db)
        pool.release(db)
    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert theirs[0] is not mine and pool.acquire() is mine


def test_a_forked_worker_never_takes_its_parents_connection(pool, monkeypatch):
    parent = pool.acquire()
    pool.release(parent)
    pid = connection_pool.os.getpid()
    monkeypatch.setattr(connection_pool.os, "getpid", lambda: pid + 1)  # gunicorn forked a worker
    child = pool.acquire()
    assert child is not parent
    pool.release(child)
    assert pool.acquire() is child


def test_a_request_that_failed_closes_its_connection_instead_of_pooling_it(app):
    from server.web.context import close_db, get_db

    with app.app_context():
        failed = get_db()
        failed.execute("SELECT 1")
        close_db(RuntimeError("a 500: its traceback may hold a half-read cursor"))
        with pytest.raises(sqlite3.ProgrammingError):
            failed.execute("SELECT 1")
    with app.app_context():
        fine = get_db()
        close_db(None)
    with app.app_context():
        assert get_db() is fine  # a request that ended well gives its connection back
