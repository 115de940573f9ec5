"""Limits on console logins, so a password cannot be guessed and an account cannot be locked by a stranger.

Three counts of wrong passwords within LOGIN_LOCKOUT_MINUTES:
- an account tried from one address (`pair`): after LOGIN_MAX_FAILURES that
  address may not try that account again until the window passes;
- one address on any account (`address`): after LOGIN_MAX_FAILURES_PER_ADDRESS
  that address may not log in at all for the window;
- an account from anywhere (`account`): after LOGIN_MAX_FAILURES each further
  try must wait a little longer (2, 4, 8 … at most 60 s) after the last one,
  which slows a guesser with many addresses; a browser that once logged in to
  the account (a signed cookie, login_pages.py) is not slowed, so a stranger
  cannot keep the owner out.
IPv6 addresses are counted by their /64.

An attempt is counted before the password is checked, in the same write
transaction as the check (BEGIN IMMEDIATE), so parallel tries cannot slip
past the limit; a right password takes its count back. Failures are rows in
SQLite: they hold across restarts and every process sharing the database.
Flask-Limiter counts requests per process, not failed passwords, which is why
this small piece is ours.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlite_utils import Database

from server.core.db import write_transaction
from server.core.errors import UserError
from server.core.timestamps import format_utc, parse_time

MAX_DELAY_S = 60


class Scope(StrEnum):
    """What a failed login is counted against (login_failures.scope)."""

    PAIR = "pair"
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True)
class Limits:
    """How many wrong passwords are allowed per account (and address) and per address, within a window."""

    per_account: int
    per_address: int
    window: timedelta


def limits_from(config) -> Limits:
    """The login limits of a site's settings."""
    return Limits(config["LOGIN_MAX_FAILURES"], config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
                  timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]))


class LockedOut(UserError):
    """Too many wrong passwords: 429 with the time to wait (in minutes and seconds, for the message)."""

    def __init__(self, message_id: str, retry_after_s: int):
        super().__init__(message_id, status=429, error_code="locked_out",
                         minutes=max(1, math.ceil(retry_after_s / 60)), seconds=retry_after_s)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Attempt:
    """A login attempt already counted as a failure; `succeeded` takes the count back."""

    username: str
    address: str
    rowids: tuple[int, ...]


def address_key(address: str) -> str:
    """An address as it is counted: IPv4 as it is, IPv6 by its /64 (one household or machine has a whole /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _keys(username: str, address: str) -> dict[Scope, str]:
    account, where = username.strip().lower(), address_key(address)
    return {Scope.PAIR: f"{account} {where}", Scope.ACCOUNT: account, Scope.ADDRESS: where}


def _recent(db: Database, scope: Scope, key: str, window: timedelta, now: datetime) -> list[datetime]:
    """The failures of `key` within the window, newest first."""
    rows = db.execute("SELECT at FROM login_failures WHERE scope = ? AND key = ? AND at > ? ORDER BY at DESC",
                      [scope, key, format_utc(now - window)]).fetchall()
    return [parse_time(row["at"]) for row in rows]


def _locked_for(failures: list[datetime], limit: int, window: timedelta, now: datetime) -> int:
    """Seconds until fewer than `limit` failures are left in the window (0: free to try)."""
    if len(failures) < limit:
        return 0
    return max(1, math.ceil((failures[limit - 1] + window - now).total_seconds()))


def _slowed_for(failures: list[datetime], limit: int, now: datetime) -> int:
    """Seconds still to wait after the last failure once an account passed `limit` (0: free to try)."""
    if len(failures) < limit:
        return 0
    delay = min(MAX_DELAY_S, 2 ** (len(failures) - limit + 1))
    return max(0, math.ceil((failures[0] + timedelta(seconds=delay) - now).total_seconds()))


def begin(db: Database, username: str, address: str, limits: Limits, now: datetime,
          known_device: bool = False) -> Attempt:
    """Refuse (LockedOut) or count this attempt as a failure, atomically; the caller then checks the password.

    `known_device`: the browser once logged in to this account (a signed cookie), so the account-wide
    slowdown, which a stranger's guesses cause, does not apply to it.
    """
    keys = _keys(username, address)
    stamp = format_utc(now)
    with write_transaction(db):
        wait = _locked_for(_recent(db, Scope.PAIR, keys[Scope.PAIR], limits.window, now), limits.per_account,
                           limits.window, now)
        if wait:
            raise LockedOut("login.account_locked", wait)
        wait = _locked_for(_recent(db, Scope.ADDRESS, keys[Scope.ADDRESS], limits.window, now),
                           limits.per_address, limits.window, now)
        if wait:
            raise LockedOut("login.address_locked", wait)
        wait = 0 if known_device else _slowed_for(
            _recent(db, Scope.ACCOUNT, keys[Scope.ACCOUNT], limits.window, now), limits.per_account, now)
        if wait:
            raise LockedOut("login.account_slowed", wait)
        rowids = tuple(db.execute("INSERT INTO login_failures (scope, key, at) VALUES (?, ?, ?)",
                                  [scope, key, stamp]).lastrowid for scope, key in keys.items())
        # Forget what no window looks at any more (a day is far beyond any lock-out).
        db.execute("DELETE FROM login_failures WHERE at < ?", [format_utc(now - timedelta(days=1))])
    return Attempt(username, address, rowids)


def succeeded(db: Database, attempt: Attempt) -> None:
    """A right password: this attempt does not count, and the account's failures are cleared (the address's
    are not: they guard other accounts)."""
    keys = _keys(attempt.username, attempt.address)
    with write_transaction(db):
        db.execute(f"DELETE FROM login_failures WHERE rowid IN ({','.join('?' * len(attempt.rowids))})",
                   list(attempt.rowids))
        db.execute("DELETE FROM login_failures WHERE (scope = ? AND key = ?) OR (scope = ? AND key = ?)",
                   [Scope.PAIR, keys[Scope.PAIR], Scope.ACCOUNT, keys[Scope.ACCOUNT]])
