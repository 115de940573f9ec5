"""Packaging (issue 13): an installed copy runs from any directory, keeps what it writes in its instance
folder (never in site-packages) and ships channels.yaml inside the package; a source checkout keeps the
README's layout; the floor versions setup.cfg declares for the server really run it.

The slow tests build the project as pip does for `pip install ".[server]"` (a wheel from a copy of the
working tree, so the repository gets no build/ or egg-info of theirs) and install it, without its
dependencies, into a fresh virtualenv that cannot see this one's packages; the third-party packages come
from this virtualenv through a .pth line that is read after the fresh site-packages, so the code under
test is the installed wheel's. The floor test installs the floors themselves from PyPI.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

from server import create_app
from server.core import settings
from tests.conftest import REPO

# What a build reads, for a copy made without git (a clone has git; an unpacked sdist has these).
BUILD_INPUTS = ("setup.cfg", "pyproject.toml", "README.md", "MANIFEST.in", "channels.yaml",
                "server", "stb_client", "keting_i18n")
PIP_TIMEOUT = 240


def floor_pins(setup_cfg: Path = REPO / "setup.cfg") -> list[str]:
    """The server extra with every floor pinned exactly (`flask>=3.1` becomes `flask==3.1`); a package
    without a floor stays as written. scripts/check-floors uses this too."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(setup_cfg, encoding="utf-8")
    pins = []
    for line in config["options.extras_require"]["server"].splitlines():
        requirement = line.split("#")[0].strip()
        if not requirement:
            continue
        floor = re.match(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([^,;\s]+)", requirement)
        pins.append(f"{floor[1]}=={floor[2]}" if floor else requirement)
    return pins


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without Keting's settings or anything that would point Python elsewhere."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("KETING_") and name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, **extra}


def run(args: list, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run a command; fail the test with its output when it fails."""
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env or clean_env(), capture_output=True,
                            text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def copy_working_tree(target: Path) -> Path:
    """The working tree as a clone of it would have it: tracked and new files, not ignored ones; links kept."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                                capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
        paths = [REPO / name for name in listed if name]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for name in BUILD_INPUTS for p in ([REPO / name] if (REPO / name).is_file() or
                                                       (REPO / name).is_symlink() else (REPO / name).rglob("*"))]
    for source in paths:
        if "__pycache__" in source.parts or not (source.is_file() or source.is_symlink()):
            continue  # a file deleted but not yet staged is still listed
        destination = target / source.relative_to(REPO)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination, follow_symlinks=False)
    return target


def make_venv(folder: Path) -> Path:
    """A fresh virtualenv on this Python, without pip (this one's pip installs into it): its python."""
    run([sys.executable, "-m", "venv", "--without-pip", folder], cwd=folder.parent)
    return folder / "bin" / "python"


def pip_install(python: Path, *args: str | Path) -> None:
    """Install into the virtualenv of `python` with this virtualenv's pip."""
    run([sys.executable, "-m", "pip", "--python", python, "install", "-q", *args], cwd=python.parent,
        timeout=PIP_TIMEOUT)


def site_packages(python: Path) -> Path:
    """The site-packages folder of the virtualenv of `python`."""
    return Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=python.parent).strip())


