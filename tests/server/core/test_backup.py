"""Backups and restores on real SQLite files and real media folders (server/core/backup.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server import create_app
from server.core import backup as backup_module
from server.core.backup import (
    DATABASE_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    SiteFiles,
    make_backup,
    restore_backup,
)
from server.core.db import connect, write_transaction
from server.core.errors import UserError
from server.core.migrations import MIGRATIONS, applied_migrations
from server.web.context import current_lineup, get_db
from tests.conftest import REPO
from tests.support.fake_vod import add_video

NOW = datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC)


def make_site(root: Path, monkeypatch, **config) -> tuple[SiteFiles, object]:
    """A real site (create_app: database migrated, keys made) in `root`, its instance folder there too."""
    instance = root / "instance"
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    app = create_app({"DATABASE": str(root / "keting.sqlite3"), "MEDIA_ROOT": str(root / "media"),
                      "ORIGINALS_DIR": str(root / "originals"), **config}, clock=lambda: NOW)
    return SiteFiles(root / "keting.sqlite3", root / "media", instance, Path(app.config["CHANNELS_FILE"])), app


def fill_site(app, media_root: Path) -> int:
    """A published video with playlists and segments, subtitles, and what a backup leaves out; its item id."""
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        item_id = add_video(db, lineup, media_root, board_id="dangke", title="党课", seconds=4)
        hls_path = db.execute("SELECT hls_path FROM items WHERE id = ?", [item_id]).fetchone()[0]
        db.execute("INSERT INTO item_subtitles (item_id, lang, label, path) VALUES (?, 'zh', '中文', ?)",
                   [item_id, f"subtitles/{item_id}/zh.vtt"])
    folder = media_root / hls_path.rsplit("/", 1)[0]
    for rung in ("720p", "480p", "360p"):
        for index in range(2):
            (folder / rung / f"seg_{index:05d}.ts").write_bytes(os.urandom(1000 + index))
    (media_root / "subtitles" / str(item_id)).mkdir(parents=True)
    (media_root / "subtitles" / str(item_id) / "zh.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\n你好\n")
    (media_root / "subtitles" / str(item_id) / "zh.tmp").write_text("half written")
    for leftover in ("live/1/720p.m3u8", "vod/.staging/job-9/seg_00000.ts", "channels/1/.staging-slate-7/x.ts",
                     "pictures/.incoming-abc/raw", "channels/.art.json.123.tmp"):
        (media_root / leftover).parent.mkdir(parents=True, exist_ok=True)
        (media_root / leftover).write_text("in progress")
    return item_id


@pytest.fixture
def site(tmp_path, monkeypatch):
    """(site files, app, item id) of a site with one video."""
    files, app = make_site(tmp_path / "site", monkeypatch)
    return files, app, fill_site(app, files.media_root)


def rows(db, query: str) -> list[tuple]:
    return [tuple(row) for row in db.execute(query)]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected_media(media_root: Path) -> set[str]:
    """What a backup must hold: every file but live/, hidden work in progress and *.tmp."""
    found = set()
    for path in media_root.rglob("*"):
        relative = path.relative_to(media_root)
        if path.is_file() and relative.parts[0] != "live" and not any(p.startswith(".") for p in relative.parts) \
                and not path.name.endswith(".tmp"):
            found.add(relative.as_posix())
    return found


def test_a_backup_holds_the_database_the_media_and_the_keys_as_the_manifest_says(site, tmp_path):
    files, app, item_id = site
    target = tmp_path / "backups" / "2026-11-23"
    report = make_backup(files, target, NOW, "9.9.9")

    assert sorted(p.name for p in target.iterdir()) == [
        "channels.yaml", "instance", DATABASE_FILE, MANIFEST_FILE, "media"]
    assert not target.with_name("2026-11-23.partial").exists()
    assert target.stat().st_mode & 0o777 == 0o700
    manifest = json.loads((target / MANIFEST_FILE).read_text("utf-8"))
    assert (manifest["format"], manifest["keting_version"], manifest["created_at"]) == (
        FORMAT_VERSION, "9.9.9", "2026-11-23T02:00:00Z")
    with app.app_context():
        assert [m["name"] for m in manifest["migrations"]] == applied_migrations(get_db())
    listed = {entry["path"]: entry for entry in manifest["media"]}
    assert set(listed) == expected_media(files.media_root)
    assert not any(p.startswith("live/") or "/." in p or p.endswith(".tmp") for p in listed)
    for relative, entry in listed.items():
        copy = target / "media" / relative
        assert (entry["size"], entry["sha256"]) == (copy.stat().st_size, sha256(copy))
        assert copy.stat().st_ino == (files.media_root / relative).stat().st_ino  # same disk: hard links
    assert report.files == len(listed) and report.linked == len(listed)
    assert report.bytes == sum(entry["size"] for entry in listed.values())
    assert manifest["missing_media"] == []
    assert manifest["instance"] == {"secret_key": {"file": True, "setting": False},
                                    "media_signing_key": {"file": True, "setting": False}, "settings_file": False}
    for name in ("secret_key", "media_signing_key"):
        assert (target / "instance" / name).read_bytes() == (files.instance / name).read_bytes()
        assert (target / "instance" / name).stat().st_mode & 0o777 == 0o600
    assert manifest["database"]["sha256"] == sha256(target / DATABASE_FILE)

    copy = sqlite3.connect(target / DATABASE_FILE)
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    assert copy.execute("SELECT title FROM items WHERE id = ?", [item_id]).fetchone()[0] == "党课"
    copy.close()
    assert [n.message_id for n in report.notes] == ["backup.linked"]


def test_a_backup_names_the_media_the_database_needs_but_the_folder_lacks(site, tmp_path):
    files, app, item_id = site
    (files.media_root / "subtitles" / str(item_id) / "zh.vtt").unlink()
    report = make_backup(files, tmp_path / "b", NOW, "1")
    manifest = json.loads((tmp_path / "b" / MANIFEST_FILE).read_text("utf-8"))
    assert manifest["missing_media"] == [f"subtitles/{item_id}/zh.vtt"]
    note = next(n for n in report.notes if n.message_id == "backup.missing_media")
    assert note.params == {"count": 1, "examples": f"subtitles/{item_id}/zh.vtt"}


def test_a_key_a_setting_gives_is_not_in_the_backup_and_the_operator_is_told(tmp_path, monkeypatch):
    files, app = make_site(tmp_path / "site", monkeypatch, SECRET_KEY="from-the-environment")
    report = make_backup(files, tmp_path / "b", NOW, "1", keys_from_settings=frozenset({"secret_key"}))
    manifest = json.loads((tmp_path / "b" / MANIFEST_FILE).read_text("utf-8"))
    assert manifest["instance"]["secret_key"] == {"file": False, "setting": True}
    assert not (tmp_path / "b" / "instance" / "secret_key").exists()
    assert [n.params for n in report.notes if n.message_id == "backup.key_from_setting"] == [
        {"setting": "SECRET_KEY"}]


def test_the_instance_settings_file_is_kept_for_reference_but_not_restored(site, tmp_path, monkeypatch):
    files, _, _ = site
    (files.instance / "keting.cfg").write_text("PAGE_SIZE = 7\n")
    make_backup(files, tmp_path / "b", NOW, "1")
    assert (tmp_path / "b" / "instance" / "keting.cfg").stat().st_mode & 0o777 == 0o600
    fresh, _ = make_site(tmp_path / "fresh", monkeypatch)
    report = restore_backup(fresh, tmp_path / "b", NOW)
    assert not (fresh.instance / "keting.cfg").exists()
    assert [n.params for n in report.notes if n.message_id == "backup.settings_file"] == [
        {"path": tmp_path / "b" / "instance" / "keting.cfg"}]


@pytest.mark.parametrize("existing", ["file", "folder with a file"])
def test_a_backup_refuses_a_target_that_holds_something(site, tmp_path, existing):
    files, _, _ = site
    target = tmp_path / "b"
    if existing == "file":
        target.write_text("x")
    else:
        target.mkdir()
        (target / "old").write_text("keep me")
    with pytest.raises(UserError) as refused:
        make_backup(files, target, NOW, "1")
    assert refused.value.message_id == "backup.target_exists" and refused.value.params["path"] == target
    assert target.exists() and not target.with_name("b.partial").exists()


def test_a_backup_goes_into_an_empty_folder_but_not_into_the_media_folder(site, tmp_path):
    files, _, _ = site
    (tmp_path / "empty").mkdir()
    make_backup(files, tmp_path / "empty", NOW, "1")
    assert (tmp_path / "empty" / MANIFEST_FILE).is_file()
    with pytest.raises(UserError) as refused:
        make_backup(files, files.media_root / "backup", NOW, "1")
    assert refused.value.message_id == "backup.target_in_media"
    assert not (files.media_root / "backup").exists() and not (files.media_root / "backup.partial").exists()


def test_a_partial_folder_left_by_another_backup_is_not_taken_over(site, tmp_path):
    files, _, _ = site
    (tmp_path / "b.partial").mkdir()
    (tmp_path / "b.partial" / "keting.sqlite3").write_text("another backup's")
    with pytest.raises(UserError) as refused:
        make_backup(files, tmp_path / "b", NOW, "1")
    assert refused.value.message_id == "backup.partial_exists"
    assert (tmp_path / "b.partial" / "keting.sqlite3").read_text() == "another backup's"
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), RuntimeError("bug")])
def test_a_failed_backup_leaves_no_half_backup(site, tmp_path, monkeypatch, failure):
    files, _, _ = site
    copied = []

    def entry_then_fail(path, relative):
        if len(copied) == 3:
            raise failure
        copied.append(relative)
        return {"path": relative, "size": 1, "sha256": "x"}
    monkeypatch.setattr(backup_module, "_file_entry", entry_then_fail)
    with pytest.raises(UserError if isinstance(failure, OSError) else RuntimeError) as failed:
        make_backup(files, tmp_path / "b", NOW, "1")
    if isinstance(failure, OSError):
        assert failed.value.message_id == "backup.write_failed"
        assert "No space left on device" in failed.value.params["detail"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # neither b nor b.partial
    assert all((files.media_root / relative).is_file() for relative in copied)  # the site's files untouched


def test_a_backup_of_an_empty_site_says_so(tmp_path, monkeypatch):
    files, _ = make_site(tmp_path / "site", monkeypatch)
    report = make_backup(files, tmp_path / "b", NOW, "1")
    assert [n.params for n in report.notes if n.message_id == "backup.empty_database"] == [
        {"path": files.database}]


def test_a_backup_of_a_missing_database_says_so(tmp_path):
    files = SiteFiles(tmp_path / "nothing.sqlite3", tmp_path / "media", tmp_path / "instance")
    with pytest.raises(UserError) as refused:
        make_backup(files, tmp_path / "b", NOW, "1")
    assert refused.value.message_id == "backup.no_database"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


WRITER = """
import sys, time
from pathlib import Path
from server.core.db import connect, write_transaction
db = connect(sys.argv[1])
stop = Path(sys.argv[2])
n = 0
while not stop.exists():
    n += 1
    with write_transaction(db):
        db.execute("INSERT INTO ledger (n, payload) VALUES (?, randomblob(2000))", [n])
        db.execute("UPDATE ledger_total SET n = ?, rows = rows + 1", [n])
