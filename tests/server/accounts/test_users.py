"""Accounts: creation rules, hashes, roles and board limits, the last administrator."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from server.accounts.users import add_user, get_user, set_disabled, set_password, set_role, verify_password
from server.cli import main
from server.core.errors import NotFound, UserError


@pytest.fixture
def admin(ctx, clock):
    db, lineup = ctx
    return add_user(db, lineup, "admin", "correct horse", "admin", clock.now, "管理员")


def test_password_is_stored_as_a_slow_hash_and_verified(ctx, admin):
    db, _ = ctx
    stored = db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("scrypt:") and "correct horse" not in stored
    assert verify_password(db, "admin", "correct horse") == admin
    assert verify_password(db, "ADMIN", "correct horse") == admin  # usernames ignore case
    assert verify_password(db, "admin", "wrong horse") is None
    assert verify_password(db, "nobody", "correct horse") is None


@pytest.mark.parametrize("username, password, role, boards, message_id", [
    ("a", "longenough", "editor", (), "user.bad_username"),
    ("bad name", "longenough", "editor", (), "user.bad_username"),
    ("ok", "short", "editor", (), "user.password_too_short"),
    ("ok", "longenough", "root", (), "user.bad_role"),
    ("ok", "longenough", "editor", ("nosuch",), "user.unknown_board"),
    ("Admin", "longenough", "editor", (), "user.exists"),
])
def test_bad_accounts_are_refused(ctx, clock, admin, username, password, role, boards, message_id):
    db, lineup = ctx
    with pytest.raises(UserError) as raised:
        add_user(db, lineup, username, password, role, clock.now, boards=boards)
    assert raised.value.message_id == message_id and raised.value.message()
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 1


def test_editor_board_limits(ctx, clock, admin):
    db, lineup = ctx
    limited = add_user(db, lineup, "zhang", "password1", "editor", clock.now, boards=("dangke", "jiaoyu"))
    assert limited.may_edit("dangke") and not limited.may_edit("gongkai")
    everywhere = add_user(db, lineup, "li", "password1", "editor", clock.now, all_boards=True)
    assert everywhere.may_edit("gongkai") and admin.may_edit("gongkai")
    widened = set_role(db, lineup, "zhang", "editor", (), clock.now, all_boards=True)
    assert widened.boards == () and widened.may_edit("gongkai")


def test_an_editor_whose_boards_are_emptied_edits_nothing_rather_than_everything(ctx, clock, admin):
    """Every board must be asked for: removing an editor's last board once gave them every board."""
    db, lineup = ctx
    add_user(db, lineup, "zhang", "password1", "editor", clock.now, boards=("dangke",))
    with pytest.raises(UserError) as refused:
        set_role(db, lineup, "zhang", "editor", (), clock.now)
    assert refused.value.message_id == "user.no_boards"
    with pytest.raises(UserError):
        add_user(db, lineup, "wu", "password1", "editor", clock.now)
    db.execute("DELETE FROM user_boards")  # e.g. its board left channels.yaml's line-up
    assert not get_user(db, "zhang").may_edit("gongkai") and not get_user(db, "zhang").may_edit("dangke")


def test_disabled_account_cannot_log_in(ctx, clock, admin):
    db, lineup = ctx
    add_user(db, lineup, "wang", "password1", "editor", clock.now, all_boards=True)
    set_disabled(db, "wang", True, clock.now)
    assert verify_password(db, "wang", "password1") is None
    set_disabled(db, "wang", False, clock.now)
    assert verify_password(db, "wang", "password1") is not None


def test_the_last_administrator_stays(ctx, clock, admin):
    db, lineup = ctx
    with pytest.raises(UserError) as raised:
        set_disabled(db, "admin", True, clock.now)
    assert raised.value.status == 409
    with pytest.raises(UserError):
        set_role(db, lineup, "admin", "editor", (), clock.now)
    add_user(db, lineup, "admin2", "password1", "admin", clock.now)
    assert set_disabled(db, "admin", True, clock.now).disabled


def test_password_change(ctx, clock, admin):
    db, _ = ctx
    set_password(db, "admin", "new password", clock.now)
    assert verify_password(db, "admin", "correct horse") is None
    assert verify_password(db, "admin", "new password") == admin
    with pytest.raises(NotFound):
        set_password(db, "nobody", "whatever1", clock.now)


def test_keting_user_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("KETING_DATABASE", str(tmp_path / "k.db"))
    monkeypatch.setenv("KETING_MEDIA_ROOT", str(tmp_path / "media"))
    runner = CliRunner()
    first = runner.invoke(main, ["user", "add", "admin", "--admin", "--name", "街道管理员"],
                          input="s3cret-pass\ns3cret-pass\n")
    assert first.exit_code == 0 and "admin" in first.output
    mismatch = runner.invoke(main, ["user", "add", "x1", "--editor", "--all-boards"], input="password1\npassword2\n"
                             "password1\npassword1\n")
    assert mismatch.exit_code == 0  # asked again after the mismatch, then created
    editor = runner.invoke(main, ["user", "add", "zhang", "--board", "dangke", "--password-stdin"],
                           input="password1\n")
    assert editor.exit_code == 0
    listing = runner.invoke(main, ["user", "list"]).output
    assert "admin" in listing and "zhang" in listing and "dangke" in listing and "街道管理员" in listing
    short = runner.invoke(main, ["user", "add", "li", "--board", "dangke", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "至少需要 8 个字符" in short.output
    no_boards = runner.invoke(main, ["user", "add", "wu", "--password-stdin"], input="password1\n")
    assert no_boards.exit_code == 1 and "--all-boards" in no_boards.output
    assert runner.invoke(main, ["user", "disable", "admin"]).exit_code == 1  # last administrator
    assert runner.invoke(main, ["user", "role", "zhang", "--admin"]).exit_code == 0
    assert runner.invoke(main, ["user", "disable", "admin"]).exit_code == 0
    assert "disabled" in runner.invoke(main, ["user", "list"]).output
    assert runner.invoke(main, ["user", "enable", "admin"]).exit_code == 0
    assert runner.invoke(main, ["user", "password", "zhang", "--password-stdin"], input="another1\n").exit_code == 0
    missing = runner.invoke(main, ["user", "password", "nobody", "--password-stdin"], input="another1\n")
    assert missing.exit_code == 1 and "nobody" in missing.output
