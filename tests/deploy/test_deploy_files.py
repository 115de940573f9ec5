"""The rest of deploy/: the settings the units and examples name exist, the README names real
files, and the logrotate snippet does not collide with Debian's nginx configuration."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest

from server.core.settings import SETTINGS_BY_NAME
from tests.conftest import REPO
from tests.deploy.unit_files import UNITS, env_file_names, environment

DEPLOY = REPO / "deploy"


@pytest.mark.parametrize("source", [UNITS / "keting.service", UNITS / "keting.env.example"],
                         ids=lambda path: path.name)
def test_the_server_files_name_only_real_settings(source):
    names = set(environment(source)) if source.suffix == ".service" else env_file_names(source)
    unknown = [name for name in names
               if name.startswith("KETING_") and name.removeprefix("KETING_") not in SETTINGS_BY_NAME]
    assert unknown == [], f"{source.name} sets what server/core/settings.py does not read"


@pytest.mark.parametrize("source", [UNITS / "keting-stb.service", UNITS / "keting-stb.env.example"],
                         ids=lambda path: path.name)
def test_the_box_files_name_only_variables_the_client_reads(source):
    names = set(environment(source)) if source.suffix == ".service" else env_file_names(source)
    client = (REPO / "stb_client" / "main.py").read_text("utf-8")
    unknown = [name for name in names if name.startswith("KETING_") and f'"{name}"' not in client]
    assert unknown == [], f"{source.name} sets what stb_client/main.py does not read"


def test_the_readme_names_only_files_that_exist():
    text = (DEPLOY / "README.md").read_text("utf-8")
    named = set(re.findall(r"deploy/[\w./-]+\w", text)) | {
        f"deploy/{path}" for path in re.findall(r"`((?:systemd|logrotate)/[\w./-]+)`", text)}
    assert named, "the README names no file"
    assert [path for path in sorted(named) if not (REPO / path).is_file()] == []


def test_logrotate_rotates_files_debians_nginx_configuration_does_not():
    """Debian's /etc/logrotate.d/nginx takes /var/log/nginx/*.log; naming one of those again is an error."""
    patterns = [line.split("{")[0].split() for line in (DEPLOY / "logrotate" / "keting").read_text().splitlines()
                if line.startswith("/")]
    paths = [PurePosixPath(path) for line in patterns for path in line]
    assert paths, "the snippet names no log file"
    for path in paths:
        assert path.parent != PurePosixPath("/var/log/nginx"), path
        assert path.is_relative_to("/var/log/nginx/keting"), path
