"""The outside review's attacks, replayed over HTTP against a real `keting serve` (gunicorn, as in production).

Each test is one attack from the review and asserts that it fails. The browser half (script in an error page
run by a logged-in administrator) is in console/test_attacks_browser.py; media access is not defended yet
(docs/security.md).
"""

from __future__ import annotations

import base64
import http.client
import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from server import create_app
from server.accounts.tokens import create_api_token
from server.accounts.users import add_user
from server.web.context import current_lineup, get_db
from tests.support.http_server import keting_serve

pytestmark = pytest.mark.slow
ALLOWED_HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`keting serve` on a fresh site with an administrator; yields (url, admin token, its database)."""
    folder = tmp_path_factory.mktemp("attacks")
    settings = {"DATABASE": str(folder / "keting.sqlite3"), "MEDIA_ROOT": str(folder / "media"),
                "ORIGINALS_DIR": str(folder / "originals"), "SECRET_KEY": "attack-test-key",
                "RECONCILE_INTERVAL": "3600", "SLATE_CLOCK_SECONDS": "0"}
    app = create_app(settings, clock=lambda: datetime.now(UTC))
    with app.app_context():
        add_user(get_db(), current_lineup(), "admin", "password123", "admin", datetime.now(UTC))
        token = create_api_token(get_db(), "admin", "attacks", datetime.now(UTC))
    with keting_serve({**settings, "ALLOWED_HOSTS": ALLOWED_HOST}) as url:
        yield url, token


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
         opener=None) -> tuple[int, dict, bytes]:
    """One request; (status, headers, body) whatever the status."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def admin_json(site, method: str, path: str, body: dict) -> tuple[int, dict]:
    url, token = site
    status, _, data = call(f"{url}{path}", method, json.dumps(body).encode(),
                           {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    return status, json.loads(data or b"{}")


def test_1_script_in_a_live_playlist_url_comes_back_escaped_under_the_csp(site):
    url, _ = site
    status, headers, body = call(f"{url}/live/1/%3Cimg%20src=x%20onerror=alert(1)%3E.m3u8")
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert b"<img" not in body and "script-src 'self'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize("live_url", ["file:/etc/passwd", "/etc/passwd", "file:concat:/etc/passwd|/etc/hosts",
                                      "file:gopher://127.0.0.1:6379/_INFO", "http://127.0.0.1:8080/",
                                      "http://169.254.169.254/latest/meta-data/", "udp://239.0.0.1:1234"])
def test_2_a_live_input_cannot_read_files_or_reach_inside(site, live_url):
    start = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, answer = admin_json(site, "POST", "/api/v1/admin/schedule", {
        "channel": 1, "live_url": live_url, "title": "会议", "start": start, "duration_minutes": 30})
    assert status == 400 and answer["error"]["code"] in ("bad_live_url", "live_host_private")


