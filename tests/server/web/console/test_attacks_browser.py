"""Attacks from the outside review, replayed in real Chromium against a real `keting serve`: each must fail."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote

import pytest

from tests.server.web.console.conftest import log_in

pytestmark = pytest.mark.slow


def test_a_script_in_a_live_playlist_url_does_not_run_for_a_logged_in_administrator(console_server, new_page):
    """The reported takeover: an administrator opens a crafted /live/... link; its script would read the
    console's CSRF token and create an administrator. It must not run, and no account may appear."""
    page = new_page()
    log_in(page, console_server, "admin")
    payload = ("<img src=x onerror=\"fetch('/console/accounts').then(r=>r.text()).then(t=>{document.title='pwned';"
               "const c=t.match(/csrf-token\\\" content=\\\"([^\\\"]+)/)[1];fetch('/api/v1/admin/users',"
               "{method:'POST',headers:{'Content-Type':'application/json','X-CSRFToken':c},"
               "body:JSON.stringify({username:'intruder',password:'intruder-pass-1',role:'admin'})})})\">")
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    answer = page.goto(f"{console_server}/live/1/{quote(payload, safe='')}.m3u8")
    assert answer.status == 404
    page.wait_for_load_state("load")
    assert page.title() != "pwned"
    assert page.locator("img").count() == 0  # the markup came back as text, not as an element
    with urllib.request.urlopen(f"{console_server}/console/login") as login_page:
        assert login_page.status == 200  # the server is fine; now ask it who exists
    users = page.evaluate("fetch('/api/v1/admin/users').then(r => r.json())")
    assert "intruder" not in json.dumps(users)
