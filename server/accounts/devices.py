"""Set-top boxes: registration, pairing, approval, tokens and revocation.

The flow follows the OAuth device authorisation grant (RFC 8628), which was
made for exactly this: a device with a remote but no keyboard.
1. The box registers and gets a secret device code plus a short pairing code
   that it shows in large digits on the TV.
2. An administrator approves the pairing code (`keting device approve CODE`).
3. The box, polling with its device code, collects its token once.
Only hashes of the device code and token are stored; a stolen database
does not let anyone act as a box.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlite_utils import Database

from server.core.db import write_transaction
from server.core.errors import NotFound, UserError
from server.core.timestamps import format_utc, parse_time

PAIRING_CODE_DIGITS = 6
MAX_SERIAL = 64
MAX_NAME = 64


class DeviceState(StrEnum):
    """Where a box is in pairing (devices.state): waiting for approval, approved, or revoked."""

    PENDING = "pending"
    APPROVED = "approved"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Device:
    """A set-top box as the API knows it."""

    id: int
    serial: str
    name: str
    state: str
    org_id: int | None


@dataclass(frozen=True)
class Registration:
    """What a box receives when it registers."""

    device_id: int
    pairing_code: str
    device_code: str
    expires_at: datetime


@dataclass(frozen=True)
class Claim:
    """The answer to a box polling for its token: still pending, or the token."""

    status: str  # "pending" or "approved"
    pairing_code: str | None = None
    expires_at: datetime | None = None
    token: str | None = None


def _hash(secret: str) -> str:
    # Tokens are 256-bit random, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def _device(row) -> Device:
    return Device(row["id"], row["serial"], row["name"], row["state"], row["org_id"])


def _clean_label(value: object, field: str, limit: int, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UserError("device.bad_field", field=field, limit=limit)
    value = value.strip()
    if (required and not value) or len(value) > limit or not value.isprintable():
        raise UserError("device.bad_field", field=field, limit=limit)
    return value


def register_device(db: Database, serial: object, name: object, client_version: object,
                    now: datetime, ttl_seconds: int, address: str | None = None,
                    per_hour: int | None = None) -> Registration:
    """Record a new pending registration and hand out its pairing and device codes.

    Earlier pending registrations of the same serial stay: anyone can send a
    serial, so a request never removes another's row; approving one revokes the
    others (approve_device), and unapproved ones expire. With `per_hour`,
    an address that registered that many boxes in the last hour is refused (429).
    """
    if address is not None and per_hour:
        since = format_utc(now - timedelta(hours=1))
        recent = db.execute("SELECT registered_at FROM devices WHERE registered_from = ? AND registered_at > ? "
                            "ORDER BY registered_at", [address, since]).fetchall()
        if len(recent) >= per_hour:
            wait_s = (parse_time(recent[-per_hour]["registered_at"]) + timedelta(hours=1) - now).total_seconds()
            raise UserError("device.too_many_registrations", status=429, error_code="rate_limited",
                            count=len(recent), minutes=max(1, math.ceil(wait_s / 60)))
    serial = _clean_label(serial, "serial", MAX_SERIAL, required=True)
    name = _clean_label(name, "name", MAX_NAME, required=False) or serial
    client_version = _clean_label(client_version, "client_version", MAX_NAME, required=False)
    device_code = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=ttl_seconds)
    with write_transaction(db):  # the code is checked free and taken in one step
        while True:
            code = "".join(secrets.choice("0123456789") for _ in range(PAIRING_CODE_DIGITS))
            taken = db.execute("SELECT 1 FROM devices WHERE pairing_code = ? AND state = 'pending'",
                               [code]).fetchone()
            if not taken:
                break
        cursor = db.execute(
            """INSERT INTO devices (serial, name, state, pairing_code, pairing_expires_at,
                   device_code_hash, client_version, registered_at, registered_from)
               VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?)""",
            [serial, name, code, format_utc(expires_at), _hash(device_code), client_version, format_utc(now),
             address])
    return Registration(cursor.lastrowid, code, device_code, expires_at)


def claim_token(db: Database, device_code: object, now: datetime) -> Claim:
    """Answer a box polling with its device code: pending, or its token (handed out once)."""
    if not isinstance(device_code, str) or not device_code:
        raise UserError("device.bad_field", field="device_code", limit=64)
    row = db.execute("SELECT * FROM devices WHERE device_code_hash = ?", [_hash(device_code)]).fetchone()
    if row is None:
        raise NotFound("device.unknown_device_code")
    if row["state"] == "revoked":
        raise UserError("device.revoked", status=403)
    if row["state"] == "pending":
        expires_at = parse_time(row["pairing_expires_at"])
        if now >= expires_at:
            db.execute("DELETE FROM devices WHERE id = ? AND state = 'pending'", [row["id"]])
            raise UserError("device.pairing_expired", status=410)
        return Claim("pending", pairing_code=row["pairing_code"], expires_at=expires_at)
    token = secrets.token_urlsafe(32)
    # The WHERE on the device code makes two racing claims hand out one token, not two.
    claimed = db.execute("UPDATE devices SET token_hash = ?, device_code_hash = NULL "
                         "WHERE id = ? AND device_code_hash = ?", [_hash(token), row["id"], _hash(device_code)])
    if claimed.rowcount != 1:
        raise NotFound("device.unknown_device_code")
    return Claim("approved", token=token)


def approve_device(db: Database, pairing_code: str, org_id: int | None, now: datetime) -> Device:
    """Approve the pending box showing `pairing_code`, placing it in an organisation.

    Other registrations of the same serial are revoked: it is the same box,
    re-paired, and its old token must stop working. Re-paired into the same
    organisation, it keeps its household (its members' study records go on).
    """
    code = pairing_code.strip().replace(" ", "")
    with write_transaction(db):
        row = db.execute("SELECT * FROM devices WHERE pairing_code = ? AND state = 'pending'", [code]).fetchone()
        if row is None or now >= parse_time(row["pairing_expires_at"]):
            raise NotFound("device.no_such_pairing_code", code=code)
        if org_id is not None and not db.execute("SELECT 1 FROM organisations WHERE id = ?", [org_id]).fetchone():
            raise NotFound("org.not_found", ref=org_id)
        # The box keeps its household only when it is re-paired into the organisation it was approved in: a
        # serial is what a box says it is, and someone else's box claiming it must not see that household.
        household = db.execute(
            """SELECT household_id FROM devices WHERE serial = ? AND id != ? AND state = 'approved'
               AND org_id IS ? AND household_id IS NOT NULL ORDER BY id DESC LIMIT 1""",
            [row["serial"], row["id"], org_id]).fetchone()
        db.execute(
            """UPDATE devices SET state = 'revoked', revoked_at = ?, token_hash = NULL
               WHERE serial = ? AND id != ? AND state != 'revoked'""",
            [format_utc(now), row["serial"], row["id"]])
        db.execute(
            """UPDATE devices SET state = 'approved', org_id = ?, approved_at = ?,
                   pairing_code = NULL, pairing_expires_at = NULL, household_id = ? WHERE id = ?""",
            [org_id, format_utc(now), household["household_id"] if household else None, row["id"]])
        return get_device(db, row["id"])


def revoke_device(db: Database, device_id: int, now: datetime) -> Device:
    """Revoke a box: its token is refused from the next request on."""
    get_device(db, device_id)
    db.execute(
        """UPDATE devices SET state = 'revoked', revoked_at = ?, token_hash = NULL,
               device_code_hash = NULL, pairing_code = NULL WHERE id = ?""",
        [format_utc(now), device_id])
    return get_device(db, device_id)


def get_device(db: Database, device_id: int) -> Device:
    """The box with this id; 404 if there is none."""
    row = db.execute("SELECT * FROM devices WHERE id = ?", [device_id]).fetchone()
    if row is None:
        raise NotFound("device.not_found", id=device_id)
    return _device(row)


def list_devices(db: Database) -> list:
    """All registrations, pending first, then by most recently seen."""
    return db.execute(
        """SELECT d.*, o.name AS org_name, i.title AS playing_title
           FROM devices d LEFT JOIN organisations o ON o.id = d.org_id LEFT JOIN items i ON i.id = d.playing_item_id
           ORDER BY d.state != 'pending', d.state = 'revoked', d.last_seen_at DESC, d.id DESC""").fetchall()


def authenticate(db: Database, token: str | None, now: datetime, seen_interval_s: int) -> Device:
    """The approved device holding `token`; 401 otherwise. Updates last-seen now and then."""
    if not token:
        raise UserError("device.token_missing", status=401)
    row = db.execute("SELECT * FROM devices WHERE token_hash = ?", [_hash(token)]).fetchone()
    if row is None or row["state"] != "approved":
        raise UserError("device.token_invalid", status=401)
    last_seen = row["last_seen_at"]
    if last_seen is None or (now - parse_time(last_seen)).total_seconds() >= seen_interval_s:
        db.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", [format_utc(now), row["id"]])
    return _device(row)


def report_playing(db: Database, device_id: int, channel: int | None, item_id: int | None, now: datetime) -> None:
    """Remember what a box shows now: a channel, an item, or (both None) the menus."""
    db.execute("UPDATE devices SET playing_channel = ?, playing_item_id = ?, playing_at = ? WHERE id = ?",
               [channel, item_id, format_utc(now), device_id])
