"""The box's memory of the server's last answers (SQLite), so menus work while the network is down.

Answers are kept as the JSON the server sent, keyed by what was asked; a
start-up shows the cached Home at once, before the network answers.
Positions reported while offline wait here until the server is back.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path


class AnswerCache:
    """Last answers by key ("boards", "items:dangke", "item:12", "channels", "notices")."""

    def __init__(self, path: Path | str):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.lock = threading.Lock()
        with self.lock:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, body TEXT NOT NULL, "
                            "saved_at REAL NOT NULL)")
            self.db.execute("CREATE TABLE IF NOT EXISTS pending_positions (item_id INTEGER PRIMARY KEY, "
                            "position_s REAL NOT NULL)")

    def put(self, key: str, body: object) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO answers (key, body, saved_at) VALUES (?, ?, ?)",
                            [key, json.dumps(body, ensure_ascii=False), time.time()])

    def get(self, key: str) -> object | None:
        with self.lock:
            row = self.db.execute("SELECT body FROM answers WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None

    def keep_position(self, item_id: int, position_s: float) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO pending_positions VALUES (?, ?)", [item_id, position_s])

    def pending_positions(self) -> list[tuple[int, float]]:
        with self.lock:
            return [tuple(row) for row in self.db.execute("SELECT item_id, position_s FROM pending_positions")]

    def forget_position(self, item_id: int) -> None:
        with self.lock:
            self.db.execute("DELETE FROM pending_positions WHERE item_id = ?", [item_id])
