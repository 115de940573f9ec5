"""Households (户): a box and the members who watch it.

A box (device) points at a household; members point at the household they live in
(at most one). A re-paired box keeps its household (accounts/devices.py), so a
replaced box goes on crediting the same members.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from server.accounts.devices import get_device
from server.core.db import write_transaction
from server.core.errors import NotFound, UserError
from server.core.timestamps import format_utc
from server.records.members import EVERYTHING, Member, Scope, get_member, is_row_id

MAX_MEMBERS = 9  # "谁在看" numbers them 1..9 on one screen


@dataclass(frozen=True)
class Viewer:
    """A member as the box shows them in "谁在看" and 我的学习."""

    id: int
    name: str


def household_of(db: Database, device_id: int) -> int | None:
    """The household a box belongs to, or None."""
    row = db.execute("SELECT household_id FROM devices WHERE id = ?", [device_id]).fetchone()
    return row["household_id"] if row else None


def viewers(db: Database, device_id: int) -> tuple[Viewer, ...]:
    """The active members of a box's household, in the order the box numbers them."""
    rows = db.execute(
        """SELECT m.id, m.name FROM members m JOIN devices d ON d.household_id = m.household_id
           WHERE d.id = ? AND m.active = 1 ORDER BY m.id LIMIT ?""", [device_id, MAX_MEMBERS]).fetchall()
    return tuple(Viewer(row["id"], row["name"]) for row in rows)


def assign_members(db: Database, scope: Scope, device_id: int, member_ids: list, now: datetime) -> tuple[Member, ...]:
    """Make `member_ids` the members of the box's household (made when it has none); members not listed leave it.

    A member listed here who lived in another household moves. Every member must be active and in scope, and
    so must the box; members of the household outside the administrator's scope stay (they cannot see them).
    """
    if not isinstance(member_ids, list) or not all(is_row_id(m) for m in member_ids):
        raise UserError("household.bad_members")
    if len(set(member_ids)) > MAX_MEMBERS:
        raise UserError("household.too_many", limit=MAX_MEMBERS)
    with write_transaction(db):
        check_device_in_scope(db, scope, device_id)
        members = [get_member(db, scope, member_id) for member_id in dict.fromkeys(member_ids)]
        inactive = [m.name for m in members if not m.active]
        if inactive:
            raise UserError("household.inactive_member", name="、".join(inactive))
        household = household_of(db, device_id)
        unseen = 0 if household is None else db.execute(
            f"""WITH RECURSIVE {scope.cte()} SELECT count(*) FROM members WHERE household_id = :household
                AND branch_id NOT IN (SELECT id FROM scope) AND id NOT IN (SELECT value FROM json_each(:listed))""",
            {**scope.params(), "household": household, "listed": json.dumps([m.id for m in members])}).fetchone()[0]
        if len(members) + unseen > MAX_MEMBERS:  # those outside the scope stay, and count
            raise UserError("household.too_many", limit=MAX_MEMBERS)
        if household is None:
            household = db.execute("INSERT INTO households (name, created_at) VALUES ('', ?)",
                                   [format_utc(now)]).lastrowid
            db.execute("UPDATE devices SET household_id = ? WHERE id = ?", [household, device_id])
        kept = [m.id for m in members]
        db.execute(f"""WITH RECURSIVE {scope.cte()}
                        UPDATE members SET household_id = NULL, updated_at = :now
                        WHERE household_id = :household AND id NOT IN (SELECT value FROM json_each(:kept))
                        AND branch_id IN (SELECT id FROM scope)""",
                   {**scope.params(), "now": format_utc(now), "household": household, "kept": json.dumps(kept)})
        for member in members:
            if member.household_id != household:
                db.execute("UPDATE members SET household_id = ?, updated_at = ? WHERE id = ?",
                           [household, format_utc(now), member.id])
    return tuple(get_member(db, scope, m.id) for m in members)


def household_members(db: Database, device_id: int, scope: Scope = EVERYTHING) -> list:
    """The members of a box's household in scope, with their branch, for the console's box page (any state)."""
    return db.execute(
        f"""WITH RECURSIVE {scope.cte()}
            SELECT m.id, m.name, m.active, o.name AS branch_name FROM members m JOIN devices d
            ON d.household_id = m.household_id JOIN organisations o ON o.id = m.branch_id
            WHERE d.id = :device AND m.branch_id IN (SELECT id FROM scope) ORDER BY m.id""",
        {**scope.params(), "device": device_id}).fetchall()


def check_device_in_scope(db: Database, scope: Scope, device_id: int) -> None:
    """404 unless the box exists and belongs to an organisation in scope (a box of the whole subdistrict: only
    for administrators of the whole site)."""
    device = get_device(db, device_id)
    if scope.org_id is None:
        return
    inside = db.execute(f"WITH RECURSIVE {scope.cte()} SELECT 1 FROM scope WHERE id = :org",
                        {**scope.params(), "org": device.org_id}).fetchone()
    if inside is None:
        raise NotFound("device.not_found", id=device_id)


def devices_of(db: Database, household_id: int) -> list:
    """The approved boxes of a household (name, serial), for a member's record."""
    return db.execute("SELECT id, name, serial FROM devices WHERE household_id = ? AND state = 'approved' "
                      "ORDER BY id", [household_id]).fetchall()
