"""Editor and administrator accounts: roles, per-board limits, password hashes.

Passwords are hashed with scrypt (werkzeug), a deliberately slow hash, so a
copied database does not give the passwords away. The web console's login,
sessions and rate limits build on verify_password().
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from server.core.channels_yaml import Lineup
from server.core.db import write_transaction
from server.core.errors import NotFound, UserError
from server.core.plain_text import checked
from server.core.timestamps import format_utc


class Role(StrEnum):
    """What an account may do (users.role): administrators everything, editors their boards."""

    ADMIN = "admin"
    EDITOR = "editor"


ROLES = tuple(Role)
USERNAME_RE = re.compile(r"[A-Za-z0-9_.@-]{2,64}")
MIN_PASSWORD_LENGTH = 8
# Computed once so that an unknown username costs as much as a wrong password
# (no telling which usernames exist from the response time).
_DUMMY_HASH = generate_password_hash("keting-timing-equaliser", method="scrypt")


@dataclass(frozen=True)
class User:
    """An editor or administrator account with the boards it is limited to."""

    id: int
    username: str
    display_name: str
    role: str
    disabled: bool
    boards: tuple[str, ...]
    all_boards: bool = False  # an explicit "every board": an editor with no boards listed edits none
    org_id: int | None = None  # an administrator of this organisation sees members under it only; None: all

    def may_edit(self, board_id: str) -> bool:
        """Administrators edit everything; editors the boards listed, or all with the all-boards flag."""
        return self.role == "admin" or self.all_boards or board_id in self.boards


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("user.password_too_short", minimum=MIN_PASSWORD_LENGTH)


def check_boards_given(role: str, boards: tuple[str, ...], all_boards: bool) -> None:
    """An editor needs boards or the all-boards flag: an account that can edit nothing is a mistake."""
    if role == Role.EDITOR and not boards and not all_boards:
        raise UserError("user.no_boards")


def _check_boards(lineup: Lineup, boards: tuple[str, ...]) -> None:
    unknown = [b for b in boards if b not in lineup.boards_by_id]
    if unknown:
        raise UserError("user.unknown_board", value=", ".join(unknown), known=", ".join(lineup.boards_by_id))


def load_user(db: Database, row) -> User:
    """An account from its users row, with its boards."""
    boards = tuple(r[0] for r in db.execute(
        "SELECT board_id FROM user_boards WHERE user_id = ? ORDER BY board_id", [row["id"]]))
    return User(row["id"], row["username"], row["display_name"], row["role"], bool(row["disabled"]), boards,
                bool(row["all_boards"]), row["org_id"])


def get_user(db: Database, username: str) -> User:
    """The account with this username; 404 if there is none."""
    row = db.execute("SELECT * FROM users WHERE username = ?", [username.strip()]).fetchone()
    if row is None:
        raise NotFound("user.not_found", username=username)
    return load_user(db, row)


def list_users(db: Database) -> list[User]:
    """Every account, administrators first, then by username."""
    return [load_user(db, row) for row in db.execute("SELECT * FROM users ORDER BY role, username").fetchall()]


def add_user(db: Database, lineup: Lineup, username: str, password: str, role: str, now: datetime,
             display_name: str = "", boards: tuple[str, ...] = (), all_boards: bool = False) -> User:
    """Create an account; an editor edits the boards listed, or every board with `all_boards`."""
    username = username.strip()
    checked(display_name, "display_name")
    if not USERNAME_RE.fullmatch(username):
        raise UserError("user.bad_username", value=username)
    if role not in ROLES:
        raise UserError("user.bad_role", value=role)
    _check_password(password)
    _check_boards(lineup, boards)
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise UserError("user.exists", status=409, username=username)
    check_boards_given(role, boards, all_boards)
    with write_transaction(db):
        cursor = db.execute(
            """INSERT INTO users (username, display_name, password_hash, role, all_boards, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [username, display_name.strip(), generate_password_hash(password, method="scrypt"), role,
             int(bool(all_boards)), format_utc(now), format_utc(now)])
        for board_id in sorted(set(boards)):
            db.execute("INSERT INTO user_boards (user_id, board_id) VALUES (?, ?)", [cursor.lastrowid, board_id])
    return get_user(db, username)


