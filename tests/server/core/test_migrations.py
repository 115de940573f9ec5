"""Migrations: from an empty file, once each, atomically."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from server.core import migrations
from server.core.db import connect


def test_from_empty_applies_all_in_order_then_nothing(tmp_path):
    db = connect(tmp_path / "k.db")
    names = [name for name, _ in migrations.MIGRATIONS]
    assert migrations.migrate(db) == names
    assert migrations.applied_migrations(db) == names
    assert migrations.migrate(db) == []
    assert {"organisations", "items", "item_targets", "devices", "positions"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_a_failing_migration_leaves_nothing_behind(tmp_path, monkeypatch):
    def m999_broken(db):
        db.execute("CREATE TABLE half_done (x)")
        db.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, ("m999_broken", m999_broken)])
    db = connect(tmp_path / "k.db")
    with pytest.raises(sqlite3.OperationalError):
        migrations.migrate(db)
    assert "half_done" not in db.table_names()
    assert "m999_broken" not in migrations.applied_migrations(db)
    assert len(migrations.applied_migrations(db)) == len(migrations.MIGRATIONS) - 1


def test_concurrent_starts_apply_each_migration_once(tmp_path):
    errors: list[BaseException] = []
    start = threading.Barrier(4, timeout=30)

    def run():
        try:
            start.wait()  # all four open the brand-new file at once, as racing processes would
            db = connect(tmp_path / "k.db")
            migrations.migrate(db)
            db.close()
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert migrations.applied_migrations(connect(tmp_path / "k.db")) == [n for n, _ in migrations.MIGRATIONS]


def test_what_a_box_plays_moves_from_text_to_typed_columns(tmp_path, monkeypatch):
    """m015: "channel:1" and "item:12" become playing_channel and playing_item_id; an item gone is the menus."""
    names = [name for name, _ in migrations.MIGRATIONS]
    upto = names.index("m015_playing_columns")
    db = connect(tmp_path / "k.db")
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:upto])
    migrations.migrate(db)
    db.execute("INSERT INTO items (id, kind, board_id, title, state, created_at, updated_at) "
               "VALUES (12, 'video', 'dangke', '党课', 'draft', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')")
    for serial, playing in (("A", "channel:1"), ("B", "item:12"), ("C", "item:99"), ("D", None), ("E", "item:x")):
        db.execute("INSERT INTO devices (serial, name, state, registered_at, playing) "
                   "VALUES (?, '', 'approved', '2026-11-01T00:00:00Z', ?)", [serial, playing])
    monkeypatch.undo()
    assert migrations.migrate(db)[0] == "m015_playing_columns"
    rows = db.execute("SELECT serial, playing_channel, playing_item_id FROM devices ORDER BY serial").fetchall()
    assert [tuple(r) for r in rows] == [("A", 1, None), ("B", None, 12), ("C", None, None), ("D", None, None),
                                        ("E", None, None)]
    assert "playing" not in {c.name for c in db["devices"].columns}
    db.execute("DELETE FROM items WHERE id = 12")
    assert db.execute("SELECT playing_item_id FROM devices WHERE serial = 'B'").fetchone()[0] is None
