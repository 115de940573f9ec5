"""Leases in SQLite: exactly one process of a site runs each singleton task, another takes over.

Any number of `keting serve` processes (and gunicorn workers, on one host or
several) may share a database. Tasks that must run once per site, such as
writing the channels' playlists and running live relays, are guarded by a
lease: a row naming its holder (host:pid) and when it expires (wall-clock
seconds; hosts of one site keep their clocks in sync with NTP).

The holder renews it every RENEW_SECONDS. Another process takes it when it
has expired, or at once when the holder ran on the same host and its process
is gone (a crash or kill -9 is noticed within one renewal, not one lease).
A holder that cannot renew (the database is stuck) stops counting itself the
holder at its own deadline, which is never later than the row's, so two
processes never both hold a lease. Acquiring is one UPSERT, atomic in SQLite.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

LEASE_SECONDS = 10.0
RENEW_SECONDS = 1.0


def this_process() -> str:
    """How this process names itself as a lease holder."""
    return f"{socket.gethostname()}:{os.getpid()}"


def alive_here(worker: str | None) -> bool | None:
    """Whether a process named host:pid on this host is alive; None when it runs on another host
    (or the name is not of that form): only a heartbeat or an expiry can tell then."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        return True
    return True


def _gone(holder: str) -> bool:
    """True when `holder` ran on this host and its process no longer exists."""
    return alive_here(holder) is False


@dataclass(frozen=True)
class Holding:
    """Who holds a lease and until when (wall-clock seconds)."""

    name: str
    holder: str
    acquired_at: float
    expires_at: float


def holding(db: Database, name: str) -> Holding | None:
    """The lease's row, or None when nobody ever took it (or it was released)."""
    row = db.execute("SELECT * FROM leases WHERE name = ?", [name]).fetchone()
    return Holding(row["name"], row["holder"], row["acquired_at"], row["expires_at"]) if row else None


def acquire(db: Database, name: str, holder: str, now: float, seconds: float = LEASE_SECONDS) -> bool:
    """Take or renew the lease for `holder` until now + seconds; False when another holds it."""
    current = holding(db, name)
    if current is not None and current.holder != holder and current.expires_at > now and _gone(current.holder):
        # Its holder is dead: make the row expired, in the same conditional way (no one else's renewal is lost).
        db.execute("UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?", [name, current.holder])
    cursor = db.execute(
        """INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET
               acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at
                                  ELSE excluded.acquired_at END,
               holder = excluded.holder, expires_at = excluded.expires_at
           WHERE leases.holder = excluded.holder OR leases.expires_at <= ?""",
        [name, holder, now, now + seconds, now])
    return cursor.rowcount == 1


def release(db: Database, name: str, holder: str) -> None:
    """Give the lease up (a clean stop), so another process takes it at its next try."""
    db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [name, holder])


class LeaseKeeper:
    """One process's hold on one lease: try() at every tick, `held` between ticks.

    `on_gained` and `on_lost` run in the thread that calls try().
    """

    def __init__(self, connect: Callable[[], Database], name: str, seconds: float = LEASE_SECONDS,
                 holder: str | None = None, clock: Callable[[], float] = time.time):
        self.connect, self.name, self.seconds, self.clock = connect, name, seconds, clock
        self.holder = holder or this_process()
        self._until = 0.0
        self._lock = threading.Lock()

    @property
    def held(self) -> bool:
        """Whether this process holds the lease now (by its own, conservative deadline)."""
        return self.clock() < self._until

    def tick(self) -> tuple[bool, bool]:
        """Take or renew the lease; return (gained, lost) compared with before."""
        with self._lock:
            was = self._until > 0  # held at the last tick, even if its deadline has passed since
            asked_at = self.clock()  # the row's deadline is later than this one
            db = self.connect()
            try:
                ok = acquire(db, self.name, self.holder, asked_at, self.seconds)
            except Exception:
                ok = False  # the database is unreachable: hold on until our own deadline, no longer
                if self.held:
                    return False, False
            finally:
                db.close()
            self._until = asked_at + self.seconds if ok else 0.0
            return ok and not was, was and not ok

    def release(self) -> None:
        """Give the lease up now."""
        with self._lock:
            if self._until:
                db = self.connect()
                try:
                    release(db, self.name, self.holder)
                finally:
                    db.close()
            self._until = 0.0