def set_organisation(db: Database, username: str, org_id: int | None, now: datetime) -> User:
    """Limit an account to an organisation and everything under it (members, study records); None: the whole
    site. Someone limited cannot lift the limit: only an administrator of the whole site changes it."""
    user = get_user(db, username)
    if org_id is not None and not db.execute("SELECT 1 FROM organisations WHERE id = ?", [org_id]).fetchone():
        raise NotFound("org.not_found", ref=org_id)
    db.execute("UPDATE users SET org_id = ?, updated_at = ? WHERE id = ?", [org_id, format_utc(now), user.id])
    return get_user(db, username)


def set_password(db: Database, username: str, password: str, now: datetime) -> None:
    """Replace an account's password, ending its console sessions and revoking its API tokens (whoever knew the
    old password may have made one)."""
    user = get_user(db, username)
    _check_password(password)
    with write_transaction(db):
        db.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                   [generate_password_hash(password, method="scrypt"), format_utc(now), user.id])
        db.execute("DELETE FROM user_tokens WHERE user_id = ?", [user.id])


def set_role(db: Database, lineup: Lineup, username: str, role: str, boards: tuple[str, ...],
             now: datetime, all_boards: bool = False) -> User:
    """Change an account's role and board limits (`all_boards`: every board, now and added later)."""
    user = get_user(db, username)
    if role not in ROLES:
        raise UserError("user.bad_role", value=role)
    _check_boards(lineup, boards)
    check_boards_given(role, boards, all_boards)
    if user.role == "admin" and role != "admin":
        _refuse_losing_last_admin(db, user)
    with write_transaction(db):
        db.execute("UPDATE users SET role = ?, all_boards = ?, updated_at = ? WHERE id = ?",
                   [role, int(bool(all_boards)), format_utc(now), user.id])
        db.execute("DELETE FROM user_boards WHERE user_id = ?", [user.id])
        for board_id in sorted(set(boards)):
            db.execute("INSERT INTO user_boards (user_id, board_id) VALUES (?, ?)", [user.id, board_id])
    return get_user(db, username)


def set_disabled(db: Database, username: str, disabled: bool, now: datetime) -> User:
    """Disable or re-enable an account; the last enabled administrator cannot be disabled."""
    user = get_user(db, username)
    if disabled and user.role == "admin":
        _refuse_losing_last_admin(db, user)
    db.execute("UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", [int(disabled), format_utc(now), user.id])
    return get_user(db, username)


def _refuse_losing_last_admin(db: Database, user: User) -> None:
    others = db.execute("SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?",
                        [user.id]).fetchone()[0]
    if others == 0:
        raise UserError("user.last_admin", status=409, username=user.username)


def verify_password(db: Database, username: str, password: str) -> User | None:
    """The enabled account with this username and password, or None (in the same time either way)."""
    row = db.execute("SELECT * FROM users WHERE username = ?", [username.strip()]).fetchone()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(row["password_hash"], password) or row["disabled"]:
        return None
    return load_user(db, row)


def _session_stamp(password_hash: str, generation: int) -> str:
    # Changes with the password and with every logout, so either ends every session of the account.
    return hashlib.sha256(f"session:{generation}:{password_hash}".encode()).hexdigest()[:24]


def session_stamp(db: Database, user_id: int) -> str:
    """The session stamp a console login stores for this account; empty if it is gone."""
    row = db.execute("SELECT password_hash, session_generation FROM users WHERE id = ?", [user_id]).fetchone()
    return _session_stamp(row["password_hash"], row["session_generation"]) if row else ""


def end_sessions(db: Database, user_id: int) -> None:
    """End every console session of an account, wherever its cookie was copied to (a logout does this)."""
    db.execute("UPDATE users SET session_generation = session_generation + 1 WHERE id = ?", [user_id])


def user_for_session(db: Database, user_id: object, stamp: object) -> User | None:
    """The enabled account a console session belongs to; None once disabled, logged out or its password changed."""
    if not isinstance(user_id, int) or not isinstance(stamp, str):
        return None
    row = db.execute("SELECT * FROM users WHERE id = ? AND disabled = 0", [user_id]).fetchone()
    if row is None or not secrets.compare_digest(_session_stamp(row["password_hash"], row["session_generation"]),
                                                 stamp):
        return None
    return load_user(db, row)


def record_login(db: Database, user_id: int, now: datetime) -> None:
    """Stamp an account's last successful console login."""
    db.execute("UPDATE users SET last_login_at = ? WHERE id = ?", [format_utc(now), user_id])
