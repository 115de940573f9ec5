"""Articles read aloud for real (eSpeak NG, ffmpeg): made once per text, handed out only for the text
they read, failures kept with their reason, nothing half made left behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from server.catalogue.items import create_item, update_item
from server.ingest import readings
from server.ingest.audio_prep import integrated_loudness
from server.web.context import current_lineup, get_db, site
from tests.conftest import editor_token

GUIDE = ("# 居住证办理指南\n\n办理居住证需携带身份证原件，到社区服务中心一楼3号窗口办理。\n\n"
         "办理时间：周一至周五8:30至17:00。咨询电话：0571-86012345。")


@pytest.fixture
def article(app):
    with app.app_context():
        return create_item(get_db(), current_lineup(), kind="article", board_id="banshi", title="居住证办理",
                           state="published", body_markdown=GUIDE)


def make(app) -> int:
    with app.app_context():
        return readings.make_readings(get_db(), site())


def files(app) -> list[str]:
    root = Path(app.config["MEDIA_ROOT"]) / readings.FOLDER
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def detail(client, auth, item_id) -> dict:
    return client.get(f"/api/v1/items/{item_id}", headers=auth).get_json()


def test_a_published_article_is_read_aloud_and_handed_to_boxes(app, client, auth, article):
    assert detail(client, auth, article)["reading"] is None  # not made yet
    assert make(app) == 1
    reading = detail(client, auth, article)["reading"]
    assert reading["kind"] == "synthetic" and reading["duration_s"] > 5
    text = detail(client, auth, article)["text"]
    offsets = [m[0] for m in reading["marks"]]
    times = [m[1] for m in reading["marks"]]
    assert reading["marks"][0] == [text.index("居住证办理指南"), 0.0]
    assert offsets == sorted(set(offsets)) and times == sorted(set(times)) and times[-1] < reading["duration_s"]
    assert text[offsets[2]:].startswith("办理时间")  # each mark is where its sentence starts in the text
    # The URL is signed like an item's segments, and serves the audio.
    assert "/media/s/" in reading["url"]
    audio = client.get(reading["url"].removeprefix("http://localhost"))
    assert audio.status_code == 200 and audio.mimetype == "audio/mp4"
    path = Path(app.config["MEDIA_ROOT"]) / files(app)[0].join(["readings/", ""])
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,channels:"
                                       "format=duration", "-of", "json", str(path)], capture_output=True,
                                      check=True).stdout)
    assert probe["streams"] == [{"codec_name": "aac", "channels": 1}]
    assert abs(float(probe["format"]["duration"]) - reading["duration_s"]) < 0.2
    assert abs(integrated_loudness(["-i", str(path)]) - current_lineup_loudness(app)) < 1.5  # as loud as lectures
    unsigned = client.get("/media/" + files(app)[0].join(["readings/", ""]))
    assert unsigned.status_code == 403


def current_lineup_loudness(app) -> float:
    with app.app_context():
        return current_lineup().ladder.loudness_lufs


def test_drafts_wait_and_an_unchanged_text_is_not_read_again(app, clock):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        draft = create_item(db, lineup, kind="article", board_id="banshi", title="草稿", body_markdown="还没发布。")
        create_item(db, lineup, kind="article", board_id="banshi", title="空的", state="published",
                    body_markdown="---")
    assert make(app) == 0 and files(app) == []
    with app.app_context():
        update_item(get_db(), current_lineup(), draft, {"state": "published"}, now=clock())
    assert make(app) == 1
    assert make(app) == 0 and len(files(app)) == 1


def test_a_changed_text_is_read_again_and_the_old_reading_never_handed_out(app, client, auth, article, clock):
    make(app)
    first = files(app)
    with app.app_context():
        update_item(get_db(), current_lineup(), article, {"body_markdown": "新的正文。只有两句。"}, now=clock())
    assert detail(client, auth, article)["reading"] is None  # its marks would turn the wrong pages
    assert make(app) == 1
    reading = detail(client, auth, article)["reading"]
    assert [m[0] for m in reading["marks"]] == [0, 5]
    assert len(files(app)) == 1 and files(app) != first  # the old reading's file is gone


def test_a_failed_reading_says_why_leaves_nothing_and_is_tried_again_later(app, client, auth, article, clock):
    app.config["ESPEAK"] = str(Path(app.config["MEDIA_ROOT"]) / "no-such-espeak")
    assert make(app) == 1
    assert make(app) == 0  # not again at once
    with app.app_context():
        row = get_db().execute("SELECT path, error, worker FROM readings WHERE item_id = ?", [article]).fetchone()
    assert row[0] is None and row[2] is None and "no-such-espeak: not found" in row[1]
    assert files(app) == [] and detail(client, auth, article)["reading"] is None
    app.config["ESPEAK"] = "espeak-ng"
    clock.advance(minutes=61)
    assert make(app) == 1 and detail(client, auth, article)["reading"] is not None


def test_one_maker_per_article_and_a_dead_makers_claim_expires(app, article, clock):
    with app.app_context():
        db = get_db()
        digest = readings.text_hash(db.execute("SELECT body_text FROM items WHERE id = ?", [article]).fetchone()[0])
        assert readings.claim(db, article, digest, "host-a:1", clock())
        assert not readings.claim(db, article, digest, "host-b:2", clock())
        assert readings.wanted(db, clock()) == []  # being made
        clock.advance(minutes=16)
        assert readings.wanted(db, clock()) == [(article, digest)]
        assert readings.claim(db, article, digest, "host-b:2", clock())
        # The first maker's late result is not kept.
        kept, _ = readings.finish(db, article, "host-a:1", "readings/x.m4a", readings.speech.Reading(1.0, ()), clock())
        assert not kept


def test_a_deleted_articles_reading_goes_with_it(app, article):
    make(app)
    assert files(app)
    with app.app_context():
        get_db().execute("DELETE FROM items WHERE id = ?", [article])
    make(app)
    assert files(app) == []


def test_read_aloud_off_makes_none(app, article):
    app.config["READ_ALOUD"] = False
    assert make(app) == 0 and files(app) == []


def test_editors_see_each_articles_reading(app, client, article, clock):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        token = editor_token(db, lineup, clock.now, "editor", boards=("banshi",))
        draft = create_item(db, lineup, kind="article", board_id="banshi", title="草稿", body_markdown="草稿。")
    editor = {"Authorization": f"Bearer {token}"}

    def states():
        listed = client.get("/api/v1/editor/items?kind=article", headers=editor).get_json()["items"]
        return {item["id"]: item["reading"]["state"] for item in listed}
    assert states() == {article: "waiting", draft: "none"}
    make(app)
    assert states() == {article: "ready", draft: "none"}
    one = client.get(f"/api/v1/editor/items/{article}", headers=editor).get_json()["reading"]
    assert one["url"] and one["duration_s"] > 5
    app.config["ESPEAK"] = "/nonexistent/espeak-ng"
    client.patch(f"/api/v1/editor/items/{article}", headers=editor, json={"body_markdown": "改过的正文。"})
    assert states()[article] == "waiting"
    make(app)
    assert states()[article] == "failed"


def test_a_maker_whose_claim_was_taken_over_never_deletes_the_others_reading(app, article, clock):
    with app.app_context():
        db = get_db()
        digest = readings.text_hash(db.execute("SELECT body_text FROM items WHERE id = ?", [article]).fetchone()[0])
        assert readings.claim(db, article, digest, "host-a:1", clock())
        clock.advance(minutes=16)
        assert readings.claim(db, article, digest, "host-b:2", clock())
        readings._make(db, site(), article, digest, "host-b:2")
        readings._make(db, site(), article, digest, "host-a:1")  # late: not kept, and B's file stays
        path = db.execute("SELECT path FROM readings WHERE item_id = ?", [article]).fetchone()[0]
    assert files(app) == [path.removeprefix("readings/")]


def test_a_text_edited_after_the_claim_is_read_in_its_new_form(app, client, auth, article, clock):
    with app.app_context():
        db = get_db()
        digest = readings.text_hash(db.execute("SELECT body_text FROM items WHERE id = ?", [article]).fetchone()[0])
        assert readings.claim(db, article, digest, "host-a:1", clock())
        update_item(db, current_lineup(), article, {"body_markdown": "改过的正文。"}, now=clock())
        readings._make(db, site(), article, digest, "host-a:1")  # gives the claim back, makes nothing
        row = db.execute("SELECT path, worker FROM readings WHERE item_id = ?", [article]).fetchone()
        assert tuple(row) == (None, None)
    assert make(app) == 1
    assert detail(client, auth, article)["reading"]["marks"] == [[0, 0.0]]


def test_a_very_long_article_fails_with_its_reason(app, clock):
    with app.app_context():
        db = get_db()
        long = create_item(db, current_lineup(), kind="article", board_id="banshi", title="长文", state="published",
                           body_markdown="学习。" * (readings.MAX_CHARACTERS // 3 + 1))
    assert make(app) == 1
    with app.app_context():
        error = get_db().execute("SELECT error FROM readings WHERE item_id = ?", [long]).fetchone()[0]
    assert "机器朗读只为 20000 字以内" in error and files(app) == []
