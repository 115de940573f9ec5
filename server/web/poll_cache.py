"""Box polls answered from memory while nothing they depend on has changed.

A thousand boxes poll /boards, /channels and /notices every few seconds to
minutes; nearly every poll ends in 304. Each process keeps, per question, the
entity tag it last computed and the versions of what that answer read
(topics): the catalogue, schedule and notice counters, the channels' build
versions (all moved by triggers, m003/m012/m020). The topics are read again
only when SQLite's `PRAGMA data_version` on this process's watcher
connection says another connection committed; so a poll costs one PRAGMA and
dictionary lookups, not queries. Answers that also change with time carry
the moment they stop being true (`valid_until`), or put a time bucket in
their key.

A box's token is looked up once per change of the 'devices' counter, which
moves only with what authentication reads (state, organisation, token), not
with last-seen writes.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from server.accounts.devices import Device, authenticate

TOPICS_SQL = """SELECT (SELECT version FROM catalogue_version WHERE id = 1),
                       (SELECT version FROM schedule_version WHERE id = 1),
                       (SELECT group_concat(channel || ':' || version) FROM channel_builds),
                       (SELECT group_concat(topic || ':' || version) FROM change_counters)"""
# Bounds on what one process remembers (boxes × questions); past them the oldest half goes.
MAX_ENTRIES = 50_000


@dataclass
class _Memo:
    topics: tuple
    valid_until: datetime | None
    value: object


@dataclass
class _Seen:
    topics: tuple
    device: Device
    written_at: datetime | None


class PollCache:
    """One process's memory of poll answers for one database."""

    def __init__(self, database: str):
        self.database = database
        self._lock = threading.Lock()
        self._pid = None
        self._conn: sqlite3.Connection | None = None
        self._data_version = None
        self._topics: tuple = ()
        self._memos: dict[tuple, _Memo] = {}
        self._devices: dict[str, _Seen] = {}

    def topics(self) -> tuple:
        """The versions of everything polls depend on, read again only after another connection committed."""
        with self._lock:
            if self._pid != os.getpid():  # a connection must not cross a fork (gunicorn's workers)
                self._conn = sqlite3.connect(self.database, check_same_thread=False)
                self._pid, self._data_version = os.getpid(), None
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:
                self._topics = tuple(self._conn.execute(TOPICS_SQL).fetchone())
                self._data_version = version
            return self._topics

    def remember(self, key: tuple, now: datetime, compute: Callable[[], tuple[object, datetime | None]]) -> object:
        """The value for `key` (an entity tag, a small answer): from memory while the topics are unchanged
        and `now` is before its valid_until; otherwise compute() -> (value, valid_until) and remember it."""
        topics = self.topics()
        memo = self._memos.get(key)
        if memo is not None and memo.topics == topics and (memo.valid_until is None or now < memo.valid_until):
            return memo.value
        value, valid_until = compute()
        self._store(self._memos, key, _Memo(topics, valid_until, value))
        return value

    def device(self, db_factory: Callable, token: str | None, now: datetime, seen_interval_s: int) -> Device:
        """The approved box holding `token` (401 otherwise), looked up in the database only when the
        'devices' counter moved; its last-seen time is still written every `seen_interval_s`."""
        if not token:
            return authenticate(db_factory(), token, now, seen_interval_s)  # raises the 401 with its message
        key = hashlib.sha256(token.encode()).hexdigest()
        topics = self.topics()
        seen = self._devices.get(key)
        if seen is None or seen.topics != topics:
            device = authenticate(db_factory(), token, now, seen_interval_s)
            self._store(self._devices, key, _Seen(topics, device, now))
            return device
        if seen.written_at is None or (now - seen.written_at).total_seconds() >= seen_interval_s:
            authenticate(db_factory(), token, now, seen_interval_s)
            seen.written_at = now
        return seen.device

    @staticmethod
    def _store(table: dict, key, value) -> None:
        if len(table) >= MAX_ENTRIES:
            for old in list(table)[: MAX_ENTRIES // 2]:
                table.pop(old, None)
        table[key] = value
