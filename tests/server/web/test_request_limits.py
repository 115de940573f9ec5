"""Request bodies are bounded: a small global limit, raised only where pictures, subtitles and uploads need it."""

from __future__ import annotations

import http.client

import pytest

from server.web.context import current_lineup, get_db
from tests.conftest import editor_token


@pytest.fixture
def editor(app, clock):
    with app.app_context():
        return {"Authorization": f"Bearer {editor_token(get_db(), current_lineup(), clock.now)}"}


def test_a_json_body_over_the_limit_is_refused_before_it_is_read(app, client, editor):
    big = b'{"title": "' + b"x" * (app.config["MAX_REQUEST_BYTES"] + 10) + b'"}'
    answer = client.post("/api/v1/editor/articles", data=big, headers={**editor, "Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.json["error"]["code"] == "too_large"


def test_a_chunked_body_without_a_length_is_cut_at_the_limit(app, live_server, editor):
    """Over a real connection: a body sent in chunks with no Content-Length is refused once it passes the limit."""
    host, port = live_server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)

    def chunks():
        for _ in range(app.config["MAX_REQUEST_BYTES"] // 65536 + 4):
            yield b"x" * 65536
    connection.request("POST", "/api/v1/editor/articles/preview", body=chunks(), encode_chunked=True,
                       headers={**editor, "Content-Type": "application/json"})
    answer = connection.getresponse()
    assert answer.status == 413
    connection.close()


def test_a_login_form_over_the_limit_is_refused(app, client):
    answer = client.post("/console/login", data={"username": "x" * (app.config["MAX_REQUEST_BYTES"] + 1)})
    assert answer.status_code == 413 and answer.mimetype == "text/html"


def test_pictures_may_be_larger_than_json_but_not_without_bound(app, client, editor):
    from server.ingest.pictures import MAX_IMAGE_BYTES

    over_json = client.post("/api/v1/editor/images", data=b"\x00" * (app.config["MAX_REQUEST_BYTES"] + 10),
                            headers=editor)
    assert over_json.status_code == 422  # read (and refused as not a picture), not cut at the JSON limit
    over_all = client.post("/api/v1/editor/images", data=b"\x00" * (MAX_IMAGE_BYTES + 10), headers=editor)
    assert over_all.status_code == 413
