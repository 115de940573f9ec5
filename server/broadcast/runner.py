"""Keeping the channels on the air inside `keting serve`, with APScheduler.

Three jobs, all derived from the database (nothing lives only in memory):
- reconcile (every RECONCILE_INTERVAL s): draw missing slates and logos,
  expand recurring rules, rebuild timelines whose inputs changed, then the
  upkeep the server wires in (what was watched of ended check-in programmes);
- playlists: write every channel's playlists under media/live/ and schedule
  itself again at the next segment boundary, so a static server (nginx)
  always has the current window;
- live (every second): live events' relays started, watched, retried and
  stopped (live_relay.py); a change re-plans the timeline at once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlite_utils import Database

from server.broadcast import schedule
from server.broadcast.guide_files import BASE_PLACEHOLDER, write_guide
from server.broadcast.live_relay import LiveRelays
from server.broadcast.station import Station
from server.core.errors import UserError
from server.core.leases import RENEW_SECONDS, LeaseKeeper
from server.core.site import Site
from server.ingest.cards import find_cjk_font

log = logging.getLogger(__name__)
# Write a little after the boundary, so the new segment has surely started.
WRITE_DELAY = timedelta(milliseconds=20)
RETRY_WHEN_EMPTY = timedelta(seconds=1)
LIVE_TICK_SECONDS = 1
LEASE_NAME = "broadcast"
# The guide's window starts 6 hours back: rewrite it at least this often even without rebuilds.
GUIDE_EVERY_S = 3600


class BroadcastRunner:
    """The channel jobs of one server process."""

    def __init__(self, site: Site, station: Station, wake_jobs: Callable[[], None] = lambda: None,
                 upkeep: Callable[[Database, datetime], object] = lambda db, now: None):
        """`upkeep(db, now)` runs after each reconcile while this process holds the lease: other parts' work that
        follows the schedule (the records keep what was watched of ended check-in programmes)."""
        self.site, self.station, self.wake_jobs, self.upkeep = site, station, wake_jobs, upkeep
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(3)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}, timezone=UTC)
        self.relays = LiveRelays(Path(site.config["MEDIA_ROOT"]), Path(site.config["ORIGINALS_DIR"]))
        self.lease = LeaseKeeper(site.connect, LEASE_NAME)
        self._guide_written_at: float | None = None
        self._stopping = threading.Event()
        self._lease_thread = threading.Thread(target=self._keep_lease, name="broadcast-lease", daemon=True)

    def start(self) -> None:
        """Start the scheduler with the reconcile job (run at once) and the every-second live job,
        and the thread that takes and renews the lease; the jobs do nothing without it."""
        self.scheduler.start()
        self.scheduler.add_job(self.reconcile, "interval", seconds=self.site.config["RECONCILE_INTERVAL"],
                               id="broadcast-reconcile", next_run_time=datetime.now(UTC))
        self.scheduler.add_job(self.watch_live, "interval", seconds=LIVE_TICK_SECONDS, id="broadcast-live")
        self._lease_thread.start()

    def stop(self) -> None:
        """Shut the scheduler down without waiting, stop the live relays and give the lease up."""
        self._stopping.set()
        self.scheduler.shutdown(wait=False)
        self.relays.stop_all()
        with contextlib.suppress(Exception):  # the database may be gone already; the lease then expires
            self.lease.release()

    def _keep_lease(self) -> None:
        """Renew the lease every RENEW_SECONDS; on gaining it start writing, on losing it stop at once."""
        while not self._stopping.is_set():
            gained, lost = self.lease.tick()
            if gained:
                log.info("this process now runs the channels (lease %s)", LEASE_NAME)
                # The playlists first (a viewer's player is waiting for them), then the slower upkeep.
                self._guide_written_at = None
                self.scheduler.add_job(self.write_playlists, id="broadcast-playlists", replace_existing=True)
                self.scheduler.add_job(self.reconcile, id="broadcast-reconcile-now", replace_existing=True)
            if lost:
                log.warning("this process no longer runs the channels: another holds the lease")
                self.relays.stop_all()
            self._stopping.wait(RENEW_SECONDS)

    def watch_live(self) -> None:
        """Start, watch, retry and end live relays; on any change, re-plan and rewrite at once."""
        if not self.lease.held:
            return
        site = self.site
        with contextlib.closing(site.connect()) as db:
            if self.relays.tick(db, site.lineup, site.now(), site.config):
                self.station.keep_built(db, site.lineup, site.now())
                self.wake_jobs()  # a recording may have been queued for transcoding
                self.scheduler.add_job(self.write_playlists, id="broadcast-playlists", replace_existing=True)

    def reconcile(self) -> None:
        """Slates, recurring rules and timelines brought up to date; then the playlists written."""
        if not self.lease.held:
            return
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
            if rebuilt or self._guide_written_at is None or time.monotonic() - self._guide_written_at > GUIDE_EVERY_S:
                self._write_guide(db)
            try:
                self.upkeep(db, site.now())
            except Exception:  # the channels go on; the next reconcile tries again
                log.exception("upkeep after reconcile failed")
        if self.scheduler.get_job("broadcast-playlists") is None:
            self.scheduler.add_job(self.write_playlists, id="broadcast-playlists")

    def _write_guide(self, db) -> None:
        """Write the XMLTV guide files (guide_files.py), final when PUBLIC_URL says where the site is."""
        config = self.site.config
        base = urljoin(config["PUBLIC_URL"], config["MEDIA_URL"]) if config["PUBLIC_URL"] else BASE_PLACEHOLDER
        count = write_guide(db, self.site.lineup, Path(config["MEDIA_ROOT"]), self.site.now(), config["TIMEZONE"],
                            config["LANGUAGE"], base.rstrip("/") + "/")
        self._guide_written_at = time.monotonic()
        log.info("guide written: %s programmes", count)

    def write_playlists(self) -> None:
        """Write the playlists now and come back at the next segment boundary (while holding the lease)."""
        if not self.lease.held:
            return  # the job ends here; the next holder's reconcile starts it again
        with contextlib.closing(self.site.connect()) as db:
            next_ms = self.station.write_playlists(db, self.site.lineup, self.site.now())
        now = datetime.now(UTC)
        run_at = now + RETRY_WHEN_EMPTY
        if next_ms is not None:
            wall_offset = datetime.now(UTC) - self.site.now()  # zero unless a test's clock is shifted
            run_at = max(now, datetime.fromtimestamp(next_ms / 1000, UTC) + wall_offset) + WRITE_DELAY
        self.scheduler.add_job(self.write_playlists, "date", run_date=run_at, id="broadcast-playlists",
                               replace_existing=True)