print(n)
"""


@pytest.mark.slow
def test_a_backup_is_one_consistent_moment_while_another_process_writes(site, tmp_path):
    """Each of the writer's transactions adds a ledger row and moves the total: every backup, taken while
    it writes as fast as it can, holds whole transactions only, and the writer is never held up for long."""
    files, _, _ = site
    db = connect(files.database)
    db.execute("CREATE TABLE ledger (n INTEGER PRIMARY KEY, payload BLOB)")
    db.execute("CREATE TABLE ledger_total (n INTEGER, rows INTEGER)")
    db.execute("INSERT INTO ledger_total VALUES (0, 0)")
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(files.database), str(stop)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while db.execute("SELECT rows FROM ledger_total").fetchone()[0] < 200 and time.monotonic() < deadline:
            time.sleep(0.01)  # until the writer is well under way
        seen = []
        for number in range(3):
            make_backup(files, tmp_path / f"b{number}", NOW, "1")
            copy = sqlite3.connect(tmp_path / f"b{number}" / DATABASE_FILE)
            total_n, total_rows = copy.execute("SELECT n, rows FROM ledger_total").fetchone()
            count, highest = copy.execute("SELECT count(*), max(n) FROM ledger").fetchone()
            assert (count, highest) == (total_rows, total_n) == (total_n, total_n)
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            copy.close()
            seen.append(total_n)
    finally:
        stop.write_text("")
        written = int(writer.communicate(timeout=30)[0])
        db.close()
    assert writer.returncode == 0
    assert seen == sorted(seen) and seen[0] < seen[-1] < written  # it kept writing through every backup


def test_restore_into_a_fresh_site_brings_everything_back(site, tmp_path, monkeypatch):
    files, app, item_id = site
    with app.app_context():
        db = get_db()
        db.execute("INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES ('broadcast', 'old:1', 0, ?)",
                   [time.time() + 60])
        db.execute("INSERT INTO transcode_jobs (item_id, source_path, state, worker, created_at) "
                   "VALUES (?, '/srv/originals/x', 'running', 'old-host:4242', '2026-11-23T01:00:00Z')", [item_id])
    make_backup(files, tmp_path / "b", NOW, "1")
    fresh, _ = make_site(tmp_path / "fresh", monkeypatch)  # a new machine: its own new keys, an empty database
    before = os.umask(0o077)  # a hardened shell: the media must still be readable by the web server
    try:
        report = restore_backup(fresh, tmp_path / "b", NOW)
    finally:
        os.umask(before)

    assert report.migrations == () and set(report.keys) == {"secret_key", "media_signing_key"}
    restored = connect(fresh.database)
    assert restored.execute("SELECT title FROM items WHERE id = ?", [item_id]).fetchone()[0] == "党课"
    assert restored.execute("SELECT count(*) FROM leases").fetchone()[0] == 0  # the old processes' leases
    assert rows(restored, "SELECT state, worker FROM transcode_jobs") == [("queued", None)]
    restored.close()
    manifest = json.loads((tmp_path / "b" / MANIFEST_FILE).read_text("utf-8"))
    assert report.files == len(manifest["media"])
    for entry in manifest["media"]:
        path = fresh.media_root / entry["path"]
        assert sha256(path) == entry["sha256"] and path.stat().st_mode & 0o777 == 0o644
        assert path.stat().st_ino != (files.media_root / entry["path"]).stat().st_ino  # a copy, not a link
        for folder in path.relative_to(fresh.media_root).parents:
            assert (fresh.media_root / folder).stat().st_mode & 0o777 == 0o755
    assert not (fresh.media_root / "live").exists() and not (fresh.media_root / "vod" / ".staging").exists()
    for name in ("secret_key", "media_signing_key"):
        assert (fresh.instance / name).read_bytes() == (files.instance / name).read_bytes()
        assert (fresh.instance / name).stat().st_mode & 0o777 == 0o600
    leftovers = [p.name for p in fresh.database.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no staged database left beside it


def test_restore_refuses_a_database_holding_data_unless_forced(site, tmp_path, monkeypatch):
    files, _, item_id = site
    make_backup(files, tmp_path / "b", NOW, "1")
    other, other_app = make_site(tmp_path / "other", monkeypatch)
    with other_app.app_context():
        get_db().execute("INSERT INTO organisations (name, kind, created_at) VALUES ('东风社区', 'community', 'x')")
    with pytest.raises(UserError) as refused:
        restore_backup(other, tmp_path / "b", NOW)
    assert refused.value.message_id == "backup.target_has_data"
    assert refused.value.params == {"path": other.database, "table": "organisations", "count": 1}
    untouched = connect(other.database)
    assert untouched.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    untouched.close()

    restore_backup(other, tmp_path / "b", NOW, force=True)
    replaced = connect(other.database)
    assert replaced.execute("SELECT count(*) FROM organisations").fetchone()[0] == 0
    assert rows(replaced, "SELECT id FROM items") == [(item_id,)]
    replaced.close()


def test_restore_refuses_while_a_server_uses_the_database_even_when_forced(site, tmp_path, monkeypatch):
    files, _, _ = site
    make_backup(files, tmp_path / "b", NOW, "1")
    target, target_app = make_site(tmp_path / "target", monkeypatch)
    with target_app.app_context():
        get_db().execute("INSERT INTO leases VALUES ('broadcast', 'tv:77', ?, ?)", [NOW.timestamp(),
                                                                                    NOW.timestamp() + 10])
    with pytest.raises(UserError) as refused:
        restore_backup(target, tmp_path / "b", NOW, force=True)
    assert refused.value.message_id == "backup.server_running" and refused.value.params["holder"] == "tv:77"
    later = datetime.fromtimestamp(NOW.timestamp() + 11, UTC)  # the lease has expired: the server is gone
    restore_backup(target, tmp_path / "b", later)


def test_restore_upgrades_an_older_backup_with_the_migrations(tmp_path, monkeypatch):
    """A backup made before the last migrations existed is brought up to this version's schema."""
    older = MIGRATIONS[:-3]
    monkeypatch.setattr("server.core.migrations.MIGRATIONS", older)
    old_files, old_app = make_site(tmp_path / "old", monkeypatch)
    with old_app.app_context():
        get_db().execute("INSERT INTO organisations (name, kind, created_at) VALUES ('东风社区', 'community', 'x')")
    make_backup(old_files, tmp_path / "b", NOW, "0.0.1")
    manifest = json.loads((tmp_path / "b" / MANIFEST_FILE).read_text("utf-8"))
    assert [m["name"] for m in manifest["migrations"]] == [name for name, _ in older]
    monkeypatch.setattr("server.core.migrations.MIGRATIONS", MIGRATIONS)

    fresh = SiteFiles(tmp_path / "new" / "data" / "keting.sqlite3", tmp_path / "new" / "media",
                      tmp_path / "new" / "instance")
    report = restore_backup(fresh, tmp_path / "b", NOW)
    assert report.migrations == tuple(name for name, _ in MIGRATIONS[-3:])
    db = connect(fresh.database)
    assert applied_migrations(db) == [name for name, _ in MIGRATIONS]
    assert rows(db, "SELECT name FROM organisations") == [("东风社区",)]
    db.close()


