"""Running transcode jobs in the background with APScheduler.

The job table is the truth (transcode_jobs.py); scheduler jobs are derived
from it: at start, after every enqueue (wake()), and by a periodic reconcile
that also requeues the work of dead workers. Nothing about a job lives only
in memory, so a crash or restart loses nothing.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask, current_app

from . import transcode_jobs as jobs
from .context import current_lineup, get_db
from .errors import UserError
from .hls_ladder import MASTER_PLAYLIST, EncodeError, replace_dir
from .probe import probe_source
from .timestamps import format_utc
from .uploads import expire_uploads

log = logging.getLogger(__name__)


def _now() -> datetime:
    return current_app.extensions["keting"]["clock"]()


def staging_dir(media_root: Path, job_id: int) -> Path:
    return media_root / "vod" / ".staging" / f"job-{job_id}"


def run_job(job_id: int) -> str:
    """Run one queued job to its end in this thread (inside an app context); return its final state."""
    db = get_db()
    worker = jobs.this_worker()
    if not jobs.claim(db, job_id, worker, _now()):
        return jobs.get_job(db, job_id).state
    job = jobs.get_job(db, job_id)
    config = current_app.config
    media_root = Path(config["MEDIA_ROOT"])
    staging = staging_dir(media_root, job_id)
    shutil.rmtree(staging, ignore_errors=True)  # what a killed earlier attempt left behind
    staging.mkdir(parents=True)
    item = db.execute("SELECT * FROM items WHERE id = ?", [job.item_id]).fetchone()

    def progress(percent: float, eta_s: float | None) -> bool:
        return jobs.report_progress(db, job_id, worker, percent, eta_s, _now())

    try:
        from .cards import find_cjk_font
        from .transcoder import transcode

        source = probe_source(Path(job.source_path), config["FFPROBE"], config["FFMPEG"])
        font = find_cjk_font(config["CJK_FONT"]) if source.audio_only else None
        board = current_lineup().boards_by_id[item["board_id"]]
        transcode(Path(job.source_path), source, current_lineup(), board, item["title"], item["speaker"],
                  staging, font, config["FFMPEG"], progress)
        final = media_root / "vod" / str(job.item_id)
        replace_dir(staging, final)
        with db.atomic():
            db.execute("""UPDATE items SET hls_path = ?, thumbnail_path = ?, duration_s = ?, updated_at = ?
                          WHERE id = ?""",
                       [f"vod/{job.item_id}/{MASTER_PLAYLIST}", f"vod/{job.item_id}/thumb.jpg",
                        round(source.duration_s, 3), format_utc(_now()), job.item_id])
            jobs.finish(db, job_id, worker, _now())
        if not config["KEEP_ORIGINALS"]:
            Path(job.source_path).unlink(missing_ok=True)
        return "done"
    except Exception as error:
        shutil.rmtree(staging, ignore_errors=True)
        if jobs.get_job(db, job_id).state == "cancelled":
            return "cancelled"
        if isinstance(error, EncodeError):
            # Killed by a signal (returncode < 0): the machine, not the file; worth another try.
            return jobs.fail(db, job_id, worker, error.stderr_tail, _now(), retryable=error.returncode < 0)
        if isinstance(error, UserError):
            return jobs.fail(db, job_id, worker, error.message(config["LANGUAGE"]), _now(), retryable=False)
        log.exception("transcode job %s failed", job_id)
        return jobs.fail(db, job_id, worker, repr(error), _now(), retryable=False)


class JobRunner:
    """The scheduler of one server process: TRANSCODE_WORKERS threads fed from the job table."""

    def __init__(self, app: Flask):
        self.app = app
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(app.config["TRANSCODE_WORKERS"])},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC)

    def start(self) -> None:
        self.scheduler.start()
        self.scheduler.add_job(self.reconcile, "interval", seconds=self.app.config["RECONCILE_INTERVAL"],
                               id="reconcile", next_run_time=datetime.now(UTC))

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)

    def wake(self) -> None:
        """Look at the job table now (called after an enqueue, a retry or a cancel)."""
        self.scheduler.add_job(self.reconcile, id="reconcile-now", replace_existing=True)

    def reconcile(self) -> None:
        """Requeue dead workers' jobs, schedule every queued job, drop expired uploads."""
        with self.app.app_context():
            db = get_db()
            expire_uploads(db, _now(), Path(self.app.config["ORIGINALS_DIR"]))
            for job_id in jobs.requeue_stale(db, _now(), self.app.config["JOB_STALE_AFTER"]):
                shutil.rmtree(staging_dir(Path(self.app.config["MEDIA_ROOT"]), job_id), ignore_errors=True)
                log.warning("requeued transcode job %s: its worker died", job_id)
            for job_id in jobs.queued_ids(db):
                if self.scheduler.get_job(f"transcode-{job_id}") is None:
                    self.scheduler.add_job(self._run, args=[job_id], id=f"transcode-{job_id}")

    def _run(self, job_id: int) -> None:
        with self.app.app_context():
            state = run_job(job_id)
        log.info("transcode job %s: %s", job_id, state)
        if state == "queued":  # a retry after a killed ffmpeg
            self.wake()
