"""Login limits: counted atomically before the password is checked; a stranger cannot lock the owner out."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from server.accounts import login_guard
from server.core.db import connect

LIMITS = login_guard.Limits(per_account=5, per_address=20, window=timedelta(minutes=15))


def test_parallel_wrong_passwords_get_exactly_the_limit(app, clock):
    """The review's attack: 16 wrong passwords at once got 11 tries instead of 5."""
    outcomes: list[str] = []
    start = threading.Barrier(16, timeout=30)

    def guess():
        db = connect(app.config["DATABASE"])
        try:
            start.wait()
            login_guard.begin(db, "admin", "203.0.113.9", LIMITS, clock.now)
            outcomes.append("tried")
        except login_guard.LockedOut:
            outcomes.append("refused")
        finally:
            db.close()

    threads = [threading.Thread(target=guess) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("tried") == 5 and outcomes.count("refused") == 11


def test_a_stranger_cannot_lock_the_owner_out(ctx, clock):
    db, _ = ctx
    for _ in range(5):
        login_guard.begin(db, "admin", "198.51.100.7", LIMITS, clock.now)  # the stranger's wrong guesses
    with pytest.raises(login_guard.LockedOut) as stranger:
        login_guard.begin(db, "admin", "198.51.100.7", LIMITS, clock.now)
    assert stranger.value.message_id == "login.account_locked" and stranger.value.retry_after_s == 15 * 60
    with pytest.raises(login_guard.LockedOut) as owner:  # the owner, elsewhere, is slowed, not locked
        login_guard.begin(db, "Admin", "192.0.2.20", LIMITS, clock.now)
    assert owner.value.message_id == "login.account_slowed" and owner.value.retry_after_s == 2
    clock.advance(seconds=2)
    attempt = login_guard.begin(db, "admin", "192.0.2.20", LIMITS, clock.now)
    login_guard.succeeded(db, attempt)  # the right password: in, and the account's count is cleared
    assert login_guard.begin(db, "admin", "192.0.2.20", LIMITS, clock.now)


def test_the_delay_grows_with_each_failure_up_to_a_minute(ctx, clock):
    db, _ = ctx
    waits = []
    for attempt in range(12):
        try:
            login_guard.begin(db, "admin", f"198.51.100.{attempt}", LIMITS, clock.now)
        except login_guard.LockedOut as slowed:
            waits.append(slowed.retry_after_s)
            clock.advance(seconds=slowed.retry_after_s)
            login_guard.begin(db, "admin", f"198.51.100.{attempt}", LIMITS, clock.now)
    assert waits == [2, 4, 8, 16, 32, 60, 60]


def test_a_stranger_with_many_addresses_cannot_keep_the_owner_s_browser_out(ctx, clock):
    """The review kept the owner out by one counted guess a minute from a few addresses: the owner's browser,
    known from an earlier login, is not slowed; a new browser still is."""
    db, _ = ctx
    for n in range(13):
        try:
            login_guard.begin(db, "admin", f"198.51.100.{n}", LIMITS, clock.now)
        except login_guard.LockedOut as slowed:
            clock.advance(seconds=slowed.retry_after_s)
            login_guard.begin(db, "admin", f"198.51.100.{n}", LIMITS, clock.now)
    with pytest.raises(login_guard.LockedOut):
        login_guard.begin(db, "admin", "192.0.2.20", LIMITS, clock.now)  # a browser never seen: slowed
    assert login_guard.begin(db, "admin", "192.0.2.20", LIMITS, clock.now, known_device=True)


def test_ipv6_addresses_are_counted_by_their_64():
    assert login_guard.address_key("2001:db8:1:2:aaaa::1") == login_guard.address_key("2001:db8:1:2:bbbb::9")
    assert login_guard.address_key("2001:db8:1:3::1") != login_guard.address_key("2001:db8:1:2::1")
    assert login_guard.address_key("::ffff:192.0.2.7") == "192.0.2.7"
