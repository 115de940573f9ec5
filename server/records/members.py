"""Party members (党员): who they are, which branch (党支部) they belong to, active or not.

A member who moves away or dies is made inactive, never deleted, so their study
history stays. Administrators limited to an organisation see and change only
members of branches under it (`Scope`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from server.core.errors import NotFound, UserError
from server.core.timestamps import format_utc

NAME_LIMIT = 50
MEMBER_NO = re.compile(r"[A-Za-z0-9-]{1,32}")
PHONE = re.compile(r"[0-9]{7,12}")
# Control characters, and the marks that reorder text on screen (a name must read as typed).
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Scope:
    """The organisations an administrator may see: `org_id` and everything under it (None: the whole site)."""

    org_id: int | None = None

    def cte(self) -> str:
        """A `scope(id)` CTE of the organisations in scope (use with :scope_org as parameter)."""
        return """scope(id) AS (
            SELECT id FROM organisations WHERE :scope_org IS NULL OR id = :scope_org
            UNION
            SELECT o.id FROM organisations o JOIN scope s ON o.parent_id = s.id WHERE :scope_org IS NOT NULL
        )"""

    def params(self) -> dict:
        """The CTE's parameter."""
        return {"scope_org": self.org_id}


EVERYTHING = Scope(None)


def organisations_in_scope(db: Database, scope: Scope) -> set[int] | None:
    """The ids of the organisations in scope; None for the whole site (everything, boxes of no organisation too)."""
    if scope.org_id is None:
        return None
    return {row[0] for row in db.execute(f"WITH RECURSIVE {scope.cte()} SELECT id FROM scope", scope.params())}


@dataclass(frozen=True)
class Member:
    """A party member as the console and the API show them."""

    id: int
    name: str
    branch_id: int
    branch_name: str
    phone: str
    member_no: str
    active: bool
    household_id: int | None


_SELECT = """SELECT m.*, o.name AS branch_name FROM members m JOIN organisations o ON o.id = m.branch_id"""


def _member(row) -> Member:
    return Member(row["id"], row["name"], row["branch_id"], row["branch_name"], row["phone"],
                  row["member_no"] or "", bool(row["active"]), row["household_id"])


def clean_name(value: object) -> str:
    """A member's name as typed, checked: 1 to 50 characters, no control characters."""
    if not isinstance(value, str):
        raise UserError("member.bad_name", value=str(value)[:60], limit=NAME_LIMIT)
    name = value.strip().replace("\u3000", " ")
    if UNPRINTABLE.search(name):  # a tab or a line break would break the TV's one-line lists and the roster
        raise UserError("text.control_character", field="name", code=f"U+{ord(UNPRINTABLE.search(name)[0]):04X}")
    if not name or len(name) > NAME_LIMIT:
        raise UserError("member.bad_name", value=name[:60], limit=NAME_LIMIT)
    return name


def clean_phone(value: object) -> str:
    """A phone number without spaces, dashes or +86; empty stays empty; 7 to 12 digits otherwise."""
    if value is None:
        return ""
    phone = re.sub(r"[\s\-\u3000]", "", str(value))
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not PHONE.fullmatch(phone):
        raise UserError("member.bad_phone", value=str(value)[:40])
    return phone


def clean_member_no(value: object) -> str | None:
    """A member number (letters, digits and '-', at most 32), or None when empty."""
    if value is None:
        return None
    number = str(value).strip()
    if not number:
        return None
    if not MEMBER_NO.fullmatch(number):
        raise UserError("member.bad_number", value=number[:40])
    return number


