"""Backing a site up while it serves, and restoring it onto this or another machine.

A backup is a folder (mode 700: it holds the site's keys):

    keting.sqlite3   the database at one moment, made with SQLite's online backup API while the
                     server keeps writing (in WAL mode a reader sees one snapshot and blocks no
                     writer), switched to a rollback journal so it is one self-contained file
    manifest.json    format version, Keting version, time, the database's migrations, every media
                     file with its size and SHA-256, and which instance keys the backup holds
    media/           MEDIA_ROOT without live/ (channel playlists, rewritten every 2 s) and without
                     work in progress (hidden names such as .staging, and *.tmp files): hard links
                     when on the same file system (the server never writes into a media file, it
                     replaces files and folders whole), else copies
    instance/        secret_key and media_signing_key (mode 600), so sessions and the signed URLs
                     handed out survive, and keting.cfg when the site has one (for reference only)
    channels.yaml    the line-up in force (CHANNELS_FILE), for reference: restoring compares it with
                     the site's own and says when they differ, it never replaces configuration

It is written into PATH.partial and renamed to PATH at the end: a backup that fails leaves nothing.

Restoring checks the backup against its manifest, then prepares the database in a temporary file
beside DATABASE (copied with the backup API, upgraded by the migrations, the old processes' leases
and running jobs released), copies the media (folders 755, files 644) and the keys, and replaces
DATABASE last: a restore that fails leaves the site's database as it was.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlite_utils import Database

from server.core.db import BUSY_TIMEOUT_MS, connect, create_private, write_transaction
from server.core.errors import UserError
from server.core.media_permissions import FILE_MODE, FOLDER_MODE
from server.core.media_signing import plain_path
from server.core.migrations import MIGRATIONS, applied_migrations, migrate
from server.core.timestamps import format_utc

FORMAT_VERSION = 1
DATABASE_FILE = "keting.sqlite3"
MANIFEST_FILE = "manifest.json"
MEDIA_FOLDER = "media"
INSTANCE_FOLDER = "instance"
SETTINGS_FILE = "keting.cfg"
LINEUP_FILE = "channels.yaml"
PARTIAL_SUFFIX = ".partial"
# The instance keys, by file name, with the setting that overrides each (instance_keys.py).
KEY_SETTINGS = {"secret_key": "SECRET_KEY", "media_signing_key": "MEDIA_SIGNING_KEY"}
# live/ is rewritten by the running server every segment; a restored server writes its own.
SKIPPED_TOP_FOLDERS = frozenset({"live"})
PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# Tables whose rows are no site's content: the migrations' bookkeeping and the running processes' leases.
NOT_CONTENT = frozenset({"_migrations", "leases", "sqlite_sequence", "sqlite_stat1"})
EXAMPLES = 5  # paths named in one message at most
LINK_FAILURES = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES)


@dataclass(frozen=True)
class SiteFiles:
    """Where a site keeps what a backup holds: the database, the media folder and the instance folder."""

    database: Path
    media_root: Path
    instance: Path
    channels_file: Path | None = None


@dataclass(frozen=True)
class Note:
    """Something the operator should know after a backup or a restore, as a catalogue message."""

    message_id: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BackupReport:
    """What a backup holds."""

    path: Path
    files: int
    bytes: int
    linked: int
    keys: tuple[str, ...]
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class RestoreReport:
    """What a restore put in place."""

    files: int
    keys: tuple[str, ...]
    migrations: tuple[str, ...]
    notes: tuple[Note, ...]


# --- backing up -------------------------------------------------------------------------------------------


def make_backup(site: SiteFiles, target: Path, now: datetime, version: str,
                keys_from_settings: frozenset[str] = frozenset()) -> BackupReport:
    """Back the site up into the new folder `target`; refuse one that exists and is not empty.

    `keys_from_settings` names the keys (secret_key, media_signing_key) that a setting gives the
    site instead of its instance file: the backup cannot hold those, the manifest says so.
    """
    target = Path(target).absolute()
    _check_target(target, site.media_root)
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    try:
        _make_partial(partial)
    except OSError as error:
        raise UserError("backup.write_failed", path=target, detail=_reason(error)) from None
    try:
        report = _write_backup(site, partial, target, now, version, keys_from_settings)
        _publish(partial, target)
    except BaseException as error:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(error, OSError):
            raise UserError("backup.write_failed", path=target, detail=_reason(error)) from None
        raise
    return report


def _check_target(target: Path, media_root: Path) -> None:
    """Refuse a target that holds something, or that lies inside MEDIA_ROOT (it would be served and copied)."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UserError("backup.target_exists", path=target)
    if target.resolve().is_relative_to(Path(media_root).resolve()):
        raise UserError("backup.target_in_media", path=target, media=media_root)


