"""Keeping the channels on the air inside `keting serve`, with APScheduler.

Three jobs, all derived from the database (nothing lives only in memory):
- reconcile (every RECONCILE_INTERVAL s): draw missing slates and logos,
  expand recurring rules, rebuild timelines whose inputs changed;
- playlists: write every channel's playlists under media/live/ and schedule
  itself again at the next segment boundary, so a static server (nginx)
  always has the current window;
- live (every second): live events' relays started, watched, retried and
  stopped (live_relay.py); a change re-plans the timeline at once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from server.broadcast import schedule
from server.broadcast.live_relay import LiveRelays
from server.broadcast.station import Station
from server.core.errors import UserError
from server.core.site import Site
from server.ingest.cards import find_cjk_font

log = logging.getLogger(__name__)
# Write a little after the boundary, so the new segment has surely started.
WRITE_DELAY = timedelta(milliseconds=20)
RETRY_WHEN_EMPTY = timedelta(seconds=1)
LIVE_TICK_SECONDS = 1


class BroadcastRunner:
    """The channel jobs of one server process."""

    def __init__(self, site: Site, station: Station, wake_jobs: Callable[[], None] = lambda: None):
        self.site, self.station, self.wake_jobs = site, station, wake_jobs
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(3)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}, timezone=UTC)
        self.relays = LiveRelays(Path(site.config["MEDIA_ROOT"]), Path(site.config["ORIGINALS_DIR"]))

    def start(self) -> None:
        """Start the scheduler with the reconcile job (run at once) and the every-second live job."""
        self.scheduler.start()
        self.scheduler.add_job(self.reconcile, "interval", seconds=self.site.config["RECONCILE_INTERVAL"],
                               id="broadcast-reconcile", next_run_time=datetime.now(UTC))
        self.scheduler.add_job(self.watch_live, "interval", seconds=LIVE_TICK_SECONDS, id="broadcast-live")

    def stop(self) -> None:
        """Shut the scheduler down without waiting, and stop the live relays."""
        self.scheduler.shutdown(wait=False)
        self.relays.stop_all()

    def watch_live(self) -> None:
        """Start, watch, retry and end live relays; on any change, re-plan and rewrite at once."""
        site = self.site
        with contextlib.closing(site.connect()) as db:
            if self.relays.tick(db, site.lineup, site.now(), site.config):
                self.station.keep_built(db, site.lineup, site.now())
                self.wake_jobs()  # a recording may have been queued for transcoding
                self.scheduler.add_job(self.write_playlists, id="broadcast-playlists", replace_existing=True)

    def reconcile(self) -> None:
        """Slates, recurring rules and timelines brought up to date; then the playlists written."""
        site, config = self.site, self.site.config
        font = None
        try:
            font = find_cjk_font(config["CJK_FONT"])
            self.station.ensure_art(site.lineup, font)
        except UserError as error:
            log.error("channel slates cannot be drawn: %s", error.message(config["LANGUAGE"]))
        with contextlib.closing(site.connect()) as db:
            schedule.extend_rules(db, site.now(), config["RULE_HORIZON_DAYS"])
            rebuilt = self.station.keep_built(db, site.lineup, site.now())
            if font is not None:
                rebuilt += self.station.draw_gap_slates(db, site.lineup, font, site.now())
            if rebuilt:
                log.info("channel timelines rebuilt: %s", rebuilt)
        if self.scheduler.get_job("broadcast-playlists") is None:
            self.scheduler.add_job(self.write_playlists, id="broadcast-playlists")

    def write_playlists(self) -> None:
        """Write the playlists now and come back at the next segment boundary."""
        with contextlib.closing(self.site.connect()) as db:
            next_ms = self.station.write_playlists(db, self.site.lineup, self.site.now())
        now = datetime.now(UTC)
        run_at = now + RETRY_WHEN_EMPTY
        if next_ms is not None:
            wall_offset = datetime.now(UTC) - self.site.now()  # zero unless a test's clock is shifted
            run_at = max(now, datetime.fromtimestamp(next_ms / 1000, UTC) + wall_offset) + WRITE_DELAY
        self.scheduler.add_job(self.write_playlists, "date", run_date=run_at, id="broadcast-playlists",
                               replace_existing=True)
