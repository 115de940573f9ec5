"""The transcode queue as rows: queued -> running -> done | failed | cancelled.

Every transition is one conditional UPDATE, so two workers (threads or
processes) can never both run a job, and a cancelled job's worker learns it
at its next progress report.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlite_utils import Database

from server.core.errors import NotFound, UserError
from server.core.leases import alive_here
from server.core.timestamps import format_utc, parse_time

# A job whose ffmpeg was killed is retried this many times in all before it fails.
MAX_ATTEMPTS = 3


def this_worker() -> str:
    """How this process names itself in transcode_jobs.worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobState(StrEnum):
    """A transcode job's state (transcode_jobs.state)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Job:
    """One row of the job table."""

    id: int
    item_id: int
    source_path: str
    state: str
    progress: float
    eta_s: float | None
    error_tail: str | None
    attempts: int
    worker: str | None
    reading: bool = False  # the ladder is the article's recorded reading, not the item's own


def _job(row) -> Job:
    return Job(row["id"], row["item_id"], row["source_path"], row["state"], row["progress"], row["eta_s"],
               row["error_tail"], row["attempts"], row["worker"], bool(row["reading"]))


def get_job(db: Database, job_id: int) -> Job:
    """The job with this id; 404 if there is none."""
    row = db.execute("SELECT * FROM transcode_jobs WHERE id = ?", [job_id]).fetchone()
    if row is None:
        raise NotFound("job.not_found", id=job_id)
    return _job(row)


def enqueue(db: Database, item_id: int, source_path: str, now: datetime, reading: bool = False) -> int:
    """Queue a transcode of `source_path` for an item (or, `reading`, an article's recorded reading); return the
    new job's id."""
    cursor = db.execute(
        "INSERT INTO transcode_jobs (item_id, source_path, state, created_at, reading) VALUES (?, ?, 'queued', ?, ?)",
        [item_id, source_path, format_utc(now), int(reading)])
    return cursor.lastrowid


def queued_ids(db: Database) -> list[int]:
    """Ids of the queued jobs, oldest first."""
    return [row[0] for row in db.execute("SELECT id FROM transcode_jobs WHERE state = 'queued' ORDER BY id")]


def claim(db: Database, job_id: int, worker: str, now: datetime, host_limit: int | None = None) -> bool:
    """Take a queued job for `worker`; False when someone else has it, it is no longer queued, or this
    host already runs `host_limit` jobs (all its processes together: they share its cores)."""
    host = worker.rpartition(":")[0]
    cursor = db.execute(
        """UPDATE transcode_jobs SET state = 'running', worker = ?, attempts = attempts + 1, progress = 0,
               eta_s = NULL, error_tail = NULL, started_at = ?, heartbeat_at = ?
           WHERE id = ? AND state = 'queued'
             AND (? IS NULL OR (SELECT count(*) FROM transcode_jobs
                                WHERE state = 'running' AND substr(worker, 1, ?) = ?) < ?)""",
        [worker, format_utc(now), format_utc(now), job_id, host_limit, len(host) + 1, f"{host}:", host_limit])
    return cursor.rowcount == 1


def report_progress(db: Database, job_id: int, worker: str, progress: float, eta_s: float | None,
                    now: datetime) -> bool:
    """Record progress; False means stop: the job was cancelled or taken from this worker."""
    cursor = db.execute(
        """UPDATE transcode_jobs SET progress = ?, eta_s = ?, heartbeat_at = ?
           WHERE id = ? AND state = 'running' AND worker = ?""",
        [max(0.0, min(100.0, progress)), eta_s, format_utc(now), job_id, worker])
    return cursor.rowcount == 1


def finish(db: Database, job_id: int, worker: str, now: datetime) -> bool:
    """Mark `worker`'s running job done; False if it is no longer running there (cancelled or taken)."""
    cursor = db.execute(
        """UPDATE transcode_jobs SET state = 'done', progress = 100, eta_s = 0, finished_at = ?
           WHERE id = ? AND state = 'running' AND worker = ?""", [format_utc(now), job_id, worker])
    return cursor.rowcount == 1


def fail(db: Database, job_id: int, worker: str, error_tail: str, now: datetime, retryable: bool) -> str:
    """Record a failure; requeue it while attempts remain and a retry can help. Returns the new state."""
    job = get_job(db, job_id)
    state = JobState.QUEUED if retryable and job.attempts < MAX_ATTEMPTS else JobState.FAILED
    db.execute(
        """UPDATE transcode_jobs SET state = ?, error_tail = ?, finished_at = ?, worker = NULL
           WHERE id = ? AND state = 'running' AND worker = ?""",
        [state, error_tail, format_utc(now) if state == "failed" else None, job_id, worker])
    return state


def cancel(db: Database, job_id: int, now: datetime) -> Job:
    """Cancel a queued or running job (a running ffmpeg stops at its next progress report)."""
    job = get_job(db, job_id)
    if job.state not in (JobState.QUEUED, JobState.RUNNING):
        raise UserError("job.not_cancellable", status=409, id=job_id, state=job.state)
    db.execute("UPDATE transcode_jobs SET state = 'cancelled', finished_at = ? WHERE id = ? AND state = ?",
               [format_utc(now), job_id, job.state])
    return get_job(db, job_id)


def retry(db: Database, job_id: int) -> Job:
    """Queue a failed or cancelled job again, with a fresh set of attempts."""
    job = get_job(db, job_id)
    if job.state not in (JobState.FAILED, JobState.CANCELLED):
        raise UserError("job.not_retryable", status=409, id=job_id, state=job.state)
    db.execute("""UPDATE transcode_jobs SET state = 'queued', attempts = 0, progress = 0, error_tail = NULL,
                      finished_at = NULL, worker = NULL WHERE id = ?""", [job_id])
    return get_job(db, job_id)


def requeue_stale(db: Database, now: datetime, stale_after_s: float) -> list[int]:
    """Put back in the queue the running jobs whose worker died (a crash, a kill -9, a power cut).

    A worker on this host is checked directly; one elsewhere by its heartbeat.
    """
    requeued = []
    for row in db.execute("SELECT * FROM transcode_jobs WHERE state = 'running'").fetchall():
        alive = alive_here(row["worker"])
        if alive is None:
            beat = row["heartbeat_at"]
            alive = beat is not None and now - parse_time(beat) < timedelta(seconds=stale_after_s)
        if row["worker"] == this_worker() or alive:
            continue
        cursor = db.execute("UPDATE transcode_jobs SET state = 'queued', worker = NULL WHERE id = ? AND worker IS ?",
                            [row["id"], row["worker"]])
        if cursor.rowcount:
            requeued.append(row["id"])
    return requeued