def keting_settings(venv: Path, cwd: Path, **env: str) -> dict[str, str]:
    """`keting settings` of an installed copy, run in `cwd`: {name: value}."""
    output = run([venv / "bin" / "keting", "settings"], cwd=cwd, env=clean_env(**env))
    return dict(re.findall(r"^KETING_([A-Z_]+)=(.*)$", output, re.MULTILINE))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from the working tree for `pip install .` (build isolation, as for a user)."""
    source = copy_working_tree(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, source], cwd=out, timeout=PIP_TIMEOUT)
    return next(out.glob("keting-*.whl"))


# Fast checks of the source checkout (no build).

def test_server_channels_yaml_is_a_link_to_the_one_top_level_file():
    link = REPO / "server" / "channels.yaml"
    assert link.is_symlink() and os.readlink(link) == "../channels.yaml"
    assert link.resolve() == (REPO / "channels.yaml").resolve()


def test_the_checkout_is_recognised_by_its_files_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert settings.SOURCE_CHECKOUT and settings.is_source_checkout(REPO)
    assert not settings.is_source_checkout(tmp_path)
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = something-else\n")
    (tmp_path / "channels.yaml").write_text("")
    assert not settings.is_source_checkout(tmp_path)
    assert not settings.is_source_checkout(Path(sysconfig.get_paths()["purelib"]))


def test_a_checkout_keeps_the_readme_layout(tmp_path):
    app = create_app({"INSTANCE": str(tmp_path / "inst"), "MEDIA_ROOT": str(tmp_path / "m")})
    assert app.instance_path == app.config["INSTANCE"] == str(tmp_path / "inst")
    assert app.config["CHANNELS_FILE"] == str(REPO / "channels.yaml")
    assert app.config["DATABASE"] == str(tmp_path / "inst" / "keting.sqlite3")
    assert settings.default_media_root(tmp_path / "inst") == REPO / "media"


def test_the_sites_own_channels_yaml_in_the_instance_folder_wins_unless_one_is_named(tmp_path):
    instance = tmp_path / "inst"
    instance.mkdir()
    shutil.copy(REPO / "channels.yaml", instance / "channels.yaml")
    config = {"INSTANCE": str(instance), "MEDIA_ROOT": str(tmp_path / "m")}
    assert create_app(config).config["CHANNELS_FILE"] == str(instance / "channels.yaml")
    named = tmp_path / "named.yaml"
    shutil.copy(REPO / "channels.yaml", named)
    assert create_app({**config, "CHANNELS_FILE": str(named)}).config["CHANNELS_FILE"] == str(named)


def test_keting_instance_names_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KETING_INSTANCE", "state")  # relative: from the working directory
    app = create_app({"MEDIA_ROOT": str(tmp_path / "m")})
    assert app.instance_path == str(tmp_path / "state")
    assert app.config["DATABASE"] == str(tmp_path / "state" / "keting.sqlite3")
    assert app.config["ORIGINALS_DIR"] == str(tmp_path / "state" / "originals")


def test_floor_pins_pin_every_floor_of_the_server_extra():
    pins = floor_pins()
    assert "sqlite-utils==4.0" in pins and "apscheduler==3.11.1" in pins and "tzdata" in pins
    assert all("==" in pin for pin in pins if pin != "tzdata")


# Builds and installs.

@pytest.mark.slow
def test_the_sdist_carries_channels_yaml_and_the_wheel_its_content(wheel, tmp_path):
    source = copy_working_tree(tmp_path / "source")
    sdist = run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
                 "print(build_meta.build_sdist(sys.argv[1]))", tmp_path / "dist"], cwd=source).strip().splitlines()[-1]
    expected = (REPO / "channels.yaml").read_bytes()
    with tarfile.open(tmp_path / "dist" / sdist) as archive:
        top = sdist.removesuffix(".tar.gz")
        for name in (f"{top}/channels.yaml", f"{top}/server/channels.yaml"):
            assert archive.extractfile(name).read() == expected, name
    with zipfile.ZipFile(wheel) as archive:
        entry = archive.getinfo("server/channels.yaml")
        assert (entry.external_attr >> 16) & 0o170000 != 0o120000, "the wheel holds a link, not the file"
        assert archive.read(entry) == expected
        assert not [name for name in archive.namelist() if name.startswith(("tests/", "bench/", "media/"))]


@pytest.mark.slow
def test_an_installed_copy_runs_from_anywhere_with_its_paths_in_the_instance_folder(wheel, tmp_path):
    python = make_venv(tmp_path / "venv")
    pip_install(python, "--no-deps", wheel)
    site = site_packages(python)
    # This virtualenv's third-party packages, read after the fresh site-packages (not its editable keting).
    (site / "dev-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run([python, "-c", "import server; print(server.__file__)"], cwd=elsewhere).strip() == \
        str(site / "server" / "__init__.py")

    found = keting_settings(tmp_path / "venv", elsewhere)
    instance = tmp_path / "venv" / "var" / "server-instance"  # Flask's default for an install
    assert found["INSTANCE"] == str(instance)
    packaged = site / "server" / "channels.yaml"
    assert found["CHANNELS_FILE"] == str(packaged)
    assert not packaged.is_symlink() and packaged.read_bytes() == (REPO / "channels.yaml").read_bytes()
    assert found["MEDIA_ROOT"] == str(instance / "media")
    assert found["DATABASE"] == str(instance / "keting.sqlite3")
    for name in ("MEDIA_ROOT", "DATABASE", "ORIGINALS_DIR"):
        assert not Path(found[name]).is_relative_to(site) and not Path(found[name]).is_relative_to(REPO), name

    run([tmp_path / "venv" / "bin" / "keting", "migrate"], cwd=elsewhere)
    run([python, "-c", "from server import create_app; client = create_app().test_client(); "
         "assert client.get('/').status_code == 200; "
         "assert client.get('/static/console/console.css').status_code == 200"], cwd=elsewhere)

    shutil.copy(REPO / "channels.yaml", instance / "channels.yaml")  # the site's own line-up
    assert keting_settings(tmp_path / "venv", elsewhere)["CHANNELS_FILE"] == str(instance / "channels.yaml")
    named = tmp_path / "etc-keting-channels.yaml"
    shutil.copy(REPO / "channels.yaml", named)
    assert keting_settings(tmp_path / "venv", elsewhere, KETING_CHANNELS_FILE=str(named))["CHANNELS_FILE"] == \
        str(named)

    state = tmp_path / "var-lib-keting"
    moved = keting_settings(tmp_path / "venv", elsewhere, KETING_INSTANCE=str(state))
    assert moved["INSTANCE"] == str(state)
    assert moved["MEDIA_ROOT"] == str(state / "media") and moved["DATABASE"] == str(state / "keting.sqlite3")
    assert moved["CHANNELS_FILE"] == str(packaged)


# Run inside a virtualenv holding exactly the floors: each check fails on the release below its floor.
FLOOR_SMOKE = r'''
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import ffmpeg

from server import create_app
from server.broadcast.recurrence import trigger
from server.catalogue.articles import render_markdown, sanitise_html
from server.core.db import connect, write_transaction
from server.web.http_server import KetingServer

app = create_app({"SECRET_KEY": "floor", "SLATE_CLOCK_SECONDS": 0})  # Flask, PyYAML (channels.yaml)
client = app.test_client()
assert client.get("/").status_code == 200
login = client.get("/console/login")  # Flask-WTF's CSRF token in the form
assert login.status_code == 200 and b'name="csrf_token" value="' in login.data
assert client.post("/console/login", data={"username": "x", "password": "y"}).status_code == 400
metrics = client.get("/metrics")  # prometheus-client
assert metrics.status_code == 200 and b"keting_boxes_seen_5m 0.0" in metrics.data, metrics.data[:500]
assert b"# TYPE keting_request_seconds histogram" in metrics.data

# sqlite-utils 4.0: a write outside a transaction is committed; a nested write_transaction is a savepoint.
db, other = connect(app.config["DATABASE"]), connect(app.config["DATABASE"])
db.execute("CREATE TABLE floor_check (n INTEGER)")
db.execute("INSERT INTO floor_check VALUES (1)")
with write_transaction(db):
    db.execute("INSERT INTO floor_check VALUES (2)")
    try:
        with write_transaction(db):
            db.execute("INSERT INTO floor_check VALUES (3)")
            raise LookupError
    except LookupError:
        pass
db.close()
assert [row[0] for row in other.execute("SELECT n FROM floor_check ORDER BY n")] == [1, 2]

# APScheduler: a ZoneInfo cron trigger gets past the repeated hour when the clocks go back.
zone = ZoneInfo("Europe/Berlin")
rule = trigger("30 2 * * *", "Europe/Berlin", date(2026, 10, 24), date(2026, 10, 26))
fires, previous, now = [], None, datetime(2026, 10, 24, tzinfo=zone)
while (moment := rule.get_next_fire_time(previous, now)) is not None and len(fires) < 10:
    fires.append(moment)
    previous, now = moment, (moment.astimezone(UTC) + timedelta(seconds=1)).astimezone(zone)
assert len(fires) < 10, f"stuck on the repeated hour: {fires}"

article = render_markdown("# 标题\n\n**粗体**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")  # markdown-it-py
assert "<strong>粗体</strong>" in article.html and "<td>2</td>" in article.html and "粗体" in article.text
assert sanitise_html('<a href="javascript:x" onclick="y">a</a><script>z</script>') == \
    '<a rel="noopener noreferrer">a</a>'  # nh3

gunicorn = KetingServer(app, "127.0.0.1", 0, start_runners=list)
assert gunicorn.cfg.threads == app.config["THREADS"] and gunicorn.cfg.worker_class_str == "gthread"
assert ffmpeg.input("in.mp4").output("out.ts", c="copy").compile()[0] == "ffmpeg"
print("floors ok")
'''


@pytest.mark.slow
def test_the_server_runs_on_the_floor_versions_of_its_dependencies(wheel, tmp_path):
    """Installs the floors from PyPI (about 10 s with pip's cache) and runs FLOOR_SMOKE on them."""
    python = make_venv(tmp_path / "floors")
    pins = floor_pins()
    pip_install(python, *pins)
    pip_install(python, "--no-deps", wheel)
    floors = dict(pin.split("==") for pin in pins if "==" in pin)
    installed = run([python, "-c", "import importlib.metadata as m, sys; "
                     "print(' '.join(m.version(name) for name in sys.argv[1:]))", *floors], cwd=tmp_path).split()
    found = dict(zip(floors, installed, strict=True))
    assert {name: Version(v) for name, v in found.items()} == {name: Version(v) for name, v in floors.items()}, found
    (tmp_path / "run").mkdir()
    output = run([python, "-c", FLOOR_SMOKE], cwd=tmp_path / "run", timeout=180,
                 env=clean_env(KETING_INSTANCE=str(tmp_path / "instance")))
    assert "floors ok" in output
