"""Error pages never run what a URL carries: escaped, templated, under a strict CSP on every HTML response."""

from __future__ import annotations

import pytest

ATTACK = "<img src=x onerror=alert(document.cookie)>"


@pytest.mark.parametrize("path", [
    f"/live/1/{ATTACK}.m3u8",  # the reported attack: the rendition name came back in the 404 page
    f"/live/9/{ATTACK}.m3u8",
    f"/no-such-page/{ATTACK}",
    f"/media/{ATTACK}.ts",
])
def test_a_404_for_a_hostile_url_is_an_escaped_page_under_the_csp(client, path):
    answer = client.get(path)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert "<img" not in body and "onerror=alert" not in body.replace("onerror=alert(document.cookie)&gt;", "")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert answer.headers["X-Frame-Options"] == "DENY" and answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "出错了（404）" in body  # a page for people, in Chinese


def test_a_domain_error_outside_the_api_is_escaped_too(app, client, clock):
    """A UserError's message may quote what was typed: on a page it is escaped, never raw HTML."""
    from server.web.context import current_lineup, get_db
    from tests.conftest import editor_token
    from tests.server.web.test_console_auth import login

    with app.app_context():
        editor_token(get_db(), current_lineup(), clock.now, username="admin", role="admin")
    login(client, "admin")
    answer = client.get(f"/console/schedule?channel={ATTACK}")
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    body = answer.get_data(as_text=True)
    assert "<img" not in body and "&lt;img" in body
    assert "Content-Security-Policy" in answer.headers


def test_the_api_keeps_its_json_errors(client):
    answer = client.get(f"/api/v1/items/{ATTACK}")
    assert answer.status_code == 401 and answer.is_json  # no token: refused before the id is read


def test_every_html_page_carries_the_policy_and_the_front_page_needs_no_inline_style(client):
    page = client.get("/")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    html = page.get_data(as_text=True)
    assert "style=" not in html and "<style" not in html and "<script>" not in html
    colours = client.get("/boards.css")
    assert colours.mimetype == "text/css" and ".board-dangjian { background: #" in colours.get_data(as_text=True)
