"""Database connections kept open between requests, one idle connection per thread.

Opening a connection costs more than most requests' queries: SQLite reads and
parses the whole schema (every table, index and trigger) on a connection's first
statement, and prepared statements are cached per connection. A request thread
therefore takes the connection it used last, and gives it back at the end. A
connection is never shared by two threads, never crosses a fork (gunicorn's
workers start from a forked master), and never goes back with a transaction
open: one left open by an error is rolled back first. A thread that asks again
while its connection is lent out (a command's app context around a request in
tests) gets a new one, closed when given back.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from sqlite_utils import Database

log = logging.getLogger(__name__)


class ConnectionPool:
    """Reusable connections to one database, opened with `open_connection` (core.db.connect)."""

    def __init__(self, open_connection: Callable[[], Database]):
        self._open = open_connection
        self._idle = threading.local()
        self._pid = os.getpid()

    def acquire(self) -> Database:
        """This thread's idle connection, or a new one."""
        if self._pid != os.getpid():  # forked: the parent's connections stay the parent's
            self._idle, self._pid = threading.local(), os.getpid()
        db = getattr(self._idle, "db", None)
        if db is None:
            return self._open()
        self._idle.db = None
        return db

    def release(self, db: Database) -> None:
        """Give a connection back: kept for this thread's next request if none is kept yet, else closed."""
        if db.conn.in_transaction:
            log.warning("a connection came back with its transaction open: rolled back")
            db.conn.rollback()
        if self._pid == os.getpid() and getattr(self._idle, "db", None) is None:
            self._idle.db = db
        else:
            db.close()
