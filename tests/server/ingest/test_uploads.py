"""Resumable uploads over the tus protocol: resume, refusals that leave nothing, permissions."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from server.web.context import current_lineup, get_db
from tests.conftest import editor_token, pair_device
from tests.support.clips import bad_inputs, lecture_clip

TUS = {"Tus-Resumable": "1.0.0"}


def metadata(**fields: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())


@pytest.fixture
def editor(ctx, clock):
    db, lineup = ctx
    return {"Authorization": f"Bearer {editor_token(db, lineup, clock.now)}", **TUS}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    return lecture_clip(tmp_path_factory.mktemp("clip") / "talk.mp4", seconds=2).read_bytes()


def start(client, headers, size, **fields):
    fields = {"board": "dangke", "filename": "talk.mp4", **fields}
    return client.post("/api/v1/uploads", headers={**headers, "Upload-Length": str(size),
                                                   "Upload-Metadata": metadata(**fields)})


def patch(client, headers, url, offset, data):
    return client.patch(url, data=data, headers={**headers, "Upload-Offset": str(offset),
                                                 "Content-Type": "application/offset+octet-stream"})


def counts(app) -> dict[str, int]:
    with app.app_context():
        db = get_db()
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("uploads", "items", "transcode_jobs")}


def leftovers(app) -> list[str]:
    folders = [Path(app.config["ORIGINALS_DIR"]), Path(app.config["MEDIA_ROOT"])]
    return sorted(str(p) for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file())


def test_options_advertise_tus(client):
    response = client.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert "creation" in response.headers["Tus-Extension"] and "termination" in response.headers["Tus-Extension"]
    assert int(response.headers["Tus-Max-Size"]) == 8 * 1024 ** 3


def test_upload_in_pieces_with_a_resume_becomes_a_draft_item_and_a_queued_job(app, client, editor, clip):
    created = start(client, editor, len(clip), title="党课录像", speaker="王书记")
    assert created.status_code == 201 and "Upload-Expires" in created.headers
    url = created.headers["Location"]
    third = len(clip) // 3
    assert patch(client, editor, url, 0, clip[:third]).headers["Upload-Offset"] == str(third)
    # The connection drops; the client asks where to go on from.
    status = client.head(url, headers=editor)
    assert status.headers["Upload-Offset"] == str(third) and status.headers["Upload-Length"] == str(len(clip))
    wrong = patch(client, editor, url, 0, clip[:third])
    assert wrong.status_code == 409 and str(third) in wrong.get_json()["error"]["message"]
    patch(client, editor, url, third, clip[third:2 * third])
    done = patch(client, editor, url, 2 * third, clip[2 * third:])
    assert done.status_code == 204 and done.headers["Upload-Offset"] == str(len(clip))
    item_id, job_id = int(done.headers["Keting-Item-Id"]), int(done.headers["Keting-Job-Id"])
    with app.app_context():
        item = get_db().execute("SELECT * FROM items WHERE id = ?", [item_id]).fetchone()
        assert (item["title"], item["speaker"], item["state"], item["kind"]) == ("党课录像", "王书记", "draft", "video")
    # The finished upload stays until it expires and tells a page reloaded at the last byte
    # what it became, so that page does not upload the file again.
    assert counts(app) == {"uploads": 1, "items": 1, "transcode_jobs": 1}
    again = client.head(url, headers=editor)
    assert again.headers["Upload-Offset"] == str(len(clip))
    assert (again.headers["Keting-Item-Id"], again.headers["Keting-Job-Id"]) == (str(item_id), str(job_id))
    late = patch(client, editor, url, len(clip), b"")
    assert late.status_code == 409 and str(item_id) in late.get_json()["error"]["message"]
    original = Path(app.config["ORIGINALS_DIR"]) / f"item-{item_id}.source"
    assert original.read_bytes() == clip
    job = client.get(f"/api/v1/jobs/{job_id}", headers=editor).get_json()
    assert (job["state"], job["item_id"], job["progress"]) == ("queued", item_id, 0)


@pytest.mark.parametrize("case", ["zero_bytes", "text_as_mp4", "truncated_mp4", "png", "huge_header"])
def test_refused_uploads_leave_no_file_and_no_row(app, client, editor, tmp_path, case):
    data = bad_inputs(tmp_path / "corpus")[case].read_bytes()
    if not data:  # tus cannot declare a zero length; the client is told at creation
        response = start(client, editor, 0)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_length"
    else:
        url = start(client, editor, len(data)).headers["Location"]
        response = patch(client, editor, url, 0, data)
        assert response.status_code == 422
        assert response.get_json()["error"]["code"] == "bad_media"
        assert client.head(url, headers=editor).status_code == 404
    assert counts(app) == {"uploads": 0, "items": 0, "transcode_jobs": 0}
    assert leftovers(app) == []


def test_a_hostile_file_name_is_only_text(app, client, editor, clip):
    name = "../../etc/passwd/💥 党课 " + "长" * 300 + ".mp4"
    url = start(client, editor, len(clip), filename=name).headers["Location"]
    done = patch(client, editor, url, 0, clip)
    assert done.status_code == 204
    with app.app_context():
        title = get_db().execute("SELECT title FROM items").fetchone()[0]
    assert title.startswith("💥 党课") and len(title) <= 200
    assert [Path(p).name for p in leftovers(app)] == [f"item-{done.headers['Keting-Item-Id']}.source"]


def test_cancel_removes_the_partial_file(app, client, editor, clip):
    url = start(client, editor, len(clip)).headers["Location"]
    patch(client, editor, url, 0, clip[:100])
    assert client.delete(url, headers=editor).status_code == 204
    assert counts(app)["uploads"] == 0 and leftovers(app) == []


def test_an_expired_upload_is_gone_with_its_file(app, client, editor, clip, clock):
    url = start(client, editor, len(clip)).headers["Location"]
    patch(client, editor, url, 0, clip[:100])
    clock.advance(seconds=app.config["UPLOAD_EXPIRY"])
    response = patch(client, editor, url, 100, clip[100:])
    assert response.status_code == 410 and "过期" in response.get_json()["error"]["message"]
    assert leftovers(app) == []


def test_more_bytes_than_declared_are_refused(app, client, editor, clip):
    url = start(client, editor, 10).headers["Location"]
    assert patch(client, editor, url, 0, clip[:20]).status_code == 413
    assert client.head(url, headers=editor).headers["Upload-Offset"] == "0"


def test_size_limit_and_full_disk_are_told_apart(app, client, editor, monkeypatch):
    too_big = start(client, editor, 8 * 1024 ** 3 + 1)
    assert too_big.status_code == 413 and "8.00 GiB" in too_big.get_json()["error"]["message"]

    class Usage:  # the disk is hardware: a full one is stood in for
        free = 1024 ** 3
    monkeypatch.setattr("server.ingest.uploads.shutil.disk_usage", lambda path: Usage)
    full = start(client, editor, 2 * 1024 ** 3)
    assert full.status_code == 507 and "磁盘空间不足" in full.get_json()["error"]["message"]
    assert counts(app)["uploads"] == 0


@pytest.mark.parametrize("fields, status, code", [
    ({"board": "nosuch"}, 400, "unknown_board"),
    ({"board": "banshi"}, 400, "wrong_board_kind"),
    ({"board": "daode"}, 403, "board_forbidden"),
    ({"filename": "", "title": ""}, 400, "empty_title"),
])
def test_upload_targets_are_checked_at_creation(app, ctx, client, clock, fields, status, code):
    db, lineup = ctx
    limited = {"Authorization": f"Bearer {editor_token(db, lineup, clock.now, 'zhang', boards=('dangke',))}",
               **TUS}
    response = start(client, limited, 1000, **fields)
    assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)


def test_only_editors_and_administrators_upload(app, ctx, client, clock):
    db, _ = ctx
    _, device = pair_device(db, clock.now)
    for headers, code in [(TUS, "token_missing"), ({"Authorization": f"Bearer {device}", **TUS}, "token_invalid")]:
        response = start(client, headers, 1000)
        assert (response.status_code, response.get_json()["error"]["code"]) == (401, code)


def test_other_editors_uploads_are_invisible(app, ctx, client, clock, editor, clip):
    db, lineup = ctx
    other = {"Authorization": f"Bearer {editor_token(db, lineup, clock.now, 'li')}", **TUS}
    url = start(client, editor, len(clip)).headers["Location"]
    assert client.head(url, headers=other).status_code == 404


def test_tus_version_is_required(client, editor):
    response = client.post("/api/v1/uploads", headers={"Authorization": editor["Authorization"],
                                                       "Upload-Length": "10"})
    assert response.status_code == 412


def test_wrong_content_type_is_refused(client, editor, clip):
    url = start(client, editor, len(clip)).headers["Location"]
    response = client.patch(url, data=clip, headers={**editor, "Upload-Offset": "0"})
    assert response.status_code == 415


def test_keting_import_refuses_a_bad_file_without_a_trace(app, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from server.cli import main

    for name, value in (("DATABASE", app.config["DATABASE"]), ("MEDIA_ROOT", app.config["MEDIA_ROOT"]),
                        ("ORIGINALS_DIR", app.config["ORIGINALS_DIR"])):
        monkeypatch.setenv(f"KETING_{name}", value)
    bad = bad_inputs(tmp_path / "corpus")["truncated_mp4"]
    result = CliRunner().invoke(main, ["import", str(bad), "--board", "dangke"])
    assert result.exit_code == 1 and "不完整" in result.output
    assert counts(app) == {"uploads": 0, "items": 0, "transcode_jobs": 0} and leftovers(app) == []
    with app.app_context():
        assert current_lineup()  # the app still starts on that database


def test_the_reconcile_sweep_drops_expired_uploads(app, client, editor, clip, clock):
    from tests.support.runners import job_runner

    url = start(client, editor, len(clip)).headers["Location"]
    patch(client, editor, url, 0, clip[:100])
    runner = job_runner(app)
    runner.reconcile()
    assert counts(app)["uploads"] == 1
    clock.advance(seconds=app.config["UPLOAD_EXPIRY"])
    runner.reconcile()
    assert counts(app)["uploads"] == 0 and leftovers(app) == []


def cut_patch(server_url: str, location: str, editor: dict, clip: bytes, sent: int) -> None:
    """Over a real socket: promise the whole clip in one PATCH, send `sent` bytes of it, and hang up."""
    import socket
    from urllib.parse import urlsplit

    host, port = urlsplit(server_url).hostname, urlsplit(server_url).port
    with socket.create_connection((host, port)) as conn:
        head = (f"PATCH {location} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {editor['Authorization']}\r\n"
                f"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                f"Content-Length: {len(clip)}\r\n\r\n").encode()
        conn.sendall(head + clip[:sent])


@pytest.mark.slow
def test_keting_serve_keeps_the_bytes_of_a_cut_patch(app, editor, tmp_path):
    """The production server (nginx in front, gunicorn) streams the body: a cut upload resumes where the bytes
    stopped, less at most nginx's one in-flight buffer, which the client sends again from the offset."""
    import os
    import urllib.request

    from tests.support.http_server import keting_serve
    from tests.support.processes import wait_for

    body = os.urandom(3 * 1024 * 1024)  # an upload in flight: never completed, so never probed
    settings = {"DATABASE": app.config["DATABASE"], "MEDIA_ROOT": app.config["MEDIA_ROOT"],
                "ORIGINALS_DIR": app.config["ORIGINALS_DIR"]}
    with keting_serve(settings) as url:
        create = urllib.request.Request(f"{url}/api/v1/uploads", method="POST", headers={
            **editor, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(body)),
            "Upload-Metadata": metadata(board="dangke", title="党课")})
        location = urllib.request.urlopen(create, timeout=10).headers["Location"]
        path = location.removeprefix(url) if location.startswith("http") else location
        sent = len(body) // 3

        def offset() -> int:
            head = urllib.request.Request(f"{url}{path}", method="HEAD", headers={**editor, "Tus-Resumable": "1.0.0"})
            return int(urllib.request.urlopen(head, timeout=10).headers["Upload-Offset"])
        cut_patch(url, path, editor, body, sent)
        kept = wait_for(lambda: (o := offset()) > sent - 256 * 1024 and o, 10, "the bytes received to be kept")
        assert kept <= sent
        more = urllib.request.Request(f"{url}{path}", method="PATCH", data=body[kept:kept + 1024 * 1024], headers={
            **editor, "Upload-Offset": str(kept), "Content-Type": "application/offset+octet-stream"})
        assert urllib.request.urlopen(more, timeout=30).status == 204
        assert offset() == kept + 1024 * 1024


