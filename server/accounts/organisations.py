"""The organisation tree: 街道 (subdistrict) -> 社区/村 (community/village) -> 党支部 (branch).

Content can target organisations; a device belongs to one and sees what
targets it or any organisation above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlite_utils import Database

from server.core.errors import NotFound, UserError
from server.core.plain_text import checked
from server.core.timestamps import format_utc, utc_now


class OrgKind(StrEnum):
    """The kinds of organisation (organisations.kind)."""

    SUBDISTRICT = "subdistrict"
    COMMUNITY = "community"
    VILLAGE = "village"
    BRANCH = "branch"


KINDS = tuple(OrgKind)
# Which kinds may sit under which: keeps the tree the shape the committee has.
ALLOWED_PARENT = {"subdistrict": (None,), "community": ("subdistrict",),
                  "village": ("subdistrict",), "branch": ("community", "village")}


@dataclass(frozen=True)
class Organisation:
    """One node of the organisation tree: a subdistrict, community, village or branch."""

    id: int
    parent_id: int | None
    name: str
    kind: str


def _row(row) -> Organisation:
    return Organisation(row["id"], row["parent_id"], row["name"], row["kind"])


def add_organisation(db: Database, name: str, kind: str, parent_id: int | None = None,
                     now: datetime | None = None) -> Organisation:
    """Create an organisation under `parent_id` (None for the subdistrict at the top); `now` stamps it."""
    name = checked(name, "name").strip()
    if kind not in KINDS:
        raise UserError("org.bad_kind", value=kind, allowed=", ".join(KINDS))
    parent_kind = None
    if parent_id is not None:
        parent = get_organisation(db, parent_id)
        parent_kind = parent.kind
    if parent_kind not in ALLOWED_PARENT[kind]:
        raise UserError("org.bad_parent", kind=kind, parent=parent_kind or "-",
                        allowed=", ".join(k or "-" for k in ALLOWED_PARENT[kind]))
    if not name:
        raise UserError("org.empty_name")
    existing = db.execute("SELECT id FROM organisations WHERE parent_id IS ? AND name = ?",
                          [parent_id, name]).fetchone()
    if existing:
        raise UserError("org.exists", status=409, name=name, id=existing["id"])
    cursor = db.execute(
        "INSERT INTO organisations (parent_id, name, kind, created_at) VALUES (?, ?, ?, ?)",
        [parent_id, name, kind, format_utc(now or utc_now())])
    return get_organisation(db, cursor.lastrowid)


def get_organisation(db: Database, org_id: int) -> Organisation:
    """The organisation with this id; 404 if there is none."""
    row = db.execute("SELECT * FROM organisations WHERE id = ?", [org_id]).fetchone()
    if row is None:
        raise NotFound("org.not_found", ref=org_id)
    return _row(row)


def find_organisation(db: Database, ref: str) -> Organisation:
    """Look up an organisation by id or by exact name (names must then be unique)."""
    if ref.isdigit():
        return get_organisation(db, int(ref))
    rows = db.execute("SELECT * FROM organisations WHERE name = ?", [ref.strip()]).fetchall()
    if not rows:
        raise NotFound("org.not_found", ref=ref)
    if len(rows) > 1:
        ids = ", ".join(str(r["id"]) for r in rows)
        raise UserError("org.ambiguous", status=409, ref=ref, ids=ids)
    return _row(rows[0])


def list_organisations(db: Database) -> list[tuple[int, Organisation]]:
    """Every organisation with its depth, in tree order (parents before children)."""
    rows = db.execute("""
        WITH RECURSIVE tree(id, depth, path) AS (
            SELECT id, 0, printf('%08d', id) FROM organisations WHERE parent_id IS NULL
            UNION ALL
            SELECT o.id, t.depth + 1, t.path || '/' || printf('%08d', o.id)
            FROM organisations o JOIN tree t ON o.parent_id = t.id
        )
        SELECT o.*, tree.depth FROM tree JOIN organisations o ON o.id = tree.id ORDER BY tree.path
    """).fetchall()
    return [(row["depth"], _row(row)) for row in rows]


# Self and ancestors of one organisation; used by the catalogue's visibility rule.
ANCESTORS_CTE = """
    device_orgs(id) AS (
        SELECT :org_id WHERE :org_id IS NOT NULL
        UNION
        SELECT o.parent_id FROM organisations o JOIN device_orgs d ON o.id = d.id
        WHERE o.parent_id IS NOT NULL
    )"""