def test_restore_refuses_a_database_from_a_newer_keting(site, tmp_path, monkeypatch):
    files, app, _ = site
    with app.app_context():
        get_db().execute("INSERT INTO _migrations VALUES ('m999_from_the_future', '2030-01-01T00:00:00Z')")
    make_backup(files, tmp_path / "b", NOW, "9.0")
    fresh, _ = make_site(tmp_path / "fresh", monkeypatch)
    with pytest.raises(UserError) as refused:
        restore_backup(fresh, tmp_path / "b", NOW)
    assert refused.value.message_id == "backup.newer_schema"
    assert refused.value.params == {"names": "m999_from_the_future"}
    assert not any(p.name.startswith(".") for p in fresh.database.parent.iterdir())


def test_restore_checks_every_file_against_the_manifest(site, tmp_path, monkeypatch):
    files, _, _ = site
    make_backup(files, tmp_path / "b", NOW, "1")
    fresh, _ = make_site(tmp_path / "fresh", monkeypatch)
    manifest = json.loads((tmp_path / "b" / MANIFEST_FILE).read_text("utf-8"))
    segment = next(e["path"] for e in manifest["media"] if e["path"].endswith(".ts"))
    playlist = next(e["path"] for e in manifest["media"] if e["path"].endswith("index.m3u8"))
    (tmp_path / "b" / "media" / playlist).unlink()  # (a link: the site's own file stays)
    with pytest.raises(UserError) as refused:
        restore_backup(fresh, tmp_path / "b", NOW)
    assert refused.value.message_id == "backup.damaged"
    assert refused.value.params["count"] == 1 and refused.value.params["examples"] == f"media/{playlist}"
    assert not (fresh.media_root / segment).exists()  # nothing was restored

    os.link(files.media_root / playlist, tmp_path / "b" / "media" / playlist)
    damaged = tmp_path / "b" / "media" / segment
    content = damaged.read_bytes()
    damaged.unlink()  # break the link, then write a same-size file with other bytes
    damaged.write_bytes(bytes(len(content)))
    with pytest.raises(UserError) as refused:
        restore_backup(fresh, tmp_path / "b", NOW, verify=True)
    assert refused.value.message_id == "backup.damaged" and refused.value.params["examples"] == f"media/{segment}"
    restore_backup(fresh, tmp_path / "b", NOW)  # sizes only: it passes