def test_a_connection_cut_mid_chunk_keeps_the_bytes_that_arrived(app, client, live_server, editor, clip):
    """Over a real socket: the client promises the whole clip, sends part of it, and hangs up."""
    from urllib.parse import urlsplit

    from tests.support.processes import wait_for

    location = urlsplit(start(client, editor, len(clip)).headers["Location"]).path
    sent = len(clip) // 2
    cut_patch(live_server, location, editor, clip, sent)
    offset = wait_for(lambda: int(client.head(location, headers=editor).headers["Upload-Offset"]), 10,
                      "the server to record the bytes received")
    assert offset == sent
    done = patch(client, editor, location, sent, clip[sent:])
    assert done.status_code == 204 and "Keting-Item-Id" in done.headers
    item_id = done.headers["Keting-Item-Id"]
    assert (Path(app.config["ORIGINALS_DIR"]) / f"item-{item_id}.source").read_bytes() == clip


@pytest.mark.parametrize("length", ["1_000", " 100", "+100", "١٠٠", "-5", "1e3", "99999999999999999999999"])
def test_tus_lengths_are_plain_digits_only(client, editor, length):
    answer = client.post("/api/v1/uploads", headers={**editor, "Tus-Resumable": "1.0.0", "Upload-Length": length,
                                                      "Upload-Metadata": "board ZGFuZ2tl"})
    assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_length"
