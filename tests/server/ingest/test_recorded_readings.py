"""An editor's recorded reading (朗读录音) for real: uploaded over tus for an article, transcoded by the same
pipeline into an audio ladder with a card, handed to boxes instead of the synthetic reading, taken away again;
and the refusals, which leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.catalogue.items import create_item
from server.ingest.job_runner import run_job
from server.web.context import current_lineup, get_db, site
from tests.conftest import editor_token
from tests.server.ingest.test_uploads import TUS, counts, leftovers, patch, start
from tests.support.clips import ffmpeg, lecture_clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def voice(tmp_path_factory) -> bytes:
    """Six seconds of a voice-like tone as an .m4a, the way a phone records a reading."""
    path = tmp_path_factory.mktemp("voice") / "reading.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:sample_rate=44100:d=6", "-c:a", "aac", str(path))
    return path.read_bytes()


@pytest.fixture
def site_with_article(app, clock):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        article = create_item(db, lineup, kind="article", board_id="banshi", title="居住证办理",
                              state="published", body_markdown="办理居住证需携带身份证原件。")
        video = create_item(db, lineup, kind="video", board_id="dangke", title="党课")
        other = create_item(db, lineup, kind="article", board_id="gongkai", title="党务公开", body_markdown="通知。")
        token = editor_token(db, lineup, clock.now, "editor", boards=("banshi", "dangke"))
    return {"article": article, "video": video, "other": other,
            "editor": {"Authorization": f"Bearer {token}", **TUS}}


def upload(client, headers, data: bytes, **fields):
    created = start(client, headers, len(data), filename="朗读.m4a", **fields)
    if created.status_code != 201:
        return created
    return patch(client, headers, created.headers["Location"], 0, data)


def test_a_recording_replaces_the_synthetic_reading_until_it_is_taken_away(app, client, auth, site_with_article,
                                                                            voice):
    ids, editor = site_with_article, site_with_article["editor"]
    done = upload(client, editor, voice, reading_for=str(ids["article"]))
    assert done.status_code == 204 and done.headers["Keting-Item-Id"] == str(ids["article"])
    with app.app_context():
        assert run_job(get_db(), site(), int(done.headers["Keting-Job-Id"])) == "done"
        article = get_db().execute("SELECT hls_path, kind FROM items WHERE id = ?", [ids["article"]]).fetchone()
    assert article["hls_path"] is None and article["kind"] == "article"  # the article itself is untouched
    reading = client.get(f"/api/v1/items/{ids['article']}", headers=auth).get_json()["reading"]
    assert reading["kind"] == "recorded" and reading["marks"] == [] and 5.5 < reading["duration_s"] < 6.5
    master = client.get(reading["url"].removeprefix("http://localhost"))
    assert master.status_code == 200 and b"#EXTM3U" in master.data  # a ladder, like a lecture's
    listed = client.get(f"/api/v1/editor/items/{ids['article']}", headers=editor).get_json()["reading"]
    assert listed["state"] == "recorded" and listed["kind"] == "recorded"
    folder = Path(app.config["MEDIA_ROOT"]) / reading["url"].split("/media/s/")[1].split("/", 2)[2].rsplit("/", 1)[0]
    assert folder.is_dir()
    # Taken away: boxes get the synthetic reading again, and the recording's files are gone.
    taken = client.delete(f"/api/v1/editor/items/{ids['article']}/reading", headers=editor)
    assert taken.status_code == 200 and taken.get_json()["reading"]["state"] == "waiting"
    assert not folder.exists()
    assert client.get(f"/api/v1/items/{ids['article']}", headers=auth).get_json()["reading"] is None
    again = client.delete(f"/api/v1/editor/items/{ids['article']}/reading", headers=editor)
    assert again.status_code == 404 and "没有朗读录音" in again.get_json()["error"]["message"]


@pytest.mark.parametrize(("target", "status", "says"), [
    ("abc", 400, "应为文章的编号"),
    ("video", 400, "不是图文文章"),
    ("other", 404, None),  # another board's article is not the editor's to see
    ("999999", 404, None),
])
def test_a_recording_for_something_else_is_refused_before_any_byte(app, client, site_with_article, voice, target,
                                                                   status, says):
    before = counts(app)
    reading_for = str(site_with_article.get(target, target))
    refused = start(client, site_with_article["editor"], len(voice), reading_for=reading_for)
    assert refused.status_code == status
    if says:
        assert says in refused.get_json()["error"]["message"]
    assert counts(app) == before and leftovers(app) == []


def test_a_silent_recording_is_refused_and_leaves_nothing(app, client, site_with_article, tmp_path):
    silent = lecture_clip(tmp_path / "silent.mp4", seconds=2, audio=False).read_bytes()
    before = counts(app)
    refused = upload(client, site_with_article["editor"], silent, reading_for=str(site_with_article["article"]))
    assert refused.status_code == 422
    assert "没有声音" in refused.get_json()["error"]["message"]
    assert counts(app) == before and leftovers(app) == []


def test_the_later_upload_wins_whichever_transcode_ends_first(app, client, site_with_article, voice):
    ids, editor = site_with_article, site_with_article["editor"]
    first = int(upload(client, editor, voice, reading_for=str(ids["article"])).headers["Keting-Job-Id"])
    second = int(upload(client, editor, voice, reading_for=str(ids["article"])).headers["Keting-Job-Id"])
    with app.app_context():
        assert run_job(get_db(), site(), second) == "done"
        kept = get_db().execute("SELECT recorded_path FROM readings WHERE item_id = ?", [ids["article"]]).fetchone()[0]
        assert run_job(get_db(), site(), first) == "done"  # the earlier upload ends last: it does not replace
        after = get_db().execute("SELECT recorded_path FROM readings WHERE item_id = ?", [ids["article"]]).fetchone()[0]
    assert after == kept
    vod = Path(app.config["MEDIA_ROOT"]) / "vod"
    assert [p.name for p in vod.glob("*-reading-*")] == [kept.split("/")[1]]  # the loser's files are gone


def test_taking_the_recording_away_cancels_one_still_transcoding(app, client, site_with_article, voice):
    ids, editor = site_with_article, site_with_article["editor"]
    job = int(upload(client, editor, voice, reading_for=str(ids["article"])).headers["Keting-Job-Id"])
    taken = client.delete(f"/api/v1/editor/items/{ids['article']}/reading", headers=editor)
    assert taken.status_code == 200
    with app.app_context():
        assert run_job(get_db(), site(), job) == "not-claimed"  # cancelled: it never brings the recording back
        row = get_db().execute("SELECT recorded_path FROM readings WHERE item_id = ?", [ids["article"]]).fetchone()
    assert row is None or row[0] is None
