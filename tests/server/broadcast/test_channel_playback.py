"""A channel played for real: libVLC (dummy output) over HTTP across the slate and programme boundaries."""

from __future__ import annotations

import math
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from server import create_app
from server.broadcast import schedule
from server.broadcast.channel_art import ensure_channel_art
from server.broadcast.playout_store import listings
from server.catalogue.items import create_item
from server.core.channels_yaml import load_lineup
from server.core.timestamps import to_ms
from server.ingest.cards import find_cjk_font
from server.web.context import current_lineup, get_db, station
from tests.conftest import REPO
from tests.support.channel_media import encode_programme, install
from tests.support.http_server import serve_in_thread
from tests.support.media_probe import watch_pictures

pytestmark = pytest.mark.slow

PROGRAMME_S = 8
SLATE_S = 10


@pytest.fixture(scope="session")
def encoded(tmp_path_factory):
    lineup = load_lineup(REPO / "channels.yaml")
    root = tmp_path_factory.mktemp("programmes")
    ensure_channel_art(root / "art", lineup, lineup.channels[0], find_cjk_font(), SLATE_S)
    return (encode_programme(root / "a", lineup, PROGRAMME_S, "testsrc2", 440),
            encode_programme(root / "b", lineup, PROGRAMME_S, "smptebars", 660), root / "art")


class RequestLog:
    """WSGI middleware that notes each requested path with the time it came."""

    def __init__(self, app):
        self.app, self.paths, self.lock = app, [], threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.paths.append((time.monotonic(), environ["PATH_INFO"]))
        return self.app(environ, start_response)

    def seen(self, fragment: str) -> list[float]:
        with self.lock:
            return [moment for moment, path in self.paths if fragment in path]


@pytest.fixture
def on_air(tmp_path, encoded):
    """Channel 1 on the real clock: slate, then programme A in a few seconds, B straight after."""
    programme_a, programme_b, art = encoded
    media_root = tmp_path / "media"
    shutil.copytree(art / "channels", media_root / "channels")
    app = create_app({"DATABASE": str(tmp_path / "keting.sqlite3"), "MEDIA_ROOT": str(media_root),
                      "SLATE_SECONDS": SLATE_S}, clock=lambda: datetime.now(UTC))
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        ids = []
        for title, encoded_dir in (("节目甲", programme_a), ("节目乙", programme_b)):
            item = create_item(db, lineup, kind="video", board_id="dangjian", title=title, duration_s=PROGRAMME_S)
            path = install(encoded_dir, media_root, f"vod/{item}")
            db.execute("UPDATE items SET hls_path = ? WHERE id = ?", [path, item])
            ids.append(item)
        now = datetime.now(UTC)
        start = datetime.fromtimestamp(math.ceil(now.timestamp()) + 5, UTC)
        for offset, item in enumerate(ids):
            schedule.add_entry(db, lineup, channel=1, item_id=item, important=False, now=now, zone="Asia/Shanghai",
                               start=start + timedelta(seconds=offset * PROGRAMME_S))
        # On the air since half a minute ago, so a player joins a full window as it would in real use.
        station().keep_built(db, lineup, now - timedelta(seconds=30))
        rows = listings(db, 1, to_ms(now), to_ms(now) + 60_000)
    log = RequestLog(app.wsgi_app)
    app.wsgi_app = log
    with serve_in_thread(app) as url:
        yield url, log, rows, ids


def test_pictures_keep_coming_across_programme_boundaries(on_air):
    url, log, rows, (item_a, item_b) = on_air
    assert [row.kind for row in rows][:3] == ["slate", "programme", "programme"]
    b_ends = rows[2].end_ms / 1000

    def b_played_out(_samples) -> bool:  # the player runs a few segments behind the live edge
        return time.time() > b_ends + 8

    samples = watch_pictures(f"{url}/live/1/master.m3u8", b_played_out, deadline_s=60)
    # The player fetched the slate, every segment of A and of B, in order.
    assert log.seen("/media/channels/1/slate/")
    for item in (item_a, item_b):
        for segment in range(PROGRAMME_S // 2):
            assert log.seen(f"/vod/{item}/") and log.seen(f"seg_{segment:05d}.ts")
    assert min(log.seen(f"/vod/{item_b}/")) > min(log.seen(f"/vod/{item_a}/"))
    displayed, lost = samples[-1][1], samples[-1][2]
    assert displayed >= 25 * PROGRAMME_S  # at least a programme's worth of pictures were shown
    assert lost <= 10


def test_the_m3u_opens_in_libvlc_and_plays_the_channel(on_air):
    url, log, _, _ = on_air
    def second_of_pictures(samples) -> bool:
        return bool(samples) and samples[-1][1] >= 25

    samples = watch_pictures(f"{url}/channels.m3u", second_of_pictures, deadline_s=30, playlist=True)
    assert log.seen("/channels.m3u") and log.seen("/live/1/master.m3u8")
    assert samples and samples[-1][1] >= 25