@pytest.mark.parametrize("change, message_id", [
    (lambda m: m["media"].append({"path": "../../etc/passwd", "size": 1, "sha256": "x"}), "backup.bad_manifest"),
    (lambda m: m["media"].append({"path": "/etc/passwd", "size": 1, "sha256": "x"}), "backup.bad_manifest"),
    (lambda m: m.pop("database"), "backup.bad_manifest"),
    (lambda m: m.update(format=FORMAT_VERSION + 1), "backup.newer_format"),
])
def test_restore_refuses_a_manifest_it_cannot_trust(site, tmp_path, monkeypatch, change, message_id):
    files, _, _ = site
    make_backup(files, tmp_path / "b", NOW, "1")
    manifest_path = tmp_path / "b" / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text("utf-8"))
    change(manifest)
    manifest_path.write_text(json.dumps(manifest))
    fresh, _ = make_site(tmp_path / "fresh", monkeypatch)
    with pytest.raises(UserError) as refused:
        restore_backup(fresh, tmp_path / "b", NOW)
    assert refused.value.message_id == message_id


def test_restore_of_a_folder_that_is_not_a_backup_says_so(tmp_path):
    files = SiteFiles(tmp_path / "k.sqlite3", tmp_path / "media", tmp_path / "instance")
    with pytest.raises(UserError) as refused:
        restore_backup(files, tmp_path, NOW)
    assert refused.value.message_id == "backup.not_a_backup" and refused.value.params["path"] == tmp_path
    (tmp_path / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(UserError) as refused:
        restore_backup(files, tmp_path, NOW)
    assert refused.value.message_id == "backup.bad_manifest"


def test_restoring_a_backup_onto_its_own_site_keeps_the_linked_files_whole(site, tmp_path):
    """On the same disk the backup shares the site's files: restoring must never write into one."""
    files, _, _ = site
    make_backup(files, tmp_path / "b", NOW, "1")
    manifest = json.loads((tmp_path / "b" / MANIFEST_FILE).read_text("utf-8"))
    restore_backup(files, tmp_path / "b", NOW, force=True, verify=True)
    for entry in manifest["media"]:
        assert sha256(files.media_root / entry["path"]) == entry["sha256"]


def test_restore_says_when_a_setting_overrides_a_restored_key(site, tmp_path, monkeypatch):
    files, _, _ = site
    make_backup(files, tmp_path / "b", NOW, "1")
    fresh, _ = make_site(tmp_path / "fresh", monkeypatch, MEDIA_SIGNING_KEY="this-site-s-own")
    kept = (tmp_path / "b" / "instance" / "media_signing_key").read_text()
    report = restore_backup(fresh, tmp_path / "b", NOW, configured_keys={"media_signing_key": "this-site-s-own"})
    assert [n.params for n in report.notes if n.message_id == "backup.key_overridden"] == [
        {"setting": "MEDIA_SIGNING_KEY"}]
    fresh2, _ = make_site(tmp_path / "fresh2", monkeypatch, MEDIA_SIGNING_KEY=kept)
    report = restore_backup(fresh2, tmp_path / "b", NOW, configured_keys={"media_signing_key": kept})
    assert not [n for n in report.notes if n.message_id == "backup.key_overridden"]


def test_a_failed_restore_leaves_the_site_s_database_as_it_was(site, tmp_path, monkeypatch):
    files, _, _ = site
    make_backup(files, tmp_path / "b", NOW, "1")
    other, other_app = make_site(tmp_path / "other", monkeypatch)
    with other_app.app_context():
        db = get_db()
        with write_transaction(db):
            db.execute("INSERT INTO organisations (name, kind, created_at) VALUES ('向阳社区', 'community', 'x')")

    def disk_full(source, target):
        raise OSError(28, "No space left on device", str(target))
    monkeypatch.setattr(backup_module, "_restore_file", disk_full)
    with pytest.raises(UserError) as failed:
        restore_backup(other, tmp_path / "b", NOW, force=True)
    assert failed.value.message_id == "backup.restore_failed"
    kept = connect(other.database)
    assert rows(kept, "SELECT name FROM organisations") == [("向阳社区",)]
    kept.close()
    assert not [p.name for p in other.database.parent.iterdir() if p.name.startswith(".")]


def test_the_line_up_is_kept_and_a_different_one_on_the_restored_site_is_pointed_out(site, tmp_path, monkeypatch):
    files, _, _ = site
    make_backup(files, tmp_path / "b", NOW, "1")
    assert (tmp_path / "b" / "channels.yaml").read_bytes() == files.channels_file.read_bytes()
    same, _ = make_site(tmp_path / "same", monkeypatch)
    assert not [n for n in restore_backup(same, tmp_path / "b", NOW).notes if n.message_id == "backup.lineup_differs"]

    changed = tmp_path / "changed.yaml"
    changed.write_bytes(files.channels_file.read_bytes() + b"\n# another site's line-up\n")
    other, _ = make_site(tmp_path / "other", monkeypatch, CHANNELS_FILE=str(changed))
    notes = restore_backup(other, tmp_path / "b", NOW).notes
    assert [n.params for n in notes if n.message_id == "backup.lineup_differs"] == [
        {"path": changed, "backup": tmp_path / "b" / "channels.yaml"}]


@pytest.mark.parametrize("where", ["file", "folder"])
def test_restore_refuses_a_backup_whose_files_are_symbolic_links_to_elsewhere(site, tmp_path, monkeypatch, where):
    """A tampered backup must not make restore copy (and publish under media/) a file of this machine."""
    files, _, _ = site
    make_backup(files, tmp_path / "b", NOW, "1")
    fresh, _ = make_site(tmp_path / "fresh", monkeypatch)
    manifest = json.loads((tmp_path / "b" / MANIFEST_FILE).read_text("utf-8"))
    segment = next(e["path"] for e in manifest["media"] if e["path"].endswith(".ts"))
    inside = tmp_path / "b" / "media" / segment
    secret_root = tmp_path / "secrets"
    secret_root.mkdir()
    if where == "file":
        secret = secret_root / "shadow"
        secret.write_bytes(b"s" * inside.stat().st_size)
        secret.chmod(0o600)
        inside.unlink()
        inside.symlink_to(secret)
    else:
        folder = inside.parent
        shutil.copytree(folder, secret_root / "copy")
        shutil.rmtree(folder)
        folder.symlink_to(secret_root / "copy")
    with pytest.raises(UserError) as refused:
        restore_backup(fresh, tmp_path / "b", NOW)
    assert refused.value.message_id == "backup.damaged"
    assert not (fresh.media_root / segment).exists()