def _make_partial(partial: Path) -> None:
    """Create PATH.partial (mode 700); one that exists is another backup's or a crashed one's."""
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        partial.mkdir(mode=PRIVATE_FOLDER_MODE)
    except FileExistsError:
        raise UserError("backup.partial_exists", path=partial) from None
    os.chmod(partial, PRIVATE_FOLDER_MODE)


def _write_backup(site: SiteFiles, partial: Path, target: Path, now: datetime, version: str,
                  keys_from_settings: frozenset[str]) -> BackupReport:
    """Fill `partial`: the database first (the moment the backup stands for), then the media and keys."""
    database = partial / DATABASE_FILE
    _copy_database(site.database, database)
    migrations = _migration_rows(database)
    media, linked = _copy_media(site.media_root, partial / MEDIA_FOLDER)
    keys, settings_file = _copy_instance(site.instance, partial / INSTANCE_FOLDER, keys_from_settings)
    missing = _missing_media(database, partial / MEDIA_FOLDER)
    manifest = {
        "format": FORMAT_VERSION, "keting_version": version, "created_at": format_utc(now),
        "database": _file_entry(database, DATABASE_FILE), "migrations": migrations, "media": media,
        "missing_media": missing, "lineup": _copy_lineup(site.channels_file, partial / LINEUP_FILE),
        "instance": {**{name: {"file": name in keys, "setting": name in keys_from_settings}
                        for name in KEY_SETTINGS}, "settings_file": settings_file},
    }
    _write_json(partial / MANIFEST_FILE, manifest)
    notes = _backup_notes(manifest, linked, _unfinished_jobs(database))
    if not _has_content(database):
        notes.insert(0, Note("backup.empty_database", {"path": site.database}))
    return BackupReport(target, len(media), sum(entry["size"] for entry in media), linked,
                        tuple(keys), tuple(notes))


def _copy_database(source: Path, copy: Path) -> None:
    """The live database into `copy` with SQLite's backup API, in one step (one consistent snapshot)."""
    if not source.is_file():
        raise UserError("backup.no_database", path=source)
    try:
        create_private(copy)
        with contextlib.closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)) as live, \
                contextlib.closing(sqlite3.connect(copy)) as out:
            live.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            live.backup(out)  # pages=-1: every page in one step, under one read transaction
            out.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            problem = out.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as error:
        raise UserError("backup.database_failed", path=source, detail=error) from None
    if problem != "ok":
        raise UserError("backup.database_damaged", path=source, detail=problem)
    _fsync(copy)


def _migration_rows(database: Path) -> list[dict]:
    """The migrations applied to a database file, in order, with when."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        try:
            rows = conn.execute("SELECT name, applied_at FROM _migrations ORDER BY rowid").fetchall()
        except sqlite3.OperationalError:
            return []
    return [{"name": name, "applied_at": applied_at} for name, applied_at in rows]


def media_files(media_root: Path) -> Iterator[str]:
    """The files under MEDIA_ROOT a backup holds, as sorted relative paths with "/".

    Not live/ (the channel playlists the server rewrites), not work in progress: names starting
    with "." (.staging, .incoming-…, temporary files) and *.tmp. Symbolic links are followed
    (each real folder once).
    """
    media_root = Path(media_root)
    if not media_root.is_dir():
        return
    seen: set[tuple[int, int]] = set()
    for folder, folders, files in os.walk(media_root, followlinks=True):
        here = Path(folder)
        relative = here.relative_to(media_root)
        status = here.stat()
        identity = (status.st_dev, status.st_ino)
        if identity in seen:  # a link back up the tree
            folders[:] = []
            continue
        seen.add(identity)
        folders[:] = sorted(name for name in folders if not _skipped_folder(relative, name))
        for name in sorted(files):
            if not name.startswith(".") and not name.endswith(".tmp"):
                yield (relative / name).as_posix()


def _skipped_folder(relative: Path, name: str) -> bool:
    """Whether a folder under MEDIA_ROOT stays out of a backup (live/ at the top, hidden ones anywhere)."""
    return name.startswith(".") or (relative == Path(".") and name in SKIPPED_TOP_FOLDERS)


def _copy_media(media_root: Path, folder: Path) -> tuple[list[dict], int]:
    """Link or copy every media file into `folder`; return the manifest entries and how many were linked."""
    folder.mkdir()
    link = Path(media_root).is_dir() and os.stat(media_root).st_dev == os.stat(folder).st_dev
    entries, linked = [], 0
    for relative in media_files(media_root):
        copy = folder / relative
        placed = _place(Path(media_root) / relative, copy, link)
        if placed is None:
            continue  # the server removed or replaced it after the listing: it is not part of this moment
        linked += placed
        entries.append(_file_entry(copy, relative))
    return entries, linked


def _place(source: Path, copy: Path, link: bool) -> bool | None:
    """Hard-link `source` at `copy`, or copy it; True when linked, None when the file has gone."""
    copy.parent.mkdir(parents=True, exist_ok=True)
    try:
        if link and not source.is_symlink():
            try:
                os.link(source, copy)
                return True
            except OSError as error:
                if error.errno not in LINK_FAILURES:
                    raise
        shutil.copy2(source, copy)
        return False
    except FileNotFoundError:
        if not source.exists():
            return None
        raise


def _file_entry(path: Path, relative: str) -> dict:
    """A manifest entry: relative path, size and SHA-256 of one file."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return {"path": relative, "size": size, "sha256": digest}


