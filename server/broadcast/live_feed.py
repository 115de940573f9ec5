"""How a channel sees a live event's relay: which run, from when it can be shown, its segments.

The relay (live_relay.py) numbers its segments by capture time: segment k
holds what was captured from the event's epoch + k segments. A channel shows
segment k DELAY_SEGMENTS segments later, so every segment a player is told
of is already complete on disk. A run counts as producing from its first
segment on until it ends; the planner shows the slate otherwise.
"""

from __future__ import annotations

import math
from functools import lru_cache

from sqlite_utils import Database

from server.broadcast.playout import LiveFeed
from server.broadcast.segments import Media
from server.core.channels_yaml import Ladder
from server.core.timestamps import stored_ms

DELAY_SEGMENTS = 3


def run_folder(entry_id: int, run: int) -> str:
    """A relay run's folder relative to MEDIA_ROOT."""
    return f"live/events/{entry_id}/run-{run}"


@lru_cache(maxsize=64)
def nominal_media(base: str, count: int, ladder: Ladder) -> Media:
    """A relay run as Media: `count` segments of the ladder's length, named as ffmpeg names them."""
    seg_ms = ladder.segment_seconds * 1000
    renditions = {r.name: (r.name, r.height) for r in ladder.renditions}
    return Media(base, (seg_ms,) * count, tuple(f"seg_{k:05d}.ts" for k in range(count)), renditions)


def feed_for(db: Database, entry, ladder: Ladder) -> LiveFeed:
    """The live feed of a schedule entry row (one with a live_url), as things stand."""
    seg_ms = ladder.segment_seconds * 1000
    delay = DELAY_SEGMENTS * seg_ms
    start, end = stored_ms(entry["start_at"]), stored_ms(entry["end_at"])
    epoch = entry["live_epoch_ms"] if entry["live_epoch_ms"] is not None else start
    run = db.execute("SELECT * FROM live_runs WHERE entry_id = ? ORDER BY run DESC LIMIT 1", [entry["id"]]).fetchone()
    ready = None
    folder = run_folder(entry["id"], run["run"] if run else 0)
    if run is not None and run["ended_at_ms"] is None and run["first_segment_at_ms"] is not None:
        # A slow start (a network input's handshake) makes every segment of the run
        # that much later than its capture time: the run's delay grows to cover it.
        first_due = epoch + seg_ms * (run["start_number"] + 1)
        lag = max(0, run["first_segment_at_ms"] - first_due)
        delay = max(delay, math.ceil((lag + 2 * seg_ms) / seg_ms) * seg_ms)
        ready = first_due + delay
    count = max(1, (end - delay - epoch) // seg_ms + 2)
    return LiveFeed(nominal_media(folder, count, ladder), epoch, delay, ready, end)
