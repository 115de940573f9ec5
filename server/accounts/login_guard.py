"""Rate limits on console logins: lock-out per account and per address after failures.

Failures are rows in SQLite, so a lock-out survives a restart and holds for
every process sharing the database. Flask-Limiter counts requests, not
failed passwords, and keeps its counts per process without extra storage,
which is why this small piece is ours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlite_utils import Database

from server.core.errors import UserError
from server.core.timestamps import format_utc, parse_time


class Scope(StrEnum):
    """What a failed login is counted against (login_failures.scope)."""

    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True)
class Limits:
    """How many failed logins an account and an address may have within the window before they are locked out."""

    per_account: int
    per_address: int
    window: timedelta


def limits_from(config) -> Limits:
    """The limits from the app's LOGIN_MAX_FAILURES[_PER_ADDRESS] and LOGIN_LOCKOUT_MINUTES settings."""
    return Limits(config["LOGIN_MAX_FAILURES"], config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
                  timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]))


class LockedOut(UserError):
    """Too many wrong passwords: 429 with the minutes left."""

    def __init__(self, message_id: str, retry_after_s: int):
        super().__init__(message_id, status=429, error_code="locked_out",
                         minutes=max(1, math.ceil(retry_after_s / 60)))
        self.retry_after_s = retry_after_s


def _retry_after(db: Database, scope: str, key: str, limit: int, window: timedelta, now: datetime) -> int:
    """Seconds until `key` drops below `limit` failures in the window (0: not locked)."""
    since = format_utc(now - window)
    rows = db.execute("SELECT at FROM login_failures WHERE scope = ? AND key = ? AND at > ? ORDER BY at DESC",
                      [scope, key, since]).fetchall()
    if len(rows) < limit:
        return 0
    # Locked until the limit-th most recent failure leaves the window.
    oldest_counted = parse_time(rows[limit - 1]["at"])
    return max(1, math.ceil((oldest_counted + window - now).total_seconds()))


def check(db: Database, username: str, address: str, limits: Limits, now: datetime) -> None:
    """Raise LockedOut when this account or this address may not try again yet."""
    wait = _retry_after(db, "account", username.strip(), limits.per_account, limits.window, now)
    if wait:
        raise LockedOut("login.account_locked", wait)
    wait = _retry_after(db, "address", address, limits.per_address, limits.window, now)
    if wait:
        raise LockedOut("login.address_locked", wait)


def record_failure(db: Database, username: str, address: str, now: datetime) -> None:
    """Count a wrong password against the account and the address, and drop failures older than a day."""
    stamp = format_utc(now)
    with db.atomic():
        db.execute("INSERT INTO login_failures (scope, key, at) VALUES ('account', ?, ?)", [username.strip(), stamp])
        db.execute("INSERT INTO login_failures (scope, key, at) VALUES ('address', ?, ?)", [address, stamp])
        # Forget what no window looks at any more (a day is far beyond any lock-out).
        db.execute("DELETE FROM login_failures WHERE at < ?", [format_utc(now - timedelta(days=1))])


def record_success(db: Database, username: str) -> None:
    """A right password clears the account's failures (not the address's: that guards other accounts)."""
    db.execute("DELETE FROM login_failures WHERE scope = 'account' AND key = ?", [username.strip()])