def _copy_instance(instance: Path, folder: Path, keys_from_settings: frozenset[str]) -> tuple[list[str], bool]:
    """The key files (mode 600) and keting.cfg into `folder`; return the keys copied and whether keting.cfg was."""
    folder.mkdir(mode=PRIVATE_FOLDER_MODE)
    keys = []
    for name in KEY_SETTINGS:
        if name not in keys_from_settings and (Path(instance) / name).is_file():
            write_private(folder / name, (Path(instance) / name).read_bytes())
            keys.append(name)
    settings = Path(instance) / SETTINGS_FILE
    if settings.is_file():
        write_private(folder / SETTINGS_FILE, settings.read_bytes())
    return keys, settings.is_file()


def _copy_lineup(channels_file: Path | None, copy: Path) -> dict | None:
    """Copy the line-up in force into the backup; its manifest entry, or None when there is none."""
    if channels_file is None or not Path(channels_file).is_file():
        return None
    shutil.copyfile(channels_file, copy)
    return _file_entry(copy, LINEUP_FILE)


def needed_media(database: Path) -> set[str]:
    """The media files a database names (items' master playlists and thumbnails, subtitles, articles'
    readings), relative."""
    queries = ("SELECT hls_path FROM items", "SELECT thumbnail_path FROM items", "SELECT path FROM item_subtitles",
               "SELECT path FROM readings", "SELECT recorded_path FROM readings")
    found: set[str] = set()
    with contextlib.closing(sqlite3.connect(database)) as conn:
        for query in queries:
            try:
                found.update(row[0] for row in conn.execute(query) if row[0])
            except sqlite3.OperationalError:
                continue  # an older schema without that table or column
    return {path for path in found if plain_path(path) and ":" not in path}


def _missing_media(database: Path, folder: Path) -> list[str]:
    """The files the backed-up database names that the backup's media lacks, sorted."""
    return sorted(path for path in needed_media(database) if not (folder / path).is_file())


def _has_content(database: Path) -> bool:
    """Whether a database holds anything a freshly migrated one does not (a wrong DATABASE makes an empty one)."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return holds_data(conn) is not None


def _unfinished_jobs(database: Path) -> int:
    """Transcode jobs queued or running: their originals are in ORIGINALS_DIR, which a backup does not hold."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        try:
            return conn.execute(
                "SELECT count(*) FROM transcode_jobs WHERE state IN ('queued', 'running')").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def _backup_notes(manifest: dict, linked: int, unfinished_jobs: int) -> list[Note]:
    """What the operator should know about a finished backup."""
    notes = []
    if linked:
        notes.append(Note("backup.linked", {"count": linked}))
    if manifest["missing_media"]:
        notes.append(Note("backup.missing_media", {"count": len(manifest["missing_media"]),
                                                   "examples": _examples(manifest["missing_media"])}))
    if unfinished_jobs:
        notes.append(Note("backup.unfinished_jobs", {"count": unfinished_jobs}))
    notes.extend(Note("backup.key_from_setting", {"setting": KEY_SETTINGS[name]})
                 for name, info in _key_infos(manifest) if info["setting"])
    return notes


