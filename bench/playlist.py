"""What a live channel playlist costs: Keting computing it against nginx serving the written file.

1. Computation: a schedule of ENTRIES one-off entries (10 minutes apart, one
   ready item each) is expanded into channel 1's timeline; then the
   rendition playlist is computed at random moments across it, in process.
   The same is done with a 100-entry schedule as the reference: the ratio
   shows whether the cost grows with the schedule (it should not: one index
   lookup and a bisection).
2. Throughput: `keting serve` (gunicorn, its production setup) serves
   /live/1/720p.m3u8, computing it per request; nginx (Debian's package,
   started here with a config of its own on a loopback port) serves the file
   that `keting serve` writes under media/live/ at every segment boundary.
   The same load generator (wrk: CONNECTIONS keep-alive connections for
   SECONDS) runs against each, ROUNDS times; medians are quoted.

Needs nginx and wrk (`sudo apt-get install nginx-light wrk`).

    .venv/bin/python bench/playlist.py [--entries 100000] [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from local_server import free_port, start_server  # noqa: E402

from server import create_app  # noqa: E402
from server.catalogue.items import create_item  # noqa: E402
from server.core.timestamps import format_utc  # noqa: E402
from server.ingest.cards import find_cjk_font  # noqa: E402
from server.web.context import (  # noqa: E402
    current_lineup,
    get_db,
    station,  # noqa: E402
)
from tests.support.fake_vod import write_vod  # noqa: E402

ITEM_SECONDS = 540  # 9-minute programmes every 10 minutes: a minute of filler or slate between
SLOT = timedelta(minutes=10)
NGINX_CONF = """
worker_processes 2;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/tmp;
    types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
    server {{
        listen 127.0.0.1:{port};
        location /live/ {{ alias {media}/live/; add_header Cache-Control "max-age=1"; }}
        location /media/ {{ alias {media}/; }}
    }}
}}
"""


def build(folder: Path, entries: int, now: datetime) -> tuple[float, int]:
    """A schedule of `entries` entries on channel 1 and its timeline; returns (build seconds, rows)."""
    media = folder / "media"
    app = create_app({"DATABASE": str(folder / "k.db"), "MEDIA_ROOT": str(media), "SLATE_SECONDS": 2,
                      "SLATE_CLOCK_SECONDS": 0,
                      "PLAYOUT_HORIZON_HOURS": int(entries * SLOT.total_seconds() / 3600) + 48},
                     clock=lambda: now)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        station().ensure_art(lineup, find_cjk_font(app.config["CJK_FONT"]))
        items = []
        for index in range(20):
            item = create_item(db, lineup, kind="video", board_id="dangke", title=f"党课第{index + 1}讲",
                               duration_s=ITEM_SECONDS)
            db.execute("UPDATE items SET hls_path = ? WHERE id = ?",
                       [write_vod(media, f"vod/{item}", ITEM_SECONDS), item])
            items.append(item)
        first = now + timedelta(minutes=5)
        rows = ((1, items[n % len(items)], f"党课第{n % 20 + 1}讲", format_utc(first + n * SLOT),
                 format_utc(first + n * SLOT + timedelta(seconds=ITEM_SECONDS)), format_utc(now), format_utc(now))
                for n in range(entries))
        with db.conn:
            db.conn.executemany("""INSERT INTO schedule_entries (channel, item_id, title, start_at, end_at,
                                   created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)""", rows)
        started = time.perf_counter()
        station().keep_built(db, lineup, now)
        seconds = time.perf_counter() - started
        count = db.execute("SELECT count(*) FROM playout WHERE channel = 1").fetchone()[0]
    return seconds, count


def compute_times(folder: Path, entries: int, now: datetime, samples: int) -> list[float]:
    """Seconds per playlist computation at random moments across the schedule (a fresh process's cache)."""
    app = create_app({"DATABASE": str(folder / "k.db"), "MEDIA_ROOT": str(folder / "media")}, clock=lambda: now)
    span = entries * SLOT.total_seconds()
    chance = random.Random(7)
    times = []
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        channel = lineup.channels[0]
        station().channel_window(db, lineup, channel, now)  # warm the segment cache
        for _ in range(samples):
            moment = now + timedelta(seconds=chance.uniform(60, span))
            started = time.perf_counter()
            answer = station().channel_window(db, lineup, channel, moment)
            times.append(time.perf_counter() - started)
            assert answer is not None and "#EXTINF" in answer.media("720p")
    return times


def wrk(url: str, seconds: int, connections: int) -> float:
    """Requests per second that wrk reached against `url`."""
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", url], capture_output=True,
                         text=True, check=True, timeout=seconds + 30).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not found or non_2xx:
        import urllib.request
        try:
            urllib.request.urlopen(url, timeout=5)
        except Exception as error:  # noqa: BLE001 - any failure is reported as it is
            out += f"\nGET {url}: {error!r} {getattr(error, 'read', lambda: b'')()[:300]!r}"
        raise SystemExit(f"wrk failed against {url}:\n{out}")
    return float(found.group(1))


