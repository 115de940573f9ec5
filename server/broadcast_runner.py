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

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from . import broadcast, schedule
from .cards import find_cjk_font
from .context import current_lineup, get_db
from .errors import UserError
from .live_relay import LiveRelays

log = logging.getLogger(__name__)
# Write a little after the boundary, so the new segment has surely started.
WRITE_DELAY = timedelta(milliseconds=20)
RETRY_WHEN_EMPTY = timedelta(seconds=1)
LIVE_TICK_SECONDS = 1


class BroadcastRunner:
    """The channel jobs of one server process."""

    def __init__(self, app: Flask):
        self.app = app
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(3)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}, timezone=UTC)
        self.relays = LiveRelays(Path(app.config["MEDIA_ROOT"]), Path(app.config["ORIGINALS_DIR"]))

    def _now(self) -> datetime:
        return self.app.extensions["keting"]["clock"]()

    def start(self) -> None:
        self.scheduler.start()
        self.scheduler.add_job(self.reconcile, "interval", seconds=self.app.config["RECONCILE_INTERVAL"],
                               id="broadcast-reconcile", next_run_time=datetime.now(UTC))
        self.scheduler.add_job(self.watch_live, "interval", seconds=LIVE_TICK_SECONDS, id="broadcast-live")

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        self.relays.stop_all()

    def watch_live(self) -> None:
        """Start, watch, retry and end live relays; on any change, re-plan and rewrite at once."""
        with self.app.app_context():
            db, lineup = get_db(), current_lineup()
            if self.relays.tick(db, lineup, self._now(), self.app.config):
                broadcast.keep_built(db, lineup, self._now())
                runner = self.app.extensions["keting"].get("job_runner")
                if runner is not None:  # a recording may have been queued for transcoding
                    runner.wake()
                self.scheduler.add_job(self.write_playlists, id="broadcast-playlists", replace_existing=True)

    def reconcile(self) -> None:
        """Slates, recurring rules and timelines brought up to date; then the playlists written."""
        with self.app.app_context():
            config = self.app.config
            font = None
            try:
                font = find_cjk_font(config["CJK_FONT"])
                broadcast.ensure_art(current_lineup(), font)
            except UserError as error:
                log.error("channel slates cannot be drawn: %s", error.message(config["LANGUAGE"]))
            db = get_db()
            schedule.extend_rules(db, self._now(), config["RULE_HORIZON_DAYS"])
            rebuilt = broadcast.keep_built(db, current_lineup(), self._now())
            if font is not None:
                rebuilt += broadcast.draw_gap_slates(db, current_lineup(), font, self._now())
            if rebuilt:
                log.info("channel timelines rebuilt: %s", rebuilt)
        if self.scheduler.get_job("broadcast-playlists") is None:
            self.scheduler.add_job(self.write_playlists, id="broadcast-playlists")

    def write_playlists(self) -> None:
        """Write the playlists now and come back at the next segment boundary."""
        with self.app.app_context():
            next_ms = broadcast.write_playlists(get_db(), current_lineup(), self._now())
        now = datetime.now(UTC)
        run_at = now + RETRY_WHEN_EMPTY
        if next_ms is not None:
            wall_offset = datetime.now(UTC) - self._now()  # zero unless a test's clock is shifted
            run_at = max(now, datetime.fromtimestamp(next_ms / 1000, UTC) + wall_offset) + WRITE_DELAY
        self.scheduler.add_job(self.write_playlists, "date", run_date=run_at, id="broadcast-playlists",
                               replace_existing=True)