def _publish(partial: Path, target: Path) -> None:
    """Rename the finished backup into place (over an empty folder, if one is there) and make it durable."""
    _fsync(partial)
    if target.is_dir():
        target.rmdir()  # empty, checked before; rename(2) would also replace it, but say so plainly
    os.rename(partial, target)
    _fsync(target.parent)


# --- restoring --------------------------------------------------------------------------------------------


def restore_backup(site: SiteFiles, source: Path, now: datetime, *, force: bool = False, verify: bool = False,
                   configured_keys: Mapping[str, str] | None = None) -> RestoreReport:
    """Restore the backup in `source` into the site; refuse a database holding data unless `force`.

    `verify` checks every file's SHA-256 as well as its size. `configured_keys` maps a key's file
    name to the value a setting gives this site instead of its instance file, so a mismatch is said.
    """
    source = Path(source).absolute()
    manifest = read_manifest(source)
    check_backup(source, manifest, verify)
    check_target_database(site.database, now, force)
    staged = site.database.with_name(f".{site.database.name}.restore-{os.getpid()}")
    try:
        applied = _stage_database(source / DATABASE_FILE, staged)
        _restore_media(source / MEDIA_FOLDER, manifest["media"], site.media_root)
        keys = _restore_keys(source / INSTANCE_FOLDER, manifest, site.instance)
        _replace_database(staged, site.database)
    except OSError as error:
        raise UserError("backup.restore_failed", path=getattr(error, "filename", None) or site.database,
                        detail=_reason(error)) from None
    finally:
        _remove_database_files(staged)
    notes = _restore_notes(source, manifest, configured_keys or {}, site.channels_file)
    return RestoreReport(len(manifest["media"]), tuple(keys), tuple(applied), tuple(notes))


def read_manifest(source: Path) -> dict:
    """The backup's manifest, checked for shape and for paths that stay inside the backup and the site."""
    path = Path(source) / MANIFEST_FILE
    if not path.is_file():
        raise UserError("backup.not_a_backup", path=source)
    try:
        manifest = json.loads(path.read_text("utf-8"))
        version = manifest["format"]
        if not isinstance(version, int):
            raise TypeError("format")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError("backup.bad_manifest", path=path, detail=error) from None
    if version > FORMAT_VERSION:
        raise UserError("backup.newer_format", path=source, version=version, supported=FORMAT_VERSION,
                        keting=manifest.get("keting_version", "?"))
    try:
        _check_entries(manifest)
    except (KeyError, TypeError, ValueError) as error:
        raise UserError("backup.bad_manifest", path=path, detail=error) from None
    return manifest


def _check_entries(manifest: dict) -> None:
    """Raise ValueError for an entry without a size and SHA-256, or whose path could leave its folder."""
    for entry in [manifest["database"], *manifest["media"], *_lineup_entries(manifest)]:
        if not (plain_path(entry["path"]) and isinstance(entry["size"], int) and isinstance(entry["sha256"], str)):
            raise ValueError(f"bad entry: {entry!r}")
    if not isinstance(manifest["migrations"], list):
        raise ValueError("migrations")
    for _name, info in _key_infos(manifest):
        if not isinstance(info["file"], bool):
            raise ValueError("instance")


def _lineup_entries(manifest: dict) -> list[dict]:
    """The line-up's manifest entry as a list (empty for a backup without one)."""
    return [manifest["lineup"]] if manifest.get("lineup") else []


def _key_infos(manifest: dict) -> list[tuple[str, dict]]:
    """(key file name, {"file", "setting"}) for each instance key the manifest describes."""
    instance = manifest.get("instance") or {}
    return [(name, instance[name]) for name in KEY_SETTINGS if isinstance(instance.get(name), dict)]


def check_backup(source: Path, manifest: dict, verify: bool = False) -> None:
    """Every file the manifest lists is there with its size (and, with `verify`, its SHA-256)."""
    source = Path(source)
    entries = [(DATABASE_FILE, manifest["database"])]
    entries += [(f"{MEDIA_FOLDER}/{entry['path']}", entry) for entry in manifest["media"]]
    entries += [(LINEUP_FILE, entry) for entry in _lineup_entries(manifest)]
    problems = [relative for relative, entry in entries if not _intact(source, relative, entry, verify)]
    problems += [f"{INSTANCE_FOLDER}/{name}" for name, info in _key_infos(manifest)
                 if info["file"] and not (source / INSTANCE_FOLDER / name).is_file()]
    if problems:
        raise UserError("backup.damaged", path=source, count=len(problems), examples=_examples(problems))


