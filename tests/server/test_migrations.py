"""Migrations: from an empty file, once each, atomically."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from server import migrations
from server.db import connect


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
