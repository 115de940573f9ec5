"""Console logins: sessions in signed cookies, CSRF on every change, lock-outs, headers."""

from __future__ import annotations

import re

import pytest

from server.accounts.users import add_user, set_disabled, set_password
from server.web.context import current_lineup, get_db


# No test here keeps an app context open across requests: Flask-WTF keeps each request's
# CSRF token on g, which would then outlive the request (as it never does in a server).
@pytest.fixture
def accounts(app, clock):
    with app.app_context():
        add_user(get_db(), current_lineup(), "editor", "password123", "editor", clock.now, boards=("dangke",))
        add_user(get_db(), current_lineup(), "admin", "password123", "admin", clock.now)


def csrf_from(page) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))[1]


def login(client, username, password="password123", next_path=""):
    token = csrf_from(client.get("/console/login", follow_redirects=True))
    return client.post("/console/login", data={"username": username, "password": password,
                                               "csrf_token": token, "next": next_path})


def test_a_login_sets_a_signed_httponly_samesite_cookie(client, accounts):
    answer = login(client, "editor")
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/library"
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("keting_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/console/library")
    assert page.status_code == 200 and "editor" in page.get_data(as_text=True)


def test_secure_cookies_behind_https(app, client, accounts):
    app.config["SESSION_COOKIE_SECURE"] = True
    answer = login(client, "editor")
    assert "Secure" in next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("keting_session="))


def test_a_wrong_password_says_so_and_keeps_the_username(client, accounts):
    answer = login(client, "editor", "wrong-password")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 401 and "用户名或密码不对" in body and 'value="editor"' in body
    assert client.get("/console/library").status_code == 302


def test_an_account_locks_after_five_failures_and_unlocks_after_the_window(client, accounts, clock):
    for _ in range(5):
        assert login(client, "editor", "wrong-password").status_code == 401
    locked = login(client, "editor")  # even the right password
    assert locked.status_code == 429 and "已暂时锁定" in locked.get_data(as_text=True)
    assert "15 分钟" in locked.get_data(as_text=True) and int(locked.headers["Retry-After"]) == 15 * 60
    assert login(client, "admin").status_code == 302  # other accounts are not locked
    clock.advance(minutes=15, seconds=1)
    assert login(client, "editor").status_code == 302


def test_an_address_locks_after_twenty_failures_on_any_accounts(client, accounts):
    for attempt in range(20):
        assert login(client, f"guess{attempt}", "wrong-password").status_code == 401
    locked = login(client, "admin")
    assert locked.status_code == 429 and "这台电脑" in locked.get_data(as_text=True)


def test_a_login_form_without_its_csrf_token_is_refused(client, accounts):
    answer = client.post("/console/login", data={"username": "editor", "password": "password123"})
    assert answer.status_code == 400 and "刷新页面" in answer.get_data(as_text=True)