def _plain_file(root: Path, relative: str) -> bool:
    """Whether root/relative is a regular file reached through no symbolic link: a backup that was
    tampered with must not make restore copy (and publish) a file from elsewhere on this machine."""
    path = root
    for part in Path(relative).parts:
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return False
        if stat.S_ISLNK(mode):
            return False
    return stat.S_ISREG(mode)


def _intact(source: Path, relative: str, entry: dict, verify: bool) -> bool:
    """Whether a plain file is there with the manifest's size (and SHA-256 when `verify`)."""
    path = source / relative
    if not _plain_file(source, relative) or path.stat().st_size != entry["size"]:
        return False
    return not verify or _file_entry(path, entry["path"])["sha256"] == entry["sha256"]


def check_target_database(database: Path, now: datetime, force: bool = False) -> None:
    """Refuse a database a running server holds, or one holding data unless `force`."""
    if not Path(database).is_file():
        return
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000)) as conn:
            holder = _live_holder(conn, now)
            content = None if force else holds_data(conn)
    except sqlite3.DatabaseError as error:
        if force:
            return
        raise UserError("backup.target_unreadable", path=database, detail=error) from None
    if holder:
        raise UserError("backup.server_running", path=database, holder=holder)
    if content:
        raise UserError("backup.target_has_data", path=database, table=content[0], count=content[1])


def _live_holder(conn: sqlite3.Connection, now: datetime) -> str | None:
    """The holder of a lease that has not expired (a server using this database), or None."""
    try:
        row = conn.execute("SELECT holder FROM leases WHERE expires_at > ? ORDER BY expires_at DESC LIMIT 1",
                           [now.timestamp()]).fetchone()
    except sqlite3.OperationalError:
        return None  # no leases table: a schema from before them
    return row[0] if row else None


def holds_data(conn: sqlite3.Connection) -> tuple[str, int] | None:
    """(table, rows) of a table holding more rows than a freshly migrated database's, or None when empty."""
    fresh = _fresh_row_counts()
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    for table in tables:
        if table in NOT_CONTENT or table.startswith("sqlite_"):
            continue
        count = conn.execute(f'SELECT count(*) FROM "{table.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
        if count > fresh.get(table, 0):
            return table, count
    return None


@cache
def _fresh_row_counts() -> dict[str, int]:
    """Rows per table in a database that only the migrations have filled (they seed a few counters)."""
    db = Database(sqlite3.connect(":memory:"))
    try:
        migrate(db)
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
    finally:
        db.close()


def _stage_database(backup: Path, staged: Path) -> list[str]:
    """Copy the backup's database to `staged` with the backup API and bring it up to date; return the
    migrations applied now. The old site's leases and running jobs belong to its processes: released."""
    staged.parent.mkdir(parents=True, exist_ok=True)
    _remove_database_files(staged)
    create_private(staged)
    try:
        with contextlib.closing(sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True)) as copy, \
                contextlib.closing(sqlite3.connect(staged)) as out:
            copy.backup(out)
            problem = out.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as error:
        raise UserError("backup.database_failed", path=backup, detail=error) from None
    if problem != "ok":
        raise UserError("backup.database_damaged", path=backup, detail=problem)
    db = connect(staged)
    try:
        _refuse_newer_schema(db)
        applied = migrate(db)
        with write_transaction(db):
            if db["leases"].exists():
                db.execute("DELETE FROM leases")
            db.execute("UPDATE transcode_jobs SET state = 'queued', worker = NULL WHERE state = 'running'")
        db.execute("PRAGMA journal_mode=DELETE")  # one file again, so replacing it moves everything
    finally:
        db.close()
    _fsync(staged)
    return applied


def _refuse_newer_schema(db: Database) -> None:
    """A database with migrations this Keting does not know came from a newer one: refuse to run it."""
    known = {name for name, _ in MIGRATIONS}
    unknown = [name for name in applied_migrations(db) if name not in known]
    if unknown:
        raise UserError("backup.newer_schema", names=", ".join(unknown[:EXAMPLES]))


