"""What one set-top box may see: boards with counts, board pages, item details.

Visibility is one rule, written once in SQL: the item is published, `now` is
inside its publish window, its board is in channels.yaml, and it targets
nobody or the device's organisation or one above it.

Thousands of boxes poll the catalogue, so its ETag is computed without
building the answer: it changes exactly when a catalogue write happens
(a trigger-kept counter), when the lineup changes, or when `now` crosses a
publish or expiry time (the latest such time already passed, read from an
index in O(log n)).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from server.accounts.organisations import ANCESTORS_CTE
from server.core.channels_yaml import Board, Lineup
from server.core.timestamps import format_utc

_VISIBLE = """
    i.state = 'published'
    AND (i.publish_at IS NULL OR i.publish_at <= :now)
    AND (i.expire_at IS NULL OR i.expire_at > :now)
    AND (NOT EXISTS (SELECT 1 FROM item_targets t WHERE t.item_id = i.id)
         OR EXISTS (SELECT 1 FROM item_targets t
                    WHERE t.item_id = i.id AND t.org_id IN (SELECT id FROM device_orgs)))
"""

_ORDER = "i.pinned DESC, i.sort_order ASC, COALESCE(i.publish_at, i.created_at) DESC, i.id DESC"


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the device's organisation (None: untargeted content only) and the time."""

    org_id: int | None
    now: datetime

    def params(self) -> dict[str, object]:
        """The viewer as the :org_id and :now parameters of the visibility SQL."""
        return {"org_id": self.org_id, "now": format_utc(self.now)}


@dataclass(frozen=True)
class Page:
    """One page of a board's items."""

    rows: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the board has at this page size (at least one, even when empty)."""
        return max(1, -(-self.total // self.per_page))


def board_counts(db: Database, lineup: Lineup, viewer: Viewer) -> dict[str, int]:
    """Number of visible items on each board of the lineup (0 for empty boards)."""
    rows = db.execute(
        f"WITH RECURSIVE {ANCESTORS_CTE} "
        f"SELECT i.board_id, count(*) AS n FROM items i WHERE {_VISIBLE} GROUP BY i.board_id",
        viewer.params()).fetchall()
    counts = {row["board_id"]: row["n"] for row in rows}
    return {board.id: counts.get(board.id, 0) for board in lineup.boards}


def board_page(db: Database, board: Board, viewer: Viewer, page: int, per_page: int) -> Page:
    """Visible items of one board, pinned first, then by editor order, then newest."""
    params = {**viewer.params(), "board": board.id, "limit": per_page, "offset": (page - 1) * per_page}
    where = f"i.board_id = :board AND {_VISIBLE}"
    total = db.execute(f"WITH RECURSIVE {ANCESTORS_CTE} SELECT count(*) FROM items i WHERE {where}",
                       params).fetchone()[0]
    rows = db.execute(
        f"WITH RECURSIVE {ANCESTORS_CTE} SELECT i.* FROM items i WHERE {where} "
        f"ORDER BY {_ORDER} LIMIT :limit OFFSET :offset", params).fetchall()
    return Page(rows, page, per_page, total)


def visible_item(db: Database, lineup: Lineup, viewer: Viewer, item_id: int):
    """The item's row if this viewer may see it now, else None (not found and hidden look alike)."""
    row = db.execute(
        f"WITH RECURSIVE {ANCESTORS_CTE} SELECT i.* FROM items i WHERE i.id = :id AND {_VISIBLE}",
        {**viewer.params(), "id": item_id}).fetchone()
    if row is None or row["board_id"] not in lineup.boards_by_id:
        return None
    return row


def visible_items(db: Database, lineup: Lineup, viewer: Viewer, item_ids: list[int]) -> dict[int, object]:
    """The rows of those of `item_ids` this viewer may see now, by id (the others are left out)."""
    if not item_ids:
        return {}
    ids = {f"id{n}": item_id for n, item_id in enumerate(item_ids)}
    rows = db.execute(f"WITH RECURSIVE {ANCESTORS_CTE} SELECT i.* FROM items i "
                      f"WHERE i.id IN ({', '.join(':' + name for name in ids)}) AND {_VISIBLE}",
                      {**viewer.params(), **ids}).fetchall()
    return {row["id"]: row for row in rows if row["board_id"] in lineup.boards_by_id}


def subtitles_of(db: Database, item_id: int) -> list:
    """An item's subtitle tracks (lang, label, path), by language."""
    return db.execute("SELECT lang, label, path FROM item_subtitles WHERE item_id = ? ORDER BY lang",
                      [item_id]).fetchall()


def lineup_fingerprint(lineup: Lineup) -> str:
    """A short hash of the lineup, so renaming a board changes every ETag."""
    return hashlib.sha256(repr((lineup.boards, lineup.channels)).encode()).hexdigest()[:16]


def catalogue_etag(db: Database, lineup: Lineup, viewer: Viewer, *parts: object) -> str:
    """The ETag of a catalogue answer for this viewer, without computing the answer.

    `parts` are the request's own inputs (board id, page, per_page).
    """
    now = format_utc(viewer.now)
    row = db.execute(
        """SELECT (SELECT version FROM catalogue_version WHERE id = 1),
                  (SELECT max(publish_at) FROM items WHERE publish_at <= :now),
                  (SELECT max(expire_at) FROM items WHERE expire_at <= :now)""",
        {"now": now}).fetchone()
    key = repr((tuple(row), lineup_fingerprint(lineup), viewer.org_id, parts))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def catalogue_changes_at(db: Database, now: datetime) -> datetime | None:
    """The next moment the catalogue changes by itself (an item's publish or expiry time), or None."""
    from server.core.timestamps import parse_time

    row = db.execute("""SELECT min(at) FROM (SELECT min(publish_at) AS at FROM items WHERE publish_at > :now
                                             UNION ALL SELECT min(expire_at) FROM items WHERE expire_at > :now)""",
                     {"now": format_utc(now)}).fetchone()
    return parse_time(row[0]) if row[0] else None