def test_api_changes_on_a_session_need_the_csrf_header(client, accounts):
    login(client, "editor")
    body = {"body_markdown": "# 标题"}
    refused = client.post("/api/v1/editor/articles/preview", json=body)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    forged = client.post("/api/v1/editor/articles/preview", json=body, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400
    token = csrf_from(client.get("/console/library"))
    allowed = client.post("/api/v1/editor/articles/preview", json=body, headers={"X-CSRFToken": token})
    assert allowed.status_code == 200 and "<h1>标题</h1>" in allowed.json["html"]


def test_a_bearer_token_needs_no_csrf_token(app, client, clock):
    from server.accounts.tokens import create_api_token
    with app.app_context():
        add_user(get_db(), current_lineup(), "script", "password123", "editor", clock.now, all_boards=True)
        token = create_api_token(get_db(), "script", "tool", clock.now)
    answer = client.post("/api/v1/editor/articles/preview", json={"body_markdown": "x"},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_a_password_reset_or_disabling_ends_the_sessions(client, accounts, app, clock):
    login(client, "editor")
    assert client.get("/api/v1/editor/items").status_code == 200
    with app.app_context():
        set_password(get_db(), "editor", "another-password", clock.now)
    assert client.get("/api/v1/editor/items").status_code == 401
    assert client.get("/console/library").status_code == 302
    login(client, "editor", "another-password")
    assert client.get("/api/v1/editor/items").status_code == 200
    with app.app_context():
        set_disabled(get_db(), "editor", True, clock.now)
    assert client.get("/api/v1/editor/items").status_code == 401


def test_logout_ends_the_session(client, accounts):
    login(client, "editor")
    token = csrf_from(client.get("/console/library"))
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/console/library").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_after_login_only_local_paths_are_followed(client, accounts, target):
    assert login(client, "editor", next_path=target).headers["Location"] == "/console/library"


def test_after_login_the_page_asked_for_opens(client, accounts):
    assert client.get("/console/upload").headers["Location"] == "/console/login?next=/console/upload"
    assert login(client, "editor", next_path="/console/upload").headers["Location"] == "/console/upload"


def test_console_pages_carry_a_strict_content_security_policy(client, accounts):
    login(client, "editor")
    page = client.get("/console/library")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_input_is_never_reflected_unescaped(app, client, accounts, clock):
    from server.catalogue.items import create_item
    with app.app_context():
        create_item(get_db(), current_lineup(), kind="video", board_id="dangke",
                    title='<script>alert(1)</script>"><img src=x>')
    login(client, "editor")
    page = client.get("/console/library").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    searched = client.get("/console/library?q=<script>alert(2)</script>").get_data(as_text=True)
    assert "<script>alert(2)" not in searched and "&lt;script&gt;alert(2)" in searched
    failed = login(client, '"><script>alert(3)</script>', "wrong-password").get_data(as_text=True)
    assert "<script>alert(3)" not in failed


def test_editors_are_refused_the_administrator_pages_with_a_message(client, accounts):
    login(client, "editor")
    page = client.get("/console/accounts")
    assert page.status_code == 403 and "只有管理员" in page.get_data(as_text=True)
    assert "/console/accounts" not in client.get("/console/library").get_data(as_text=True)  # no menu entry


@pytest.mark.parametrize("header", ["Basic YWRtaW46eA==", "Bearer", "Bearer ", "Token abc", "Bearer kt_not-a-token"])
def test_an_odd_authorization_header_never_falls_back_to_the_session(client, accounts, header):
    """Such requests skip the CSRF check, so the cookie must not count for them: 401, and nothing changes."""
    login(client, "admin")
    answer = client.post("/api/v1/admin/users", headers={"Authorization": header},
                         json={"username": "intruder", "password": "long-enough-1", "role": "admin"})
    assert answer.status_code == 401
    assert "intruder" not in client.get("/console/accounts").get_data(as_text=True)


def test_a_console_form_with_an_authorization_header_still_needs_its_csrf_token(client, accounts):
    login(client, "admin")
    answer = client.post("/console/logout", headers={"Authorization": "Bearer x"})
    assert answer.status_code == 400  # refused by the CSRF check: the session stays
    assert client.get("/console/accounts").status_code == 200


def test_the_owner_s_browser_is_known_after_a_login_and_not_slowed_by_strangers(app, client, accounts, clock):
    assert login(client, "admin").status_code == 302
    assert client.get_cookie("keting_known", path="/console/") is not None
    client.post("/console/logout", data={"csrf_token": csrf_from(client.get("/console/accounts"))})
    from server.accounts import login_guard

    with app.app_context():
        for n in range(8):  # strangers elsewhere push the account into its slowdown
            try:
                login_guard.begin(get_db(), "admin", f"198.51.100.{n}", login_guard.limits_from(app.config),
                                  clock.now)
            except login_guard.LockedOut:
                pass
    stranger = app.test_client()
    assert login(stranger, "admin").status_code == 429  # a browser never seen waits
    assert login(client, "admin").status_code == 302  # the known one gets in at once
