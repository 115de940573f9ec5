"""The box's offline cache: its schema is versioned and migrated, and it keeps answers and unsent positions."""

from __future__ import annotations

import sqlite3

from stb_client.link.cache import MIGRATIONS, AnswerCache


def user_version(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def test_a_new_cache_is_at_the_current_version_and_keeps_answers_and_positions(tmp_path):
    path = tmp_path / "cache.sqlite3"
    cache = AnswerCache(path)
    cache.put("boards", [{"id": "dangke", "name": "支部党课"}])
    cache.keep_position(12, 95.5)
    assert user_version(path) == len(MIGRATIONS)
    again = AnswerCache(path)  # a restart: nothing lost, nothing migrated twice
    assert again.get("boards") == [{"id": "dangke", "name": "支部党课"}]
    assert again.pending_positions() == [(12, 95.5)]
    again.forget_position(12)
    assert again.pending_positions() == [] and again.get("items:none") is None


def test_a_cache_from_before_versions_is_migrated_in_place(tmp_path):
    """Boxes in the field hold files made before the schema had a version: their answers stay."""
    path = tmp_path / "cache.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE answers (key TEXT PRIMARY KEY, body TEXT NOT NULL, saved_at REAL NOT NULL)")
        db.execute("CREATE TABLE pending_positions (item_id INTEGER PRIMARY KEY, position_s REAL NOT NULL)")
        db.execute("INSERT INTO answers VALUES ('channels', '{\"channels\": []}', 0)")
        db.execute("INSERT INTO pending_positions VALUES (7, 30.0)")
    cache = AnswerCache(path)
    assert user_version(path) == len(MIGRATIONS)
    assert cache.get("channels") == {"channels": []} and cache.pending_positions() == [(7, 30.0)]


def test_a_cache_from_a_newer_client_starts_afresh_instead_of_being_misread(tmp_path):
    path = tmp_path / "cache.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE answers_v9 (whatever TEXT)")
        db.execute("PRAGMA user_version = 99")
    cache = AnswerCache(path)
    assert user_version(path) == len(MIGRATIONS)
    cache.put("boards", [])
    assert cache.get("boards") == []
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "answers_v9" not in tables
