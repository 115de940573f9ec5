"""The units in deploy/systemd load cleanly in the real systemd-analyze, keep their sandbox,
and start commands that setup.cfg installs and the code accepts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from tests.deploy.unit_files import (
    INSTALLED_BIN,
    UNITS,
    console_scripts,
    entry_point,
    environment,
    exec_start,
    runnable_copy,
    value,
    values,
    words,
)

# Debian package `systemd`; verify and an offline security review need no running systemd.
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
SERVER, BOX = UNITS / "keting.service", UNITS / "keting-stb.service"
# The console scripts of this environment, standing in for /opt/keting/venv/bin.
VENV_BIN = Path(sys.executable).parent
COMPLAINTS = ("unknown key", "unknown section", "ignoring")
# The most exposure `systemd-analyze security` may score, in tenths (0 best, 100 worst; the server
# scores 1.5, the box 3.6): a looser sandbox fails.
MAX_EXPOSURE = {SERVER: 20, BOX: 40}


def analyze(*args: str) -> subprocess.CompletedProcess:
    """systemd-analyze with plain output, its result whatever the status."""
    environ = {**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""}
    return subprocess.run([SYSTEMD_ANALYZE, *args], capture_output=True, text=True, timeout=60, check=False,
                          env=environ)


def verify_problems(unit: Path) -> list[str]:
    """What `systemd-analyze verify` objects to in a unit file: its exit status and every complaint."""
    result = analyze("verify", "--man=no", str(unit))
    lines = (result.stdout + result.stderr).splitlines()
    problems = [line for line in lines
                if unit.name in line or any(word in line.lower() for word in COMPLAINTS)]
    if result.returncode != 0:
        problems.insert(0, f"exit status {result.returncode}")
    return problems


@pytest.mark.parametrize("unit", [SERVER, BOX], ids=lambda unit: unit.name)
def test_systemd_analyze_verifies_the_unit(unit, tmp_path):
    assert Path(SYSTEMD_ANALYZE).exists(), "systemd-analyze is missing: install the Debian package systemd"
    assert verify_problems(runnable_copy(unit, tmp_path, VENV_BIN)) == []


def test_the_verification_would_catch_a_misspelt_key_and_a_missing_program(tmp_path):
    misspelt = runnable_copy(SERVER, tmp_path, VENV_BIN)
    misspelt.write_text(misspelt.read_text().replace("NoNewPrivileges=", "NoNewPrivilege="))
    assert any("Unknown key" in line for line in verify_problems(misspelt))
    (tmp_path / "missing").mkdir()
    missing = runnable_copy(SERVER, tmp_path / "missing", tmp_path / "nowhere")
    assert verify_problems(missing)[0] == "exit status 1"


@pytest.mark.parametrize("unit", [SERVER, BOX], ids=lambda unit: unit.name)
def test_the_sandbox_stays_as_tight_as_it_is(unit, tmp_path):
    copy = runnable_copy(unit, tmp_path, VENV_BIN)
    result = analyze("security", "--offline=yes", f"--threshold={MAX_EXPOSURE[unit]}", str(copy))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr


def test_the_server_unit_is_hardened():
    expected = {
        "User": "keting", "Type": "notify", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
        "NoNewPrivileges": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
        "LockPersonality": "yes", "RestrictRealtime": "yes", "RestrictSUIDSGID": "yes",
        "SystemCallArchitectures": "native", "CapabilityBoundingSet": "", "Restart": "on-failure",
        "StateDirectory": "keting", "KillMode": "mixed", "EnvironmentFile": "-/etc/keting/keting.env",
        # `keting serve` exits with 2 on a wrong channels.yaml or setting: no use retrying.
        "RestartPreventExitStatus": "2",
    }
    assert {key: value(SERVER, key) for key in expected} == expected
    assert words(SERVER, "RestrictAddressFamilies") == {"AF_UNIX", "AF_INET", "AF_INET6"}
    assert int(value(SERVER, "RestartSec")) > 0
    # Longer than gunicorn's graceful_timeout (10 s), so the runners can stop their ffmpeg in order.
    assert int(value(SERVER, "TimeoutStopSec")) > 10
    assert values(SERVER, "IPAddressDeny") == [], "live relays pull inputs from the internet"


def test_the_server_writes_only_where_its_sandbox_lets_it():
    writable = [PurePosixPath("/var/lib") / value(SERVER, "StateDirectory")]
    writable += [PurePosixPath(path.lstrip("-")) for path in words(SERVER, "ReadWritePaths")]
    variables = environment(SERVER)
    # The database and the originals default into the instance folder.
    for name in ("KETING_INSTANCE", "KETING_MEDIA_ROOT"):
        path = PurePosixPath(variables[name])
        assert any(path.is_relative_to(folder) for folder in writable), f"{name}={path} is read-only in the unit"
    assert variables["KETING_CHANNELS_FILE"].startswith("/etc/keting/")


@pytest.mark.parametrize(("unit", "script"), [(SERVER, "keting"), (BOX, "keting-stb")],
                         ids=lambda item: getattr(item, "name", item))
def test_exec_start_runs_a_console_script_from_setup_cfg(unit, script):
    assert script in console_scripts(), f"setup.cfg no longer installs `{script}`"
    assert exec_start(unit)[0] == INSTALLED_BIN + script


def test_the_server_unit_runs_a_real_keting_command():
    program, command, *options = exec_start(SERVER)
    cli = entry_point(console_scripts()[Path(program).name])
    assert command in cli.commands, f"`keting {command}` does not exist"
    cli.commands[command].make_context(command, list(options))  # raises on an unknown option


def test_the_box_unit_runs_a_real_keting_stb_command(monkeypatch, tmp_path):
    import stb_client.main

    started = []
    monkeypatch.setattr(stb_client.main, "run_tv", lambda args, api: started.append(args) or 0)
    monkeypatch.setenv("KETING_STB_STATE", str(tmp_path))
    program, *arguments = exec_start(BOX)
    assert entry_point(console_scripts()[Path(program).name])(arguments) == 0
    assert [args.command for args in started] == ["run"]


def test_the_box_unit_comes_back_after_a_crash_but_not_in_a_tight_loop():
    assert value(BOX, "Restart") == "always"
    assert value(BOX, "RestartSec") == "2"
    # In [Unit]: systemd only reads the start limit there.
    assert int(value(BOX, "StartLimitIntervalSec", "Unit")) >= 60
    assert 1 < int(value(BOX, "StartLimitBurst", "Unit")) <= 20


def test_the_box_unit_runs_as_its_own_user_with_the_devices_of_a_tv():
    assert value(BOX, "User") == "keting-stb"
    assert {"video", "audio", "input", "render"} <= words(BOX, "SupplementaryGroups")
    assert {"network-online.target", "sound.target"} <= words(BOX, "After", "Unit")
    assert "network-online.target" in words(BOX, "Wants", "Unit")  # After= alone does not pull it in
    assert words(BOX, "WantedBy", "Install") == {"multi-user.target"}
    assert environment(BOX)["KETING_STB_STATE"] == f"/var/lib/{value(BOX, 'StateDirectory')}"
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert value(BOX, key) == "yes", key
    assert value(BOX, "ProtectSystem") == "strict"
