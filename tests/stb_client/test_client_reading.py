"""An article read aloud for real: the server reads it with eSpeak NG, the TV client plays the reading in libVLC
(its audio written to a WAV file by libVLC's afile output, so the test hears it), the page turns when the voice
reaches it, and Back stops the voice and stays on the article, all driven through the HTTP remote."""

from __future__ import annotations

import array
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.catalogue.items import create_item
from server.ingest.readings import make_readings
from server.web.context import current_lineup, get_db, site
from tests.conftest import pair_device
from tests.stb_client.conftest import real_clock_app, tv_client
from tests.stb_client.test_client_headless import ARTIFACTS, press, screenshot, status, until
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow

# Ten short paragraphs: the first page holds seven (with the empty lines between), so the voice reaches the
# second page in about ten seconds.
RULES = "\n\n".join(f"第{n}条，学习。" for n in "一二三四五六七八九十")


def loudness(wav: Path) -> float:
    """The RMS of a 16-bit WAV's samples, read past its header (libVLC completes the header only at the end)."""
    samples = array.array("h", wav.read_bytes()[44:][: (wav.stat().st_size - 44) // 2 * 2])
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


def test_an_article_is_read_aloud_with_the_page_following_and_back_stops_it(tmp_path):
    app = real_clock_app(tmp_path)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        create_item(db, lineup, kind="article", board_id="gongkai", title="组织生活十条", state="published",
                    body_markdown=RULES)
        assert make_readings(db, site()) == 1
        _, token = pair_device(db, datetime.now(UTC))
    heard = tmp_path / "heard.wav"
    with tv_client(app, token, tmp_path / "stb", ARTIFACTS,
                   ("--aout=afile", f"--audiofile-file={heard}", "--audiofile-format=s16")) as remote:
        until(remote, lambda s: s["ready"], "Home")
        press(remote, "2", "1")  # 党务政务公开, its first article
        until(remote, lambda s: s["view"] == "article" and any("黄键朗读" in t for t in s["texts"]),
              "the article, with the yellow key offered")
        press(remote, "yellow")
        reading = until(remote, lambda s: "朗读中" in s["texts"] and (s["reading_s"] or 0) > 1, "the voice")
        assert reading["page"] == 0
        screenshot(remote, "article-reading")
        turned = wait_for(lambda: (s := status(remote))["page"] == 1 and s, 60, "the page turned by the voice")
        assert any(t.startswith("第八条") for t in turned["texts"])  # the second page's first paragraph
        assert turned["reading_s"] > 5  # it got there by reading, not at once
        press(remote, "back")
        stopped = until(remote, lambda s: "朗读中" not in s["texts"], "the voice stopped")
        assert stopped["view"] == "article" and stopped["page"] == 1
        wait_for(lambda: status(remote)["reading_s"] is None, 10, "libVLC's reader stopped")
    assert loudness(heard) > 300, "the reading was silent"
