"""Running transcode jobs in the background with APScheduler.

The job table is the truth (transcode_jobs.py); scheduler jobs are derived
from it: at start, after every enqueue (wake()), and by a periodic reconcile
that also requeues the work of dead workers and makes the articles' wanted
readings (readings.py, on a thread of their own). Nothing about a job lives only
in memory, so a crash or restart loses nothing.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlite_utils import Database

from keting_i18n import text
from server.core.db import write_transaction
from server.core.errors import UserError
from server.core.site import Site
from server.core.timestamps import format_utc
from server.ingest import transcode_jobs as jobs
from server.ingest.ffmpeg_errors import message_id, reason_for
from server.ingest.hls_ladder import MASTER_PLAYLIST, EncodeError, ladder_folder, replace_dir
from server.ingest.probe import probe_source
from server.ingest.readings import keep_recorded, make_readings, recorded_folder
from server.ingest.subtitles import ensure_sizes
from server.ingest.uploads import expire_uploads

log = logging.getLogger(__name__)


def staging_dir(media_root: Path, job_id: int) -> Path:
    """Where a job's ffmpeg writes before the result is moved into place whole."""
    return media_root / "vod" / ".staging" / f"job-{job_id}"


NOT_CLAIMED = "not-claimed"
# Dead workers' jobs are looked for this often (on this host a dead process is seen at once).
REQUEUE_SECONDS = 5


def run_job(db: Database, site: Site, job_id: int, host_limit: int | None = None) -> str:
    """Run one queued job to its end in this thread; return its final state, or NOT_CLAIMED when
    another worker has it or this host already runs `host_limit` jobs."""
    worker = jobs.this_worker()
    clock, config, lineup = site.now, site.config, site.lineup
    if not jobs.claim(db, job_id, worker, clock(), host_limit):
        return NOT_CLAIMED
    job = jobs.get_job(db, job_id)
    media_root = Path(config["MEDIA_ROOT"])
    staging = staging_dir(media_root, job_id)
    shutil.rmtree(staging, ignore_errors=True)  # what a killed earlier attempt left behind
    staging.mkdir(parents=True)
    item = db.execute("SELECT * FROM items WHERE id = ?", [job.item_id]).fetchone()

    def progress(percent: float, eta_s: float | None) -> bool:
        return jobs.report_progress(db, job_id, worker, percent, eta_s, clock())

    try:
        from server.ingest.cards import find_cjk_font
        from server.ingest.transcoder import transcode

        source = probe_source(Path(job.source_path), config["FFPROBE"], config["FFMPEG"])
        font = find_cjk_font(config["CJK_FONT"]) if source.audio_only else None
        board = lineup.boards_by_id[item["board_id"]]
        transcode(Path(job.source_path), source, lineup, board, item["title"], item["speaker"],
                  staging, font, config["FFMPEG"], progress)
        if job.reading:  # an article's recorded reading: its own folder, the article's row untouched
            folder = recorded_folder(job.item_id)
            replace_dir(staging, media_root / folder)
            kept, replaced = False, None
            with write_transaction(db):  # only a job still running here (not cancelled) is kept
                if jobs.finish(db, job_id, worker, clock()):
                    kept, replaced = keep_recorded(db, job.item_id, job_id, f"{folder}/{MASTER_PLAYLIST}",
                                                   source.duration_s, clock())
            for stale in ([folder] if not kept else []) + ([replaced.rsplit("/", 1)[0]] if replaced else []):
                shutil.rmtree(media_root / stale, ignore_errors=True)
        else:
            folder = ladder_folder(job.item_id, item["hls_path"])
            replace_dir(staging, media_root / folder)
            with write_transaction(db):
                db.execute("""UPDATE items SET hls_path = ?, thumbnail_path = ?, duration_s = ?, updated_at = ?
                              WHERE id = ?""",
                           [f"{folder}/{MASTER_PLAYLIST}", f"{folder}/thumb.jpg",
                            round(source.duration_s, 3), format_utc(clock()), job.item_id])
                jobs.finish(db, job_id, worker, clock())
        if not config["KEEP_ORIGINALS"]:
            Path(job.source_path).unlink(missing_ok=True)
        return "done"
    except Exception as error:
        shutil.rmtree(staging, ignore_errors=True)
        if jobs.get_job(db, job_id).state == "cancelled":
            return "cancelled"
        if isinstance(error, EncodeError):
            # ffmpeg's words stay in the log (they may quote the file); the job keeps a known reason.
            log.warning("transcode job %s: ffmpeg exited with %s: %s", job_id, error.returncode, error.stderr_tail)
            reason = text(message_id(reason_for(error.stderr_tail, error.returncode)), lang=config["LANGUAGE"])
            # Killed by a signal (returncode < 0): the machine, not the file; worth another try.
            return jobs.fail(db, job_id, worker, reason, clock(), retryable=error.returncode < 0)
        if isinstance(error, UserError):
            return jobs.fail(db, job_id, worker, error.message(config["LANGUAGE"]), clock(), retryable=False)
        log.exception("transcode job %s failed", job_id)
        return jobs.fail(db, job_id, worker, text("ffmpeg.unknown", lang=config["LANGUAGE"]), clock(),
                         retryable=False)