def start_nginx(root: Path, media: Path) -> tuple[subprocess.Popen, int]:
    """Start nginx with a config of its own serving `media` on a free loopback port; return it and the port."""
    port = free_port()
    (root / "tmp").mkdir(exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=port, media=media))
    process = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(root), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port


def wait_for_file(path: Path, deadline_s: float) -> None:
    """Wait until `path` exists, failing the benchmark after `deadline_s` seconds."""
    end = time.monotonic() + deadline_s
    while not path.is_file():
        if time.monotonic() > end:
            raise SystemExit(f"{path} was not written within {deadline_s} s")
        time.sleep(0.1)


def main() -> None:
    """Measure the live playlist's computation cost and throughput against nginx, and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is missing: sudo apt-get install nginx-light wrk")
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="keting-bench-playlist-") as name:
        root = Path(name)
        root.chmod(0o755)  # nginx's workers run as another user when started as root
        small, large = root / "small", root / "large"
        small.mkdir(), large.mkdir()
        build(small, 100, now)
        build_s, rows = build(large, args.entries, now)
        print(f"timeline of {args.entries} entries: {rows} rows built in {build_s:.1f} s")
        compute = {}
        for label, folder, entries in (("100", small, 100), (str(args.entries), large, args.entries)):
            times = compute_times(folder, entries, now, args.samples)
            compute[label] = statistics.median(times) * 1e6
            print(f"compute with {entries:>6} entries: median {compute[label]:.0f} us "
                  f"(p95 {sorted(times)[int(len(times) * 0.95)] * 1e6:.0f} us)")

        server, port = start_server({"DATABASE": str(large / "k.db"), "MEDIA_ROOT": str(large / "media"),
                                     "SLATE_SECONDS": 2, "PLAYOUT_HORIZON_HOURS": 48})
        nginx, nginx_port = start_nginx(root, large / "media")
        try:
            wait_for_file(large / "media" / "live" / "1" / "720p.m3u8", 60)
            rps = {"keting": [], "nginx": []}
            for _ in range(args.rounds):
                rps["keting"].append(wrk(f"http://127.0.0.1:{port}/live/1/720p.m3u8", args.seconds,
                                         args.connections))
                rps["nginx"].append(wrk(f"http://127.0.0.1:{nginx_port}/live/1/720p.m3u8", args.seconds,
                                        args.connections))
        finally:
            server.terminate()
            nginx.terminate()
            server.wait(timeout=30)
            nginx.wait(timeout=30)
    keting, reference = statistics.median(rps["keting"]), statistics.median(rps["nginx"])
    print(f"keting serve (gunicorn): {keting:.0f} req/s  rounds {[round(r) for r in rps['keting']]}")
    print(f"nginx, written file:     {reference:.0f} req/s  rounds {[round(r) for r in rps['nginx']]}")
    print(f"RESULT entries={args.entries} keting_rps={keting:.0f} nginx_rps={reference:.0f} "
          f"keting_vs_nginx={keting / reference:.3f} compute_us_100={compute['100']:.0f} "
          f"compute_us_{args.entries}={compute[str(args.entries)]:.0f} "
          f"compute_ratio={compute[str(args.entries)] / compute['100']:.2f} build_s={build_s:.1f}")


if __name__ == "__main__":
    main()
