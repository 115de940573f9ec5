"""How smoothly a channel plays across programme boundaries: the longest picture stall in libVLC.

A channel stitches items' own segments with EXT-X-DISCONTINUITY between
programmes. Real libVLC (dummy output) plays channel 1 on loopback across the
slate and two programmes; the figure is the longest time with no new picture
once playback had started. Reference in the same run: the same libVLC playing
programme A alone as video on demand (no boundary), whose longest stall is the
player's own floor. Medians of ROUNDS; the tests assert pictures keep coming
(counts), this script gives the time.

    .venv/bin/python bench/boundary.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import logging
import math
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server import create_app  # noqa: E402
from server.broadcast import schedule  # noqa: E402
from server.broadcast.channel_art import ensure_channel_art  # noqa: E402
from server.catalogue.items import create_item  # noqa: E402
from server.core.channels_yaml import load_lineup  # noqa: E402
from server.core.media_signing import MediaSigner, expiry  # noqa: E402
from server.ingest.cards import find_cjk_font  # noqa: E402
from server.web.context import current_lineup, get_db, station  # noqa: E402
from tests.support.channel_media import encode_programme, install  # noqa: E402
from tests.support.http_server import serve_in_thread  # noqa: E402
from tests.support.media_probe import longest_stall, watch_pictures  # noqa: E402

PROGRAMME_S = 8
SLATE_S = 10


def one_round(root: Path, encoded: tuple[Path, Path], art: Path) -> tuple[float, float]:
    """(longest stall across the channel's boundaries, longest stall playing programme A alone), in seconds."""
    media = root / "media"
    shutil.copytree(art / "channels", media / "channels")
    app = create_app({"DATABASE": str(root / "k.db"), "MEDIA_ROOT": str(media), "SLATE_SECONDS": SLATE_S,
                      "SLATE_CLOCK_SECONDS": 0}, clock=lambda: datetime.now(UTC))
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        paths, items = [], []
        for title, folder in zip(("节目甲", "节目乙"), encoded, strict=True):
            items.append(create_item(db, lineup, kind="video", board_id="dangjian", title=title,
                                     duration_s=PROGRAMME_S))
            paths.append(install(folder, media, f"vod/{items[-1]}"))
            db.execute("UPDATE items SET hls_path = ? WHERE id = ?", [paths[-1], items[-1]])
        now = datetime.now(UTC)
        start = datetime.fromtimestamp(math.ceil(now.timestamp()) + 5, UTC)
        for offset, item in enumerate(items):
            schedule.add_entry(db, lineup, channel=1, item_id=item, important=False, now=now, zone="Asia/Shanghai",
                               start=start + timedelta(seconds=offset * PROGRAMME_S))
        station().keep_built(db, lineup, now - timedelta(seconds=30))
    ends = start.timestamp() + 2 * PROGRAMME_S + 8  # the player runs a few segments behind the live edge
    vod = MediaSigner(app.config["MEDIA_SIGNING_KEY"]).path(paths[0], expiry(time.time(), 3600))
    with serve_in_thread(app) as url:
        channel = watch_pictures(f"{url}/live/1/master.m3u8", lambda _s: time.time() > ends, deadline_s=60)
        alone = watch_pictures(f"{url}/media/{vod}", lambda s: len(s) > 20 and s[-1][1] == s[-20][1] > 0,
                               deadline_s=30)  # until two seconds pass with no new picture: the end
    return longest_stall(_played(channel), after_pictures=25), longest_stall(_played(alone), after_pictures=25)


def _played(samples: list[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
    """The samples up to the last new picture: the end of a programme is not a stall."""
    last = max((i for i in range(1, len(samples)) if samples[i][1] > samples[i - 1][1]), default=0)
    return samples[:last + 1]


def main() -> None:
    """Measure and print the longest stalls, their medians, and one RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per segment request otherwise
    logging.getLogger("server.broadcast.station").setLevel(logging.ERROR)  # channel 2 has no slate here
    with tempfile.TemporaryDirectory(prefix="keting-bench-boundary-") as scratch:
        root = Path(scratch)
        lineup = load_lineup(REPO / "channels.yaml")
        ensure_channel_art(root / "art", lineup, lineup.channels[0], find_cjk_font(), SLATE_S)
        encoded = (encode_programme(root / "a", lineup, PROGRAMME_S, "testsrc2", 440),
                   encode_programme(root / "b", lineup, PROGRAMME_S, "smptebars", 660))
        channel, alone = [], []
        for number in range(args.rounds):
            stall, floor = one_round(root / f"round-{number}", encoded, root / "art")
            channel.append(stall)
            alone.append(floor)
            print(f"round {number + 1}: channel across boundaries {stall:.2f} s, programme alone {floor:.2f} s",
                  flush=True)
    stall, floor = statistics.median(channel), statistics.median(alone)
    print(f"longest stall (median of {args.rounds}): channel {stall:.2f} s, video on demand {floor:.2f} s")
    print(f"RESULT rounds={args.rounds} channel_stall_s={stall:.2f} vod_stall_s={floor:.2f} "
          f"stall_vs_vod={stall / max(floor, 0.01):.2f}")


if __name__ == "__main__":
    main()