class JobRunner:
    """The scheduler of one server process: TRANSCODE_WORKERS threads fed from the job table."""

    def __init__(self, site: Site):
        self.site = site
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(site.config["TRANSCODE_WORKERS"]),
                       "readings": ThreadPoolExecutor(1)},  # articles read aloud: never behind a transcode
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC)

    def start(self) -> None:
        """Start the scheduler with the reconcile job every RECONCILE_INTERVAL seconds, the first at once, and
        the subtitle tracks' sized files written where they are missing (tracks saved before there were sizes)."""
        self.scheduler.start()
        self.scheduler.add_job(self._size_subtitles, id="subtitle-sizes", executor="readings")
        self.scheduler.add_job(self.reconcile, "interval", seconds=self.site.config["RECONCILE_INTERVAL"],
                               id="reconcile", next_run_time=datetime.now(UTC))
        self.scheduler.add_job(self.requeue_and_schedule, "interval", seconds=REQUEUE_SECONDS, id="requeue")

    def stop(self) -> None:
        """Shut the scheduler down without waiting for running jobs."""
        self.scheduler.shutdown(wait=False)

    def wake(self) -> None:
        """Look at the job table now (called after an enqueue, a retry or a cancel)."""
        self.scheduler.add_job(self.reconcile, id="reconcile-now", replace_existing=True)

    def reconcile(self) -> None:
        """Drop expired uploads, requeue dead workers' jobs, schedule every queued job and the readings."""
        with contextlib.closing(self.site.connect()) as db:
            expire_uploads(db, self.site.now(), Path(self.site.config["ORIGINALS_DIR"]))
        self.requeue_and_schedule()
        if self.site.config["READ_ALOUD"] and self.scheduler.get_job("readings") is None:
            self.scheduler.add_job(self._read_articles, id="readings", executor="readings")

    def _size_subtitles(self) -> None:
        media_root = Path(self.site.config["MEDIA_ROOT"])
        with contextlib.closing(self.site.connect()) as db:
            paths = [row[0] for row in db.execute("SELECT path FROM item_subtitles")]
        written = sum(ensure_sizes(media_root, path) for path in paths)
        if written:
            log.info("subtitle tracks given their sizes: %s", written)

    def _read_articles(self) -> None:
        with contextlib.closing(self.site.connect()) as db:
            made = make_readings(db, self.site)
        if made:
            log.info("articles read aloud: %s", made)

    def requeue_and_schedule(self) -> None:
        """Requeue the jobs of dead workers (of any process of the site) and schedule every queued job here;
        the claim decides which process runs each."""
        config = self.site.config
        with contextlib.closing(self.site.connect()) as db:
            for job_id in jobs.requeue_stale(db, self.site.now(), config["JOB_STALE_AFTER"]):
                shutil.rmtree(staging_dir(Path(config["MEDIA_ROOT"]), job_id), ignore_errors=True)
                log.warning("requeued transcode job %s: its worker died", job_id)
            for job_id in jobs.queued_ids(db):
                if self.scheduler.get_job(f"transcode-{job_id}") is None:
                    self.scheduler.add_job(self._run, args=[job_id], id=f"transcode-{job_id}")

    def _run(self, job_id: int) -> None:
        with contextlib.closing(self.site.connect()) as db:
            state = run_job(db, self.site, job_id, self.site.config["TRANSCODE_WORKERS"])
        if state == NOT_CLAIMED:  # another process has it, or this host is busy: the next sweep tries again
            return
        log.info("transcode job %s: %s", job_id, state)
        if state == "queued":  # a retry after a killed ffmpeg
            self.wake()
