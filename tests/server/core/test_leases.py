"""Leases: one holder at a time, taken over when it expires or its process is gone."""

from __future__ import annotations

import socket
import subprocess
import sys

from server.core.db import connect
from server.core.leases import LeaseKeeper, acquire, holding, release
from server.core.migrations import migrate

HOST = socket.gethostname()


def _db(tmp_path):
    db = connect(tmp_path / "k.db")
    migrate(db)
    return db


def test_one_holder_until_it_expires_then_another(tmp_path):
    db = _db(tmp_path)
    assert acquire(db, "broadcast", "other-host:1", now=100.0, seconds=10)
    assert not acquire(db, "broadcast", "other-host:2", now=105.0, seconds=10)
    assert acquire(db, "broadcast", "other-host:1", now=106.0, seconds=10)  # renewed to 116
    assert not acquire(db, "broadcast", "other-host:2", now=115.9, seconds=10)
    assert acquire(db, "broadcast", "other-host:2", now=116.0, seconds=10)
    assert not acquire(db, "broadcast", "other-host:1", now=117.0, seconds=10)  # the old holder cannot renew
    assert holding(db, "broadcast").holder == "other-host:2"
    assert holding(db, "broadcast").acquired_at == 116.0


def test_a_released_lease_is_taken_at_once(tmp_path):
    db = _db(tmp_path)
    assert acquire(db, "broadcast", "other-host:1", now=100.0, seconds=10)
    release(db, "broadcast", "other-host:2")  # not the holder: nothing happens
    assert not acquire(db, "broadcast", "other-host:2", now=101.0, seconds=10)
    release(db, "broadcast", "other-host:1")
    assert acquire(db, "broadcast", "other-host:2", now=101.0, seconds=10)


def test_a_dead_process_on_this_host_loses_its_lease_before_it_expires(tmp_path):
    db = _db(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert acquire(db, "broadcast", f"{HOST}:{child.pid}", now=100.0, seconds=10)
        assert not acquire(db, "broadcast", f"{HOST}:1{child.pid}", now=101.0, seconds=10)  # it is alive
    finally:
        child.kill()
        child.wait()
    assert acquire(db, "broadcast", f"{HOST}:1{child.pid}", now=101.0, seconds=10)


def test_the_keeper_says_when_it_gains_and_loses_the_lease(tmp_path):
    _db(tmp_path).close()
    now = [100.0]
    first = LeaseKeeper(lambda: connect(tmp_path / "k.db"), "broadcast", 10, "other-host:1", lambda: now[0])
    second = LeaseKeeper(lambda: connect(tmp_path / "k.db"), "broadcast", 10, "other-host:2", lambda: now[0])
    assert first.tick() == (True, False) and first.held
    assert second.tick() == (False, False) and not second.held
    now[0] = 109.0
    assert first.tick() == (False, False)  # renewed until 119
    now[0] = 118.0
    assert second.tick() == (False, False)
    now[0] = 119.5  # first stopped renewing (stuck): by its own deadline it no longer holds
    assert not first.held
    assert second.tick() == (True, False)
    assert first.tick() == (False, True)  # it had let go by its deadline; now it hears it is lost
    second.release()
    assert not second.held and first.tick() == (True, False)
