"""Editors' API tokens (uploads from scripts): made with an expiry, listed, revoked; only hashes are kept.

A token stops working when it expires, is revoked (CLI, console, API), its
account is disabled, or its account's password changes (users.set_password).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from server.accounts.users import User, get_user, load_user
from server.core.errors import NotFound, UserError
from server.core.plain_text import checked
from server.core.timestamps import format_utc, parse_time

PREFIX = "kt_"
MAX_DAYS = 3650
USED_WRITE_INTERVAL = timedelta(hours=1)  # last_used_at is a hint: not a write per request


@dataclass(frozen=True)
class TokenInfo:
    """A token as its list shows it (never the token itself)."""

    id: int
    label: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(db: Database, username: str, label: str, now: datetime, days: int = 365) -> str:
    """A new API token for an account's tools, valid `days` days; shown once, stored as a hash."""
    user = get_user(db, username)
    if not 1 <= days <= MAX_DAYS:
        raise UserError("token.bad_days", value=days, maximum=MAX_DAYS)
    token = PREFIX + secrets.token_urlsafe(32)
    db.execute("INSERT INTO user_tokens (token_hash, user_id, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
               [_hash(token), user.id, checked(label, "label").strip(), format_utc(now),
                format_utc(now + timedelta(days=days))])
    return token


def list_tokens(db: Database, username: str) -> list[TokenInfo]:
    """An account's tokens, newest first."""
    user = get_user(db, username)
    return [TokenInfo(r["id"], r["label"], r["created_at"], r["expires_at"], r["last_used_at"]) for r in db.execute(
        "SELECT * FROM user_tokens WHERE user_id = ? ORDER BY id DESC", [user.id]).fetchall()]


def revoke_token(db: Database, username: str, token_id: int) -> None:
    """Revoke one of an account's tokens: it stops working at once."""
    user = get_user(db, username)
    if db.execute("DELETE FROM user_tokens WHERE id = ? AND user_id = ?", [token_id, user.id]).rowcount == 0:
        raise NotFound("token.not_found", id=token_id, username=user.username)


def user_for_token(db: Database, token: str | None, now: datetime) -> User | None:
    """The enabled account holding this unexpired API token, or None."""
    if not token or not token.startswith(PREFIX):
        return None
    row = db.execute("""SELECT u.*, t.id AS token_id, t.expires_at, t.last_used_at FROM user_tokens t
                        JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND u.disabled = 0""",
                     [_hash(token)]).fetchone()
    if row is None or (row["expires_at"] is not None and parse_time(row["expires_at"]) <= now):
        return None
    if row["last_used_at"] is None or now - parse_time(row["last_used_at"]) >= USED_WRITE_INTERVAL:
        db.execute("UPDATE user_tokens SET last_used_at = ? WHERE id = ?", [format_utc(now), row["token_id"]])
    return load_user(db, row)
