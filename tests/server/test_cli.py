"""`keting` commands, run through click against a real database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from server.cli import main
from tests.conftest import REPO


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("KETING_DATABASE", str(tmp_path / "k.db"))
    monkeypatch.setenv("KETING_MEDIA_ROOT", str(tmp_path / "media"))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)
    return invoke


def test_org_tree(run):
    assert run("org", "add", "太平街道", "--kind", "subdistrict").exit_code == 0
    added = run("org", "add", "东风社区", "--kind", "community", "--parent", "太平街道")
    assert added.exit_code == 0 and "东风社区" in added.output
    listing = run("org", "list").output.splitlines()
    assert listing[0].strip().endswith("太平街道  (subdistrict)")
    assert listing[1].startswith("  ") and "东风社区" in listing[1]
    wrong = run("org", "add", "某支部", "--kind", "branch")
    assert wrong.exit_code == 1 and "subdistrict" not in wrong.output.split("：")[0]
    assert run("org", "add", "x", "--kind", "community", "--parent", "nowhere").exit_code == 1


def test_approve_and_revoke_a_box(run, tmp_path):
    from server.accounts.devices import register_device
    from server.core.db import connect
    from server.core.timestamps import utc_now

    run("migrate")
    run("org", "add", "太平街道", "--kind", "subdistrict")
    db = connect(tmp_path / "k.db")
    registration = register_device(db, "SN-CLI", "客厅", "1.0", utc_now(), 600)
    pending = run("device", "list")
    assert "pending" in pending.output and registration.pairing_code in pending.output
    approved = run("device", "approve", registration.pairing_code, "--org", "太平街道")
    assert approved.exit_code == 0 and "SN-CLI" in approved.output
    assert "approved" in run("device", "list").output and "太平街道" in run("device", "list").output
    assert run("device", "approve", registration.pairing_code).exit_code == 1
    revoked = run("device", "revoke", str(registration.device_id))
    assert revoked.exit_code == 0 and "revoked" in run("device", "list").output
    missing = run("device", "revoke", "999")
    assert missing.exit_code == 1 and "999" in missing.output


def test_migrate_reports_and_is_repeatable(run):
    assert run("migrate").exit_code == 0
    assert "0 项迁移" in run("migrate").output


def test_bad_channels_yaml_exits_2_naming_the_line(run, tmp_path, monkeypatch):
    bad = tmp_path / "channels.yaml"
    bad.write_text((REPO / "channels.yaml").read_text(encoding="utf-8").replace("key: 9", "key: 1"),
                   encoding="utf-8")
    monkeypatch.setenv("KETING_CHANNELS_FILE", str(bad))
    result = CliRunner().invoke(main, ["migrate"])
    assert result.exit_code == 2
    assert f"{bad}:" in result.output and "boards[8].key" in result.output


def test_bad_setting_exits_2_naming_the_variable(run, monkeypatch):
    monkeypatch.setenv("KETING_PORT", "eighty")
    result = CliRunner().invoke(main, ["migrate"])
    assert result.exit_code == 2 and "KETING_PORT" in result.output


def test_settings_lists_every_setting(run):
    from server.core.settings import SETTINGS

    output = run("settings").output
    assert all(f"KETING_{s.name}=" in output for s in SETTINGS)