def test_3_an_uploaded_playlist_naming_server_files_is_refused(site, tmp_path):
    url, token = site
    playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n/etc/hostname\n#EXT-X-ENDLIST\n"
    meta = "board " + base64.b64encode(b"dangke").decode() + ",title " + base64.b64encode("会议".encode()).decode()
    auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    status, headers, _ = call(f"{url}/api/v1/uploads", "POST", b"", {**auth, "Upload-Length": str(len(playlist)),
                                                                       "Upload-Metadata": meta})
    assert status == 201
    status, _, body = call(headers["Location"], "PATCH", playlist,
                           {**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert status == 422 and json.loads(body)["error"]["code"] == "bad_media"
    status, _, body = call(f"{url}/api/v1/editor/items", headers={"Authorization": f"Bearer {token}"})
    assert json.loads(body)["items"] == []  # no half item either


def test_5_a_huge_json_body_is_refused_before_it_is_read(site):
    """The review's 100 MiB JSON body: answered 413 from its Content-Length, never read into memory."""
    url, token = site
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/api/v1/editor/articles/preview")
    for name, value in {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Content-Length": str(100 * 1024 * 1024)}.items():
        connection.putheader(name, value)
    connection.endheaders()
    try:
        for _ in range(64):  # the first MiB of the body; the server answers without waiting for the rest
            connection.send(b"x" * 16384)
    except (BrokenPipeError, ConnectionResetError):
        pass
    answer = connection.getresponse()
    assert answer.status == 413 and json.loads(answer.read())["error"]["code"] == "too_large"
    connection.close()
    assert call(f"{url}/api/v1/openapi.json")[0] == 200  # and the server is still there


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Show a redirect as the answer it is (a login answers 302 on success)."""

    def redirect_request(self, *args, **kwargs):
        return None


def browser():
    """An opener with its own cookies, as one browser."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())


def csrf(url: str, opener, path: str = "/console/login") -> str:
    page = call(f"{url}{path}", opener=opener)[2]
    return re.search(rb'name="csrf-token" content="([^"]+)"', page)[1].decode()


def login_attempt(url: str, username: str, password: str, opener=None) -> int:
    """One console login as a browser would make it (its own cookie and CSRF token)."""
    opener = opener or browser()
    form = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": csrf(url, opener)}).encode()
    return call(f"{url}/console/login", "POST", form, {"Content-Type": "application/x-www-form-urlencoded"},
                opener)[0]


def test_6_parallel_wrong_passwords_get_exactly_five_tries(site):
    url, _ = site
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(login_attempt(url, "admin", "wrong-guess")))
               for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(401) == 5 and statuses.count(429) == 11


def test_7_an_odd_authorization_header_does_not_fall_back_to_the_session(site):
    url, _ = site
    status, _, body = call(f"{url}/api/v1/admin/users", "POST", b'{"username": "x"}',
                           {"Authorization": "Basic YWRtaW46eA==", "Content-Type": "application/json",
                            "Cookie": "keting_session=forged"})
    assert status == 401 and json.loads(body)["error"]["code"] == "token_invalid"


def test_8_an_editor_cannot_be_given_every_board_by_an_empty_list(site):
    admin_json(site, "POST", "/api/v1/admin/users", {"username": "zhang", "password": "password123",
                                                      "role": "editor", "boards": ["dangke"]})
    status, answer = admin_json(site, "PATCH", "/api/v1/admin/users/zhang", {"boards": []})
    assert status == 400 and answer["error"]["code"] == "no_boards"


def test_9_control_characters_are_refused_and_the_guide_stays_valid(site):
    status, answer = admin_json(site, "POST", "/api/v1/editor/articles",
                                {"board_id": "banshi", "title": "办事\x0b指南", "body_markdown": "正文"})
    assert status == 400 and answer["error"]["code"] == "control_character"


def test_10_registering_a_known_serial_does_not_cancel_its_pairing(site):
    url, _ = site

    def register() -> dict:
        return json.loads(call(f"{url}/api/v1/devices", "POST", json.dumps({"serial": "SN-ATTACK"}).encode(),
                               {"Content-Type": "application/json"})[2])
    first, _ = register(), register()
    status, _, _ = call(f"{url}/api/v1/devices/token", "POST",
                        json.dumps({"device_code": first["device_code"]}).encode(),
                        {"Content-Type": "application/json"})
    assert status == 202  # still pending, not gone


def test_11_a_copied_session_cookie_dies_with_the_logout(site):
    url, _ = site
    admin_json(site, "POST", "/api/v1/admin/users", {"username": "li", "password": "password123",
                                                      "role": "editor", "all_boards": True})
    owner = browser()
    assert login_attempt(url, "li", "password123", owner) == 302
    cookie = next(c for c in owner.handlers if isinstance(c, urllib.request.HTTPCookieProcessor)).cookiejar
    copied = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in cookie)}
    assert call(f"{url}/console/library", headers=copied, opener=browser())[0] == 200  # the thief's copy works
    token = csrf(url, owner, "/console/library")
    assert call(f"{url}/console/logout", "POST", urllib.parse.urlencode({"csrf_token": token}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"}, owner)[0] == 302
    assert call(f"{url}/console/library", headers=copied, opener=browser())[0] == 302  # to the login page


def test_12_a_forged_host_never_reaches_an_answer(site):
    url, _ = site
    status, _, body = call(f"{url}/channels.m3u", headers={"Host": "evil.example"})
    assert status == 400 and b"evil.example" not in body


def test_14_tus_lengths_are_plain_digits(site):
    url, token = site
    meta = "board " + base64.b64encode(b"dangke").decode()
    status, _, body = call(f"{url}/api/v1/uploads", "POST", b"", {
        "Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0", "Upload-Length": "1_0", "Upload-Metadata": meta})
    assert status == 400 and json.loads(body)["error"]["code"] == "bad_length"