def is_row_id(value: object) -> bool:
    """A JSON whole number that can be a row id (SQLite's 64-bit integers; true and false are not numbers)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2 ** 63


def check_branch(db: Database, branch_id: object, scope: Scope) -> int:
    """The id of a branch (党支部) in scope; 400 for something that is not a branch, 404 outside the scope."""
    if not is_row_id(branch_id):
        raise UserError("member.bad_branch", value=str(branch_id)[:40])
    row = db.execute(f"WITH RECURSIVE {scope.cte()} SELECT o.kind FROM organisations o JOIN scope s ON s.id = o.id "
                     "WHERE o.id = :id", {**scope.params(), "id": branch_id}).fetchone()
    if row is None:
        raise NotFound("org.not_found", ref=branch_id)
    if row["kind"] != "branch":
        raise UserError("member.not_a_branch", value=branch_id)
    return branch_id


def _refuse_taken_number(db: Database, scope: Scope, member_no: str | None, member_id: int | None) -> None:
    if member_no is None:
        return
    other = db.execute(f"""WITH RECURSIVE {scope.cte()} SELECT id, name, branch_id IN (SELECT id FROM scope) AS seen
                           FROM members WHERE member_no = :no AND id IS NOT :me""",
                       {**scope.params(), "no": member_no, "me": member_id}).fetchone()
    if other and other["seen"]:
        raise UserError("member.number_taken", status=409, value=member_no, name=other["name"], id=other["id"])
    if other:  # someone this administrator may not see: say no more than that the number is taken
        raise UserError("member.number_taken_elsewhere", status=409, value=member_no)


def add_member(db: Database, scope: Scope, *, name: object, branch_id: object, phone: object = "",
               member_no: object = None, active: bool = True, now: datetime) -> Member:
    """Add a member to a branch in scope; the member number, when given, must be new."""
    name, phone, member_no = clean_name(name), clean_phone(phone), clean_member_no(member_no)
    if not isinstance(active, bool):
        raise UserError("member.bad_active", value=str(active)[:20])
    branch_id = check_branch(db, branch_id, scope)
    _refuse_taken_number(db, scope, member_no, None)
    stamp = format_utc(now)
    cursor = db.execute(
        """INSERT INTO members (name, branch_id, phone, member_no, active, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""", [name, branch_id, phone, member_no, int(bool(active)), stamp, stamp])
    return get_member(db, scope, cursor.lastrowid)


def get_member(db: Database, scope: Scope, member_id: int) -> Member:
    """The member with this id in scope; 404 otherwise (an administrator of another community learns nothing)."""
    row = db.execute(f"WITH RECURSIVE {scope.cte()} {_SELECT} JOIN scope s ON s.id = m.branch_id WHERE m.id = :id",
                     {**scope.params(), "id": member_id}).fetchone()
    if row is None:
        raise NotFound("member.not_found", id=member_id)
    return _member(row)


def change_member(db: Database, scope: Scope, member_id: int, changes: dict, now: datetime) -> Member:
    """Change a member's name, branch, phone, number or active flag (only the keys given)."""
    member = get_member(db, scope, member_id)
    unknown = set(changes) - {"name", "branch_id", "phone", "member_no", "active"}
    if unknown:
        raise UserError("member.unknown_field", field=", ".join(sorted(unknown)))
    name = clean_name(changes["name"]) if "name" in changes else member.name
    branch_id = check_branch(db, changes["branch_id"], scope) if "branch_id" in changes else member.branch_id
    phone = clean_phone(changes["phone"]) if "phone" in changes else member.phone
    member_no = clean_member_no(changes["member_no"]) if "member_no" in changes else (member.member_no or None)
    active = changes.get("active", member.active)
    if not isinstance(active, bool):
        raise UserError("member.bad_active", value=str(active)[:20])
    _refuse_taken_number(db, scope, member_no, member_id)
    # An inactive member leaves their household: the box no longer offers them in "谁在看".
    household = member.household_id if active else None
    db.execute("""UPDATE members SET name = ?, branch_id = ?, phone = ?, member_no = ?, active = ?,
                  household_id = ?, updated_at = ? WHERE id = ?""",
               [name, branch_id, phone, member_no, int(active), household, format_utc(now), member_id])
    return get_member(db, scope, member_id)


@dataclass(frozen=True)
class MemberPage:
    """One page of a member search, and how many matched in all."""

    members: tuple[Member, ...]
    total: int


def find_members(db: Database, scope: Scope, *, query: str = "", branch_id: int | None = None,
                 active: bool | None = None, limit: int = 50, offset: int = 0) -> MemberPage:
    """Members in scope by branch and name, filtered by a name, phone or number fragment, a branch and state."""
    where = ["1"]
    params = {**scope.params(), "limit": limit, "offset": offset}
    if query:
        where.append("(m.name LIKE :q ESCAPE '\\' OR m.phone LIKE :q ESCAPE '\\' OR m.member_no LIKE :q ESCAPE '\\')")
        params["q"] = "%" + re.sub(r"([%_\\])", r"\\\1", query.strip()) + "%"
    if branch_id is not None:
        where.append("m.branch_id = :branch")
        params["branch"] = branch_id
    if active is not None:
        where.append("m.active = :active")
        params["active"] = int(active)
    condition = " AND ".join(where)
    base = f"WITH RECURSIVE {scope.cte()} {{select}} JOIN scope s ON s.id = m.branch_id WHERE {condition}"
    total = db.execute(base.format(select="SELECT count(*) FROM members m"), params).fetchone()[0]
    rows = db.execute(base.format(select=_SELECT) + " ORDER BY o.name, m.active DESC, m.name, m.id "
                      "LIMIT :limit OFFSET :offset", params).fetchall()
    return MemberPage(tuple(_member(row) for row in rows), total)


def branches_in(db: Database, scope: Scope) -> list[tuple[int, str, str]]:
    """The branches in scope as (id, name, the name of the community or village above), by name."""
    return [tuple(row) for row in db.execute(
        f"""WITH RECURSIVE {scope.cte()}
            SELECT o.id, o.name, coalesce(p.name, '') FROM organisations o JOIN scope s ON s.id = o.id
            LEFT JOIN organisations p ON p.id = o.parent_id WHERE o.kind = 'branch' ORDER BY p.name, o.name""",
        scope.params()).fetchall()]
