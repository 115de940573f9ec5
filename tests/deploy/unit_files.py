"""Reading systemd unit files as systemd does (repeated keys, continuation lines) and the commands they start."""

from __future__ import annotations

import configparser
import importlib
import shlex
from pathlib import Path

from tests.conftest import REPO

UNITS = REPO / "deploy" / "systemd"
# Where the units expect the site's virtualenv (deploy/README.md).
INSTALLED_BIN = "/opt/keting/venv/bin/"


def directives(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of every assignment in order; systemd allows a key more than once."""
    entries, section, pending = [], "", ""
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line[0] in "#;"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not an assignment: {line!r}"
        entries.append((section, key.strip(), value.strip()))
    return entries


def values(path: Path, key: str, section: str = "Service") -> list[str]:
    """Every value given to `key` in `section`, in order."""
    return [value for where, name, value in directives(path) if where == section and name == key]


def value(path: Path, key: str, section: str = "Service") -> str | None:
    """The value of a single-valued key (the last assignment wins, as in systemd), None when unset."""
    found = values(path, key, section)
    return found[-1] if found else None


def words(path: Path, key: str, section: str = "Service") -> set[str]:
    """The words of a list-valued key over all its assignments (After=, SupplementaryGroups=, ...)."""
    return {word for line in values(path, key, section) for word in line.split()}


def environment(path: Path) -> dict[str, str]:
    """The variables the unit's Environment= lines set."""
    variables = {}
    for line in values(path, "Environment"):
        for assignment in shlex.split(line):
            name, _, setting = assignment.partition("=")
            variables[name] = setting
    return variables


def env_file_names(path: Path) -> set[str]:
    """The variable names an environment file sets or shows commented out (`#NAME=`)."""
    names = set()
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip().lstrip("#").strip()
        name, sep, _ = line.partition("=")
        if sep and name.isidentifier() and name.isupper():
            names.add(name)
    return names


def exec_start(path: Path) -> list[str]:
    """The unit's ExecStart= command line as words."""
    return shlex.split(value(path, "ExecStart"))


def console_scripts() -> dict[str, str]:
    """setup.cfg's console scripts: command name -> "module:function"."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    scripts = {}
    for line in config["options.entry_points"]["console_scripts"].splitlines():
        name, sep, target = line.partition("=")
        if sep:
            scripts[name.strip()] = target.strip()
    return scripts


def entry_point(target: str):
    """The function a console script runs, from its "module:function"."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def runnable_copy(path: Path, folder: Path, bin_dir: Path) -> Path:
    """The unit copied into `folder` with its ExecStart pointing at `bin_dir` instead of the site's venv."""
    text = path.read_text("utf-8")
    assert INSTALLED_BIN in text, f"{path.name} does not start a program from {INSTALLED_BIN}"
    copy = folder / path.name
    copy.write_text(text.replace(INSTALLED_BIN, f"{bin_dir}/"), "utf-8")
    return copy
