"""Favourites (收藏): items kept to find again from the TV's Home.

They belong to the members watching (of the box's household), so a household's
favourites follow it to a new box; a box with nobody known keeps its own. With
several members watching, an item is added for each of them and taken away
from each; Home shows what any of them kept, the latest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from server.core.errors import UserError
from server.core.timestamps import format_utc

MAX_PER_OWNER = 500  # a member's or a box's favourites: a broken box must not grow the table without end


@dataclass(frozen=True)
class Owners:
    """Whose rows: the members watching (already checked to be of the box's household), or, with none, the box."""

    device_id: int
    member_ids: tuple[int, ...] = ()

    def each(self) -> list[tuple[str, int]]:
        """(column, id) for every owner: each member, or the box."""
        if self.member_ids:
            return [("member_id", member_id) for member_id in self.member_ids]
        return [("device_id", self.device_id)]

    def where(self) -> tuple[str, list[int]]:
        """The SQL condition (with its parameters) that picks these owners' rows."""
        if self.member_ids:
            return f"member_id IN ({', '.join('?' * len(self.member_ids))})", list(self.member_ids)
        return "device_id = ?", [self.device_id]


def add(db: Database, owners: Owners, item_id: int, now: datetime) -> None:
    """Keep `item_id` for every owner (one who kept it already keeps it where it was)."""
    for column, owner in owners.each():
        if db.execute(f"SELECT 1 FROM favourites WHERE {column} = ? AND item_id = ?", [owner, item_id]).fetchone():
            continue  # kept already: where it was (a full list does not refuse it)
        count = db.execute(f"SELECT count(*) FROM favourites WHERE {column} = ?", [owner]).fetchone()[0]
        if count >= MAX_PER_OWNER:
            raise UserError("favourites.too_many", status=409, limit=MAX_PER_OWNER)
        db.execute(f"INSERT INTO favourites ({column}, item_id, added_at) VALUES (?, ?, ?)",
                   [owner, item_id, format_utc(now)])


def remove(db: Database, owners: Owners, item_id: int) -> None:
    """Take `item_id` away from every owner (nothing happens for one who did not keep it)."""
    where, params = owners.where()
    db.execute(f"DELETE FROM favourites WHERE {where} AND item_id = ?", [*params, item_id])


def kept(db: Database, owners: Owners) -> list[tuple[int, str]]:
    """(item id, when it was added) of everything the owners keep, the latest first."""
    where, params = owners.where()
    rows = db.execute(f"""SELECT item_id, max(added_at) AS added FROM favourites WHERE {where}
                          GROUP BY item_id ORDER BY added DESC, item_id DESC""", params).fetchall()
    return [(row[0], row[1]) for row in rows]
