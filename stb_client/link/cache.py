"""The box's memory (SQLite): the server's last answers, so menus work while the network is down, and the
viewer's preferences.

Answers are kept as the JSON the server sent, keyed by what was asked; a
start-up shows the cached Home at once, before the network answers.
Positions and watch intervals reported while offline wait here until the server is back
(intervals with their real times, for up to a week). The volume, mute and the last channel watched are kept
as they change, so a box switched off at the wall comes back as it was left.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def _v1_answers_and_positions(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, body TEXT NOT NULL, saved_at REAL NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS pending_positions (item_id INTEGER PRIMARY KEY, position_s REAL NOT NULL)")


def _v2_pending_watch(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS pending_watch (key TEXT PRIMARY KEY, body TEXT NOT NULL, "
               "ended_at REAL NOT NULL)")


def _v3_preferences(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS preferences (name TEXT PRIMARY KEY, value TEXT NOT NULL)")


# The cache's schema, in order: the file's PRAGMA user_version counts those applied. Add, never edit.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1_answers_and_positions, _v2_pending_watch,
                                                                _v3_preferences)
WATCH_KEEP_SECONDS = 7 * 24 * 3600  # the server takes reports up to a week old


class CacheTooNew(RuntimeError):
    """The cache file was written by a newer client (a downgrade): it is started afresh."""


def migrate(db: sqlite3.Connection) -> int:
    """Bring the cache file up to this client's schema, each step in one transaction; return the version.

    A file from a newer client is emptied rather than misread: it only holds
    copies of the server's answers (unsent positions are the one loss).
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise CacheTooNew(f"cache schema {version} is newer than this client's {len(MIGRATIONS)}")
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            step(db)
            db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


class AnswerCache:
    """Last answers by key ("boards", "items:dangke", "item:12", "channels", "notices")."""

    def __init__(self, path: Path | str):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.lock = threading.Lock()
        with self.lock:
            self.db.execute("PRAGMA journal_mode=WAL")
            try:
                migrate(self.db)
            except CacheTooNew as error:
                log.warning("%s: starting the cache afresh", error)
                for (table,) in self.db.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall():
                    self.db.execute(f'DROP TABLE "{table}"')
                self.db.execute("PRAGMA user_version = 0")
                migrate(self.db)

    def put(self, key: str, body: object) -> None:
        """Keep the server's answer for `key`, replacing the one before."""
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO answers (key, body, saved_at) VALUES (?, ?, ?)",
                            [key, json.dumps(body, ensure_ascii=False), time.time()])

    def get(self, key: str) -> object | None:
        """The last answer kept for `key`, or None."""
        with self.lock:
            row = self.db.execute("SELECT body FROM answers WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None

    def keep_preference(self, name: str, value: object) -> None:
        """Keep one of the viewer's preferences (JSON), replacing the one before."""
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO preferences (name, value) VALUES (?, ?)",
                            [name, json.dumps(value)])

    def preferences(self) -> dict[str, object]:
        """The viewer's preferences kept, by name."""
        with self.lock:
            return {name: json.loads(value) for name, value in self.db.execute("SELECT name, value FROM preferences")}

    def keep_position(self, item_id: int, position_s: float) -> None:
        """Keep a position the server has not taken yet, replacing one kept for the same item."""
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO pending_positions VALUES (?, ?)", [item_id, position_s])

    def pending_positions(self) -> list[tuple[int, float]]:
        """The positions waiting to be sent, as (item_id, position_s)."""
        with self.lock:
            return [tuple(row) for row in self.db.execute("SELECT item_id, position_s FROM pending_positions")]

    def forget_position(self, item_id: int) -> None:
        """Drop an item's waiting position once the server has it."""
        with self.lock:
            self.db.execute("DELETE FROM pending_positions WHERE item_id = ?", [item_id])

    def keep_watch(self, interval: dict) -> None:
        """Keep a watch interval until the server has it; a longer version of the same key replaces it."""
        with self.lock:
            self.db.execute(
                """INSERT INTO pending_watch (key, body, ended_at) VALUES (?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET body = excluded.body, ended_at = excluded.ended_at
                   WHERE excluded.ended_at >= pending_watch.ended_at""",
                [interval["key"], json.dumps(interval), interval["ended_at"]])

    def pending_watch(self, limit: int = 100, now: float | None = None) -> list[dict]:
        """The oldest intervals waiting to be sent (those older than a week are dropped: too late to count)."""
        with self.lock:
            self.db.execute("DELETE FROM pending_watch WHERE ended_at < ?",
                            [(time.time() if now is None else now) - WATCH_KEEP_SECONDS])
            rows = self.db.execute("SELECT body FROM pending_watch ORDER BY ended_at LIMIT ?", [limit]).fetchall()
        return [json.loads(row[0]) for row in rows]

    def forget_watch(self, sent: list[dict]) -> None:
        """Drop intervals the server has taken, unless a longer version arrived meanwhile."""
        with self.lock:
            self.db.executemany("DELETE FROM pending_watch WHERE key = ? AND ended_at <= ?",
                                [(i["key"], i["ended_at"]) for i in sent])
