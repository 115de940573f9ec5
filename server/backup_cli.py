"""`keting backup PATH` and `keting restore PATH`: the click commands over server/core/backup.py.

server/cli.py calls register(main) to add them to the `keting` group.
"""

from __future__ import annotations

from functools import wraps
from pathlib import Path

import click
from flask import Flask, current_app

from keting_i18n import text
from server.core.backup import KEY_SETTINGS, BackupReport, Note, SiteFiles, make_backup, restore_backup


def register(main: click.Group) -> None:
    """Add `backup` and `restore` to the `keting` command group (again is harmless)."""
    main.add_command(backup_command)
    main.add_command(restore_command)


def _with_app(command):
    """server.cli's with_app, looked up when the command runs (server.cli imports this module)."""
    @wraps(command)
    def wrapper(*args, **kwargs):
        from server.cli import with_app

        return with_app(command)(*args, **kwargs)
    return wrapper


@click.command("backup", help="Back up the database (consistent while the server runs), the media and the "
                              "instance keys into PATH, a new folder.")
@click.argument("path", type=click.Path(path_type=Path))
@_with_app
def backup_command(path: Path) -> None:
    """Write a backup of this site into the new folder PATH and say what it holds."""
    from server.web.context import clock

    report = make_backup(_site_files(current_app), path, clock(), _keting_version(),
                         keys_from_settings=frozenset(_keys_from_settings(current_app)))
    _say("backup.done", path=report.path, files=report.files, size=_size(report), keys=len(report.keys))
    _tell(report.notes)


@click.command("restore", help="Restore a backup made by `keting backup` into this site's DATABASE, MEDIA_ROOT "
                               "and instance folder, then apply the migrations. Stop `keting serve` first.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@click.option("--verify", is_flag=True, help="Check every file's SHA-256 against the manifest, not only its size.")
@_with_app
def restore_command(path: Path, force: bool, verify: bool) -> None:
    """Restore the backup in PATH over this site and say what was put where."""
    from server.web.context import clock

    configured = _keys_from_settings(current_app)
    report = restore_backup(_site_files(current_app), path, clock(), force=force, verify=verify,
                            configured_keys=configured)
    config = current_app.config
    _say("backup.restored", database=config["DATABASE"], files=report.files, media=config["MEDIA_ROOT"],
         keys=len(report.keys), instance=current_app.instance_path, migrations=len(report.migrations))
    _tell(report.notes)


def _site_files(app: Flask) -> SiteFiles:
    """The database, media folder, instance folder and line-up of the app's site."""
    config = app.config
    return SiteFiles(Path(config["DATABASE"]), Path(config["MEDIA_ROOT"]), Path(app.instance_path),
                     Path(config["CHANNELS_FILE"]))


def _keys_from_settings(app: Flask) -> dict[str, str]:
    """The instance keys a setting gives this site (key file name -> value): the file is then not the key.

    create_app() leaves a key in config either from its setting or from instance/<name>, so a key that
    differs from its file (or has none) came from a setting.
    """
    found = {}
    for name, setting in KEY_SETTINGS.items():
        value = str(app.config.get(setting) or "")
        key_file = Path(app.instance_path) / name
        from_file = key_file.read_text().strip() if key_file.is_file() else None
        if value and value != from_file:
            found[name] = value
    return found


def _keting_version() -> str:
    """This Keting's version, as installed (setup.cfg); "unknown" when run from an uninstalled tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("keting")
    except PackageNotFoundError:
        return "unknown"


def _size(report: BackupReport) -> str:
    """The media's total size in MB, one decimal."""
    return f"{report.bytes / 1_000_000:.1f} MB"


def _say(message_id: str, **params: object) -> None:
    """Print a catalogue message in the site's language."""
    click.echo(text(message_id, lang=current_app.config["LANGUAGE"], **params))


def _tell(notes: tuple[Note, ...]) -> None:
    """Print what the operator should know, on standard error."""
    for note in notes:
        click.echo(text(note.message_id, lang=current_app.config["LANGUAGE"], **note.params), err=True)
