"""How fast a second `keting serve` takes the channels over when the writer's process is killed (kill -9).

Two processes share one site (database and media). The holder of the
"broadcast" lease writes the channel playlists at every segment boundary.
Each round kills the holder just after a boundary and measures, while
sampling channel 1's playlist every 20 ms:
- takeover_s: from the kill until another process holds the lease;
- pause_s: the longest time the playlist did not move after the kill;
against the reference measured in the same round: the usual time between two
moves of the playlist before the kill (the segment length, as written).
Medians over the rounds; ends with one RESULT line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from local_server import start_server  # noqa: E402

from tests.support.media_probe import newest_segment  # noqa: E402

SAMPLE_S = 0.02


def holder(database: Path) -> str | None:
    """The process (host:pid) holding the channel lease now, if any."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        row = db.execute("SELECT holder, expires_at FROM leases WHERE name = 'broadcast'").fetchone()
    return row[0] if row and row[1] > time.time() else None


def moves(playlist: Path, seconds: float) -> list[float]:
    """The times at which the playlist moved on, sampled for `seconds`."""
    seen, times, end = newest_segment(playlist), [], time.monotonic() + seconds
    while time.monotonic() < end:
        now = newest_segment(playlist)
        if now != seen:
            seen = now
            times.append(time.monotonic())
        time.sleep(SAMPLE_S)
    return times


def one_round(root: Path) -> tuple[float, float, float]:
    """(takeover_s, pause_s, usual interval s) of one kill."""
    settings = {"DATABASE": str(root / "k.db"), "MEDIA_ROOT": str(root / "media"), "INSTANCE": str(root / "instance"),
                "ORIGINALS_DIR": str(root / "originals"), "SLATE_SECONDS": "2", "FRONT_SERVER": "none",
                "RECONCILE_INTERVAL": "3600"}
    playlist = root / "media" / "live" / "1" / "720p.m3u8"
    servers = [start_server(settings)[0], start_server(settings)[0]]
    try:
        end = time.monotonic() + 120
        while newest_segment(playlist) is None or holder(root / "k.db") is None:
            if time.monotonic() > end:
                raise SystemExit("the channels did not start within 120 s")
            time.sleep(0.1)
        before = moves(playlist, 8.5)
        usual = statistics.median(b - a for a, b in zip(before, before[1:], strict=False))
        first = holder(root / "k.db")
        at = newest_segment(playlist)
        while newest_segment(playlist) == at:  # the next boundary: the kill comes just after a write
            time.sleep(SAMPLE_S)
        os.kill(int(first.rpartition(":")[2]), signal.SIGKILL)
        killed = time.monotonic()
        takeover = None
        seen, last_move, pause = newest_segment(playlist), killed, 0.0
        while time.monotonic() - killed < 15:
            if takeover is None and (h := holder(root / "k.db")) and h != first:
                takeover = time.monotonic() - killed
            now = newest_segment(playlist)
            if now != seen:
                seen, pause, last_move = now, max(pause, time.monotonic() - last_move), time.monotonic()
            time.sleep(SAMPLE_S)
        return takeover if takeover is not None else float("inf"), pause, usual
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    """Measure the rounds and print their medians and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = []
    for number in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="keting-takeover-") as folder:
            takeover, pause, usual = one_round(Path(folder))
        print(f"round {number + 1}: takeover {takeover:.2f} s, longest pause {pause:.2f} s, usual {usual:.2f} s")
        results.append((takeover, pause, usual))
    takeover, pause, usual = (statistics.median(r[i] for r in results) for i in range(3))
    print(f"RESULT rounds={args.rounds} takeover_s={takeover:.2f} pause_s={pause:.2f} usual_s={usual:.2f} "
          f"pause_vs_usual={pause / usual:.2f}")


if __name__ == "__main__":
    main()