def _restore_media(folder: Path, entries: list[dict], media_root: Path) -> None:
    """Copy every media file of the manifest into MEDIA_ROOT: folders 755, files 644, each file replaced whole."""
    media_root = Path(media_root)
    media_root.mkdir(parents=True, exist_ok=True)
    opened: set[Path] = set()
    for entry in entries:
        target = media_root / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        _restore_file(folder / entry["path"], target)
        _open_folders(media_root, target.parent, opened)


def _restore_file(source: Path, target: Path) -> None:
    """Copy one file into place through a temporary name, never writing into an existing file.

    A file already linked to the backup's (a backup on the same disk restored onto its own site) is kept.
    """
    if target.is_file() and os.path.samefile(source, target):
        os.chmod(target, FILE_MODE)
        return
    temporary = target.with_name(f".{target.name}.restore-{os.getpid()}")
    try:
        shutil.copy2(source, temporary, follow_symlinks=False)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _open_folders(media_root: Path, folder: Path, opened: set[Path]) -> None:
    """Make `folder` and those above it up to MEDIA_ROOT (included) 755, once each."""
    while folder not in opened:
        os.chmod(folder, FOLDER_MODE)
        opened.add(folder)
        if folder == media_root or media_root not in folder.parents:
            return
        folder = folder.parent


def _restore_keys(folder: Path, manifest: dict, instance: Path) -> list[str]:
    """The backup's key files into the instance folder (mode 600); a key the old site took from a setting
    is left out (its file, if any, was not the key in use)."""
    restored = []
    for name, info in _key_infos(manifest):
        if info["file"] and not info.get("setting"):
            write_private(Path(instance) / name, (folder / name).read_bytes())
            restored.append(name)
    return restored


def _replace_database(staged: Path, database: Path) -> None:
    """Put the staged database in place of DATABASE, keeping its mode; no old -wal may apply to the new file."""
    if database.is_file():
        os.chmod(staged, database.stat().st_mode & 0o777)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.replace(staged, database)
    _fsync(database.parent)


def _remove_database_files(path: Path) -> None:
    """Delete a database file and the journal files SQLite may keep beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _restore_notes(source: Path, manifest: dict, configured_keys: Mapping[str, str],
                   channels_file: Path | None) -> list[Note]:
    """What the operator should know after a restore: keys that do not carry over, configuration to compare."""
    notes = []
    for name, info in _key_infos(manifest):
        setting = KEY_SETTINGS[name]
        if info.get("setting"):
            notes.append(Note("backup.key_from_setting", {"setting": setting}))
        elif info["file"] and name in configured_keys and \
                configured_keys[name] != (source / INSTANCE_FOLDER / name).read_text().strip():
            notes.append(Note("backup.key_overridden", {"setting": setting}))
    if (manifest.get("instance") or {}).get("settings_file"):
        notes.append(Note("backup.settings_file", {"path": source / INSTANCE_FOLDER / SETTINGS_FILE}))
    if _lineup_differs(manifest, channels_file):
        notes.append(Note("backup.lineup_differs", {"path": channels_file, "backup": source / LINEUP_FILE}))
    if manifest.get("missing_media"):
        notes.append(Note("backup.missing_media", {"count": len(manifest["missing_media"]),
                                                   "examples": _examples(manifest["missing_media"])}))
    return notes


def _lineup_differs(manifest: dict, channels_file: Path | None) -> bool:
    """Whether the backup holds a line-up and this site's CHANNELS_FILE is missing or another."""
    if not _lineup_entries(manifest) or channels_file is None:
        return False
    if not Path(channels_file).is_file():
        return True
    return _file_entry(Path(channels_file), LINEUP_FILE)["sha256"] != manifest["lineup"]["sha256"]


# --- small helpers ----------------------------------------------------------------------------------------


def write_private(path: Path, content: bytes) -> None:
    """Write a file only its owner reads (mode 600), replacing any file of that name whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), PRIVATE_FILE_MODE)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_json(path: Path, content: dict) -> None:
    """Write JSON (UTF-8, readable Chinese) and make it durable."""
    path.write_text(json.dumps(content, ensure_ascii=False, indent=1) + "\n", "utf-8")
    _fsync(path)


def _fsync(path: Path) -> None:
    """Flush a file or folder to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _examples(paths: list[str]) -> str:
    """A few paths for a message, with "…" when there are more."""
    return ", ".join(paths[:EXAMPLES]) + ("…" if len(paths) > EXAMPLES else "")


def _reason(error: OSError) -> str:
    """An OSError as the system's words and the file it concerns."""
    return f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
