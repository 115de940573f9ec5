"""Credentials that can be taken back: API tokens expire and are revoked; a logout ends every copy of a session."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner

from server.accounts.tokens import create_api_token, list_tokens, revoke_token, user_for_token
from server.accounts.users import add_user, set_password
from server.cli import main
from server.web.context import current_lineup, get_db
from tests.server.web.test_console_auth import csrf_from, login


def test_a_token_works_until_it_expires_is_revoked_or_the_password_changes(ctx, clock):
    db, lineup = ctx
    add_user(db, lineup, "zhang", "password1", "editor", clock.now, boards=("dangke",))
    token = create_api_token(db, "zhang", "录播电脑", clock.now, days=30)
    assert user_for_token(db, token, clock.now).username == "zhang"
    assert user_for_token(db, token, clock.now + timedelta(days=30)) is None  # expired
    [info] = list_tokens(db, "zhang")
    assert info.label == "录播电脑" and info.last_used_at is not None and token not in repr(info)
    revoke_token(db, "zhang", info.id)
    assert user_for_token(db, token, clock.now) is None
    second = create_api_token(db, "zhang", "", clock.now)
    set_password(db, "zhang", "another-password", clock.now)  # whoever knew the old one may hold a token
    assert user_for_token(db, second, clock.now) is None and list_tokens(db, "zhang") == []


def test_tokens_through_the_api_and_the_cli(app, client, clock, tmp_path, monkeypatch):
    with app.app_context():
        add_user(get_db(), current_lineup(), "zhang", "password1", "editor", clock.now, all_boards=True)
        admin = create_api_token(get_db(), "zhang", "x", clock.now)  # an editor: refused below
        get_db().execute("UPDATE users SET role = 'admin' WHERE username = 'zhang'")
        tool = create_api_token(get_db(), "zhang", "tool", clock.now)
    headers = {"Authorization": f"Bearer {admin}"}
    listed = client.get("/api/v1/admin/users/zhang/tokens", headers=headers).json["tokens"]
    assert [t["label"] for t in listed] == ["tool", "x"] and all("token" not in t for t in listed)
    assert client.delete(f"/api/v1/admin/users/zhang/tokens/{listed[0]['id']}", headers=headers).status_code == 200
    assert client.get("/api/v1/editor/items", headers={"Authorization": f"Bearer {tool}"}).status_code == 401
    assert client.delete("/api/v1/admin/users/zhang/tokens/999", headers=headers).status_code == 404
    monkeypatch.setenv("KETING_DATABASE", app.config["DATABASE"])
    monkeypatch.setenv("KETING_MEDIA_ROOT", app.config["MEDIA_ROOT"])
    runner = CliRunner()
    made = runner.invoke(main, ["user", "token", "zhang", "--label", "脚本", "--days", "7"])
    assert made.exit_code == 0 and made.output.startswith("kt_")
    shown = runner.invoke(main, ["user", "tokens", "zhang"]).output
    assert "脚本" in shown and made.output.strip() not in shown
    token_id = shown.split()[0]
    assert runner.invoke(main, ["user", "revoke-token", "zhang", token_id]).exit_code == 0
    assert "脚本" not in runner.invoke(main, ["user", "tokens", "zhang"]).output


def test_logging_out_ends_a_copied_session_cookie_too(app, client, clock):
    with app.app_context():
        add_user(get_db(), current_lineup(), "admin", "password123", "admin", clock.now)
    login(client, "admin")
    cookie = client.get_cookie("keting_session")
    thief = app.test_client()
    thief.set_cookie("keting_session", cookie.value)
    assert thief.get("/console/accounts").status_code == 200  # the copy works while the session lives
    token = csrf_from(client.get("/console/accounts"))
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/console/accounts").status_code == 302  # back to the login page
    login(client, "admin")
    assert client.get("/console/accounts").status_code == 200  # the owner logs in again
