"""Settings: load order, typing, and that every one is documented."""

from __future__ import annotations

import re

import pytest

from server import create_app
from server.core.settings import SETTINGS, SettingError, from_environment
from tests.conftest import REPO


def test_defaults_then_instance_file_then_environment_then_test_config(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "keting.cfg").write_text("PAGE_SIZE = 7\nMAX_PAGE_SIZE = 50\nTHREADS = 3\n")
    monkeypatch.setenv("KETING_MAX_PAGE_SIZE", "40")
    monkeypatch.setenv("KETING_THREADS", "5")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    app = create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(tmp_path / "m"), "THREADS": 9})
    assert app.config["PAGE_SIZE"] == 7          # instance file beats default
    assert app.config["MAX_PAGE_SIZE"] == 40     # environment beats instance file
    assert app.config["THREADS"] == 9            # test config beats environment
    assert app.config["PORT"] == 8080            # default


def test_database_defaults_to_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "inst"))
    app = create_app({"MEDIA_ROOT": str(tmp_path / "m")})
    assert app.config["DATABASE"] == str(tmp_path / "inst" / "keting.sqlite3")


@pytest.mark.parametrize("name, raw, expected", [
    ("SERVE_MEDIA", "off", False), ("SERVE_MEDIA", "yes", True), ("PORT", "9000", 9000)])
def test_environment_values_are_typed(name, raw, expected):
    assert from_environment({f"KETING_{name}": raw}) == {name: expected}


@pytest.mark.parametrize("name, raw", [("PORT", "eighty"), ("SERVE_MEDIA", "maybe")])
def test_bad_environment_value_names_the_variable(name, raw):
    with pytest.raises(SettingError, match=f"KETING_{name}"):
        from_environment({f"KETING_{name}": raw})


def test_every_setting_is_documented_in_deploy_md():
    documented = set(re.findall(r"`KETING_([A-Z_]+)`", (REPO / "docs" / "deploy.md").read_text()))
    assert {s.name for s in SETTINGS} - documented == set()
    assert documented - {s.name for s in SETTINGS} == set(), "docs name a setting that does not exist"
    assert all(s.help.strip() for s in SETTINGS)
