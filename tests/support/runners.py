"""The server's background runners for an app under test, built as `keting serve` builds them."""

from __future__ import annotations

from server.broadcast.runner import BroadcastRunner
from server.ingest.job_runner import JobRunner
from server.records import checkin_watch
from server.web.context import site, station


def job_runner(app) -> JobRunner:
    """The transcode runner of `app` (not started)."""
    with app.app_context():
        return JobRunner(site())


def broadcast_runner(app, jobs: JobRunner | None = None) -> BroadcastRunner:
    """The channel runner of `app` (not started), waking `jobs` when a recording is queued, keeping what was
    watched of ended check-in programmes after each reconcile."""
    with app.app_context():
        return BroadcastRunner(site(), station(), jobs.wake if jobs else lambda: None, checkin_watch.settle)
