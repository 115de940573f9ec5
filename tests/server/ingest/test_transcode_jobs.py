"""The job table's state machine: one worker per job, retries, cancel, dead workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest

from server.catalogue.items import create_item
from server.core.errors import UserError
from server.ingest import transcode_jobs as jobs


@pytest.fixture
def job(ctx, clock):
    db, lineup = ctx
    item = create_item(db, lineup, kind="video", board_id="dangke", title="讲座")
    return jobs.enqueue(db, item, "/nowhere/item.source", clock.now)


def test_only_one_worker_gets_a_job(ctx, clock, job):
    db, _ = ctx
    assert jobs.claim(db, job, "a:1", clock.now) is True
    assert jobs.claim(db, job, "b:2", clock.now) is False
    assert jobs.get_job(db, job).worker == "a:1" and jobs.get_job(db, job).attempts == 1
    assert jobs.report_progress(db, job, "b:2", 50, 10, clock.now) is False
    assert jobs.report_progress(db, job, "a:1", 50, 10, clock.now) is True
    assert jobs.get_job(db, job).progress == 50


def test_a_killed_ffmpeg_is_retried_then_given_up(ctx, clock, job):
    db, _ = ctx
    for _attempt in range(jobs.MAX_ATTEMPTS - 1):
        jobs.claim(db, job, "a:1", clock.now)
        assert jobs.fail(db, job, "a:1", "Killed", clock.now, retryable=True) == "queued"
    jobs.claim(db, job, "a:1", clock.now)
    assert jobs.fail(db, job, "a:1", "Killed", clock.now, retryable=True) == "failed"
    assert jobs.get_job(db, job).error_tail == "Killed"


def test_a_bad_file_fails_at_once_and_can_be_retried(ctx, clock, job):
    db, _ = ctx
    jobs.claim(db, job, "a:1", clock.now)
    assert jobs.fail(db, job, "a:1", "moov atom not found", clock.now, retryable=False) == "failed"
    with pytest.raises(UserError):
        jobs.cancel(db, job, clock.now)
    again = jobs.retry(db, job)
    assert (again.state, again.attempts, again.error_tail) == ("queued", 0, None)
    with pytest.raises(UserError) as raised:
        jobs.retry(db, job)
    assert raised.value.status == 409


def test_cancel_reaches_the_running_worker(ctx, clock, job):
    db, _ = ctx
    jobs.claim(db, job, "a:1", clock.now)
    assert jobs.cancel(db, job, clock.now).state == "cancelled"
    assert jobs.report_progress(db, job, "a:1", 60, 5, clock.now) is False
    assert jobs.finish(db, job, "a:1", clock.now) is False


def test_dead_workers_jobs_are_requeued(ctx, clock, job):
    db, _ = ctx
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    jobs.claim(db, job, f"{socket.gethostname()}:{dead.pid}", clock.now)
    assert jobs.requeue_stale(db, clock.now, 120) == [job]
    assert jobs.get_job(db, job).state == "queued"


def test_live_workers_keep_their_jobs(ctx, clock, job):
    db, _ = ctx
    jobs.claim(db, job, f"{socket.gethostname()}:{os.getppid()}", clock.now)
    assert jobs.requeue_stale(db, clock.now, 120) == []


def test_other_hosts_are_judged_by_heartbeat(ctx, clock, job):
    db, _ = ctx
    jobs.claim(db, job, "encoder-2:4242", clock.now)
    assert jobs.requeue_stale(db, clock.now + timedelta(seconds=119), 120) == []
    assert jobs.requeue_stale(db, clock.now + timedelta(seconds=120), 120) == [job]
