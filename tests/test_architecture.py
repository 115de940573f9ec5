"""The tree keeps its shape: rooms import only downwards, the TV's core does no I/O, docs name every module,
and nothing reaches outside the project."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

# Who may import whom inside server/. The core is reachable from every room; a domain room never
# imports the web layer; the app factory, the CLI and the demo (top level) may use anything.
SERVER_ROOMS = {
    "core": set(),
    "accounts": {"core"},
    "catalogue": {"core", "accounts"},
    "ingest": {"core", "accounts", "catalogue"},
    "broadcast": {"core", "accounts", "catalogue", "ingest"},
    "records": {"core", "accounts", "catalogue", "broadcast"},
    "web": {"core", "accounts", "catalogue", "ingest", "broadcast", "records"},
}
DOMAIN_ROOMS = {"core", "accounts", "catalogue", "ingest", "broadcast", "records"}
STB_ROOMS = {"ui": set(), "link": {"ui"}, "hardware": {"ui"}}
# The TV's pure core may use only these outside itself (an allow-list: no network, files, threads, clock).
PURE_IMPORTS = {"__future__", "dataclasses", "enum", "collections", "typing", "math",
                "datetime", "zoneinfo", "functools", "itertools", "bisect", "unicodedata", "re", "keting_i18n"}
SKIP_DIRS = {".git", ".venv", "__pycache__", "node_modules", "media", "instance", "test-artifacts", "build", "dist",
             ".pytest_cache", ".ruff_cache"}


def modules(package: str) -> list[Path]:
    """Every Python file of a top-level package."""
    return sorted((REPO / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """The absolute names a module imports (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text("utf-8"))
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    package = parts if parts[-1] == "__init__" else parts[:-1]
    package = [p for p in package if p != "__init__"]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def room_of(path: Path, top: str) -> str | None:
    """The room (first folder under `top`) a module lives in; None for the top level."""
    relative = path.relative_to(REPO / top).parts
    return relative[0] if len(relative) > 1 else None


@pytest.mark.parametrize("path", modules("server"), ids=lambda p: str(p.relative_to(REPO)))
def test_server_rooms_import_only_downwards(path):
    room = room_of(path, "server")
    if room is None:
        return  # create_app, the CLI, the demo: the top may use every room
    allowed = SERVER_ROOMS[room] | {room}
    for name in imported(path):
        if name == "server" or not name.startswith("server."):
            continue
        target = name.split(".")[1]
        assert target in allowed, f"{path.relative_to(REPO)} ({room}) imports {name}: {room} may import {allowed}"


@pytest.mark.parametrize("path", [p for p in modules("server") if room_of(p, "server") in DOMAIN_ROOMS],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_domain_rooms_do_not_use_flask(path):
    """Domain code takes its settings, database and `now` as arguments: it runs the same from a
    request, the CLI or a background runner. (werkzeug.security is only the password hash.)"""
    web = {n for n in imported(path) if n.split(".")[0] in ("flask", "werkzeug") and
           not n.startswith("werkzeug.security")}
    assert not web, f"{path.relative_to(REPO)} imports {web}: pass the settings and the clock in instead"


@pytest.mark.parametrize("path", modules("stb_client"), ids=lambda p: str(p.relative_to(REPO)))
def test_client_rooms_import_only_downwards_and_never_the_server(path):
    room = room_of(path, "stb_client")
    names = imported(path)
    assert not any(n == "server" or n.startswith("server.") for n in names), "a box installs without the server"
    if room is None:
        return  # app.py and main.py join the rooms
    allowed = STB_ROOMS[room] | {room}
    for name in names:
        if name.startswith("stb_client."):
            assert name.split(".")[1] in allowed, f"{path.relative_to(REPO)} ({room}) imports {name}"


@pytest.mark.parametrize("path", sorted((REPO / "stb_client" / "ui").glob("*.py")), ids=lambda p: p.name)
def test_the_tv_core_does_no_io(path):
    """The reducer and the render model import nothing that could touch the network, files, threads,
    the clock, libVLC or the screen: only an allow-list of pure modules."""
    for name in imported(path):
        if name.startswith("stb_client.ui") or name == "stb_client.ui":
            continue
        assert name.split(".")[0] in PURE_IMPORTS, f"{path.name} imports {name}, which is not on the pure list"


def test_the_import_check_would_catch_a_wrong_direction(tmp_path):
    """The checker itself reads relative and absolute imports (a test that cannot fail proves nothing)."""
    sample = REPO / "server" / "catalogue" / "items.py"
    names = imported(sample)
    assert "server.core.errors" in names and not any(n.startswith("server.web") for n in names)
    assert "server.web.context" in imported(REPO / "server" / "web" / "guide_routes.py")


def project_files() -> list[Path]:
    """Every file of the project as a clone has it (no virtualenv, caches or generated media)."""
    found = []
    for path in REPO.rglob("*"):
        relative = path.relative_to(REPO)
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in relative.parts[:-1]) or \
                relative.parts[0] in SKIP_DIRS:
            continue
        if path.is_file():
            found.append(path)
    return found


def test_nothing_in_the_project_reads_or_names_a_folder_beside_it():
    """A user's clone has nothing beside it: no code, test, comment or doc may point at the design notes
    that sit next to a CI checkout."""
    beside = "../" + "shared"  # split so this test does not name it either
    offenders = []
    for path in project_files():
        try:
            content = path.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if beside in content or ("shared" + "/DESIGN") in content:
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == [], f"these name a folder outside the project: {offenders}"


def test_docs_architecture_names_every_module():
    """docs/architecture.md is the map: a module missing from it is a module a newcomer cannot find."""
    text = (REPO / "docs" / "architecture.md").read_text("utf-8")
    missing = [str(p.relative_to(REPO)) for top in ("server", "stb_client") for p in modules(top)
               if p.name != "__init__.py" and f"`{p.relative_to(REPO).as_posix()}`" not in text]
    assert missing == [], f"docs/architecture.md does not name: {missing}"


def test_every_package_says_what_it_owns_and_may_import():
    for top in ("server", "stb_client"):
        for init in (REPO / top).rglob("__init__.py"):
            docstring = ast.get_docstring(ast.parse(init.read_text("utf-8"))) or ""
            if init.parent.name in SERVER_ROOMS or init.parent.name in STB_ROOMS:
                assert re.search(r"May import", docstring), f"{init.relative_to(REPO)}: say what it may import"
            assert docstring, f"{init.relative_to(REPO)} has no docstring"

