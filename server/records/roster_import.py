"""A roster file's rows matched against the members: what an import would do (the preview), and doing it.

A row is the same member as a stored one when their 党员编号 match, else when
name and branch match; importing the same file twice changes nothing. Empty
phone or number cells keep what is stored (rosters often lack them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

from server.core.db import write_transaction
from server.core.timestamps import format_utc
from server.records.members import Scope, branches_in
from server.records.roster import ParsedRoster, RosterRow, RowError


@dataclass(frozen=True)
class Planned:
    """One row's outcome: a new member, changes to a stored one (member_id), or nothing to change."""

    row: RosterRow
    branch_id: int
    member_id: int | None = None
    changes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ImportPlan:
    """What importing a roster would do, row by row, and the rows it cannot take."""

    new: tuple[Planned, ...]
    changed: tuple[Planned, ...]
    unchanged: int
    errors: tuple[RowError, ...]


def _branch_finder(db: Database, scope: Scope):
    branches = branches_in(db, scope)
    by_text: dict[str, set[int]] = {}
    for branch_id, name, parent in branches:
        for form in (name, f"{parent}{name}", f"{parent}/{name}", f"{parent} {name}"):
            by_text.setdefault(form, set()).add(branch_id)
    labels = {branch_id: f"{parent}/{name}" for branch_id, name, parent in branches}

    def find(row: RosterRow) -> tuple[int | None, RowError | None]:
        found = by_text.get(row.branch.strip(), set())
        if len(found) == 1:
            return next(iter(found)), None
        if found:
            options = "、".join(sorted(labels[b] for b in found))
            return None, RowError(row.line, "党支部", "roster.branch_ambiguous",
                                  (("line", row.line), ("value", row.branch), ("options", options)))
        known = "、".join(sorted(labels.values())[:6]) or "—"
        return None, RowError(row.line, "党支部", "roster.branch_unknown",
                              (("line", row.line), ("value", row.branch), ("known", known)))
    return find


def plan_import(db: Database, scope: Scope, parsed: ParsedRoster) -> ImportPlan:
    """Match each row of a parsed roster against the members in scope: the preview an administrator sees."""
    find_branch = _branch_finder(db, scope)
    new, changed, errors, unchanged = [], [], list(parsed.errors), 0
    for row in parsed.rows:
        branch_id, error = find_branch(row)
        if error:
            errors.append(error)
            continue
        match, error = _match(db, scope, row, branch_id)
        if error:
            errors.append(error)
        elif match is None:
            new.append(Planned(row, branch_id))
        else:
            changes = _changes(match, row, branch_id)
            if changes:
                changed.append(Planned(row, branch_id, match["id"], changes))
            else:
                unchanged += 1
    return ImportPlan(tuple(new), tuple(changed), unchanged, tuple(sorted(errors, key=lambda e: e.line)))


def _match(db: Database, scope: Scope, row: RosterRow, branch_id: int):
    if row.member_no:
        found = db.execute(f"""WITH RECURSIVE {scope.cte()} SELECT m.*, m.branch_id IN (SELECT id FROM scope)
                               AS in_scope FROM members m WHERE m.member_no = :no""",
                           {**scope.params(), "no": row.member_no}).fetchone()
        if found is not None:
            if not found["in_scope"]:
                return None, RowError(row.line, "党员编号", "roster.number_elsewhere",
                                      (("line", row.line), ("value", row.member_no)))
            return found, None
    same = db.execute("SELECT * FROM members WHERE branch_id = ? AND name = ? ORDER BY id",
                      [branch_id, row.name]).fetchall()
    if row.member_no:
        same = [m for m in same if not m["member_no"]]  # a namesake with another number is someone else
    if len(same) > 1:
        return None, RowError(row.line, "姓名", "roster.member_ambiguous",
                              (("line", row.line), ("value", row.name), ("count", len(same))))
    return (same[0] if same else None), None


def _changes(stored, row: RosterRow, branch_id: int) -> dict:
    wanted = {"name": row.name, "branch_id": branch_id, "active": int(row.active)}
    if row.phone:
        wanted["phone"] = row.phone
    if row.member_no:
        wanted["member_no"] = row.member_no
    return {key: value for key, value in wanted.items() if stored[key] != value}


def apply_import(db: Database, plan: ImportPlan, now: datetime) -> tuple[int, int]:
    """Create and change the members a plan lists, in one transaction; (created, changed)."""
    stamp = format_utc(now)
    with write_transaction(db):
        for planned in plan.new:
            row = planned.row
            db.execute("""INSERT INTO members (name, branch_id, phone, member_no, active, created_at, updated_at)
                          VALUES (?, ?, ?, ?, ?, ?, ?)""",
                       [row.name, planned.branch_id, row.phone, row.member_no or None, int(row.active), stamp, stamp])
        for planned in plan.changed:
            changes = dict(planned.changes)
            if changes.get("active") == 0:
                changes["household_id"] = None  # an inactive member leaves the box's "谁在看"
            assignments = ", ".join(f"{column} = ?" for column in changes)
            db.execute(f"UPDATE members SET {assignments}, updated_at = ? WHERE id = ?",
                       [*changes.values(), stamp, planned.member_id])
    return len(plan.new), len(plan.changed)


def roster_rows(db: Database, scope: Scope) -> list[RosterRow]:
    """Every member in scope as roster rows (the export, readable by the import), by branch and name."""
    rows = db.execute(
        f"""WITH RECURSIVE {scope.cte()}
            SELECT m.*, o.name AS branch_name, coalesce(p.name, '') AS parent_name FROM members m
            JOIN scope s ON s.id = m.branch_id JOIN organisations o ON o.id = m.branch_id
            LEFT JOIN organisations p ON p.id = o.parent_id ORDER BY p.name, o.name, m.name, m.id""",
        scope.params()).fetchall()
    return [RosterRow(line, r["name"], f"{r['parent_name']}/{r['branch_name']}", r["phone"], r["member_no"] or "",
                      bool(r["active"])) for line, r in enumerate(rows, start=2)]
