"""Creating and changing content items (videos and articles) on the boards.

Shared by the CLI, the demo loader, the upload pipeline and (later) the web
console, so every path applies the same rules: the board exists and takes
that kind of item, times carry a zone, targets exist, articles are sanitised.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlite_utils import Database

from server.catalogue.articles import render_markdown
from server.core.channels_yaml import Lineup
from server.core.db import write_transaction
from server.core.errors import NotFound, UserError
from server.core.plain_text import checked
from server.core.timestamps import format_utc, utc_now


class ItemKind(StrEnum):
    """What an item is (items.kind)."""

    VIDEO = "video"
    ARTICLE = "article"


class ItemState(StrEnum):
    """Where an item is in its life (items.state); only published items reach boxes."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


STATES = tuple(ItemState)


def _check_board(lineup: Lineup, board_id: str, kind: str) -> None:
    board = lineup.boards_by_id.get(board_id)
    if board is None:
        raise UserError("item.unknown_board", value=board_id, known=", ".join(lineup.boards_by_id))
    if board.kind != "mixed" and board.kind != kind:
        # The board's kind in words (a message per kind: "video" is not a word for a Chinese reader).
        raise UserError(f"item.board_takes_{board.kind}", error_code="wrong_board_kind", board=board.name)


def _stamp(now: datetime | None) -> str:
    """The bookkeeping time of a change: the caller's clock, else the wall clock."""
    return format_utc(now or utc_now())


def _time_or_none(moment: datetime | None) -> str | None:
    return format_utc(moment) if moment is not None else None


def _check_window(publish_at: str | None, expire_at: str | None) -> None:
    """Stored UTC texts compare as times."""
    if publish_at and expire_at and expire_at <= publish_at:
        raise UserError("item.bad_window", publish_at=publish_at, expire_at=expire_at)


def _check_state(state: str, kind: str, hls_path: str | None) -> None:
    if state not in STATES:
        raise UserError("item.bad_state", value=state, allowed=", ".join(STATES))
    if state == "published" and kind == "video" and not hls_path:
        raise UserError("item.video_not_ready", status=409)


def _article_columns(markdown: str | None) -> dict:
    """An article's body in the three forms kept: Markdown, sanitised HTML, plain text (and its pictures)."""
    if not (markdown or "").strip():
        raise UserError("item.empty_body")
    rendered = render_markdown(markdown)
    return {"body_markdown": markdown, "body_html": rendered.html, "body_text": rendered.text,
            "body_images": json.dumps(list(rendered.images))}


def create_item(
    db: Database,
    lineup: Lineup,
    *,
    kind: str,
    board_id: str,
    title: str,
    speaker: str = "",
    description: str = "",
    state: str = "draft",
    publish_at: datetime | None = None,
    expire_at: datetime | None = None,
    pinned: bool = False,
    sort_order: int = 0,
    duration_s: float | None = None,
    thumbnail_path: str | None = None,
    hls_path: str | None = None,
    body_markdown: str | None = None,
    targets: tuple[int, ...] = (),
    demo_key: str | None = None,
    now: datetime | None = None,
) -> int:
    """Create a video or article item with its targets in one transaction; return its id.

    `now` stamps created_at/updated_at (callers pass their clock; the wall clock otherwise).
    """
    if kind not in tuple(ItemKind):
        raise UserError("item.bad_kind", value=kind)
    _check_board(lineup, board_id, kind)
    for field, value in (("title", title), ("speaker", speaker), ("description", description),
                         ("body_markdown", body_markdown or "")):
        checked(value, field)
    if not title.strip():
        raise UserError("item.empty_title")
    _check_state(state, kind, hls_path)
    _check_window(_time_or_none(publish_at), _time_or_none(expire_at))
    html = text = images = None
    if kind == "article":
        article = _article_columns(body_markdown)
        html, text, images = article["body_html"], article["body_text"], article["body_images"]
    stamp = _stamp(now)
    with write_transaction(db):
        cursor = db.execute(
            """INSERT INTO items (kind, board_id, title, speaker, description, state, publish_at,
                   expire_at, pinned, sort_order, duration_s, thumbnail_path, hls_path,
                   body_markdown, body_html, body_text, body_images, demo_key, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [kind, board_id, title.strip(), speaker.strip(), description.strip(), state,
             _time_or_none(publish_at), _time_or_none(expire_at), int(pinned), sort_order,
             duration_s, thumbnail_path, hls_path, body_markdown, html, text, images, demo_key, stamp, stamp])
        item_id = cursor.lastrowid
        set_targets(db, item_id, targets)
    return item_id


def set_targets(db: Database, item_id: int, org_ids: tuple[int, ...] | list[int]) -> None:
    """Limit an item to these organisations (and those below them); empty means everyone."""
    with write_transaction(db):
        for org_id in org_ids:
            if not db.execute("SELECT 1 FROM organisations WHERE id = ?", [org_id]).fetchone():
                raise NotFound("org.not_found", ref=org_id)
        db.execute("DELETE FROM item_targets WHERE item_id = ?", [item_id])
        for org_id in sorted(set(org_ids)):
            db.execute("INSERT INTO item_targets (item_id, org_id) VALUES (?, ?)", [item_id, org_id])


def set_state(db: Database, item_id: int, state: str, now: datetime | None = None) -> None:
    """Move an item to draft, published or archived."""
    row = db.execute("SELECT kind, hls_path FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise NotFound("item.not_found", id=item_id)
    _check_state(state, row["kind"], row["hls_path"])
    db.execute("UPDATE items SET state = ?, updated_at = ? WHERE id = ?",
               [state, _stamp(now), item_id])


def add_subtitles(db: Database, item_id: int, lang: str, label: str, path: str) -> None:
    """Attach (or replace) the WebVTT subtitles of one language to a video item."""
    db.execute(
        """INSERT INTO item_subtitles (item_id, lang, label, path) VALUES (?, ?, ?, ?)
           ON CONFLICT (item_id, lang) DO UPDATE SET label = excluded.label, path = excluded.path""",
        [item_id, lang, label, path])


EDITABLE = ("title", "speaker", "description", "board_id", "publish_at", "expire_at", "pinned", "sort_order",
            "state", "body_markdown", "targets")


def update_item(db: Database, lineup: Lineup, item_id: int, changes: dict, *,
                may_edit=lambda board_id: True, now: datetime | None = None) -> None:
    """Change an item's fields in one transaction, checked by the same rules as create_item.

    `changes` holds typed values (times as datetimes or None, targets as ids);
    `may_edit(board_id)` guards both the item's board and a board it moves to.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise UserError("item.unknown_field", value=", ".join(unknown), allowed=", ".join(EDITABLE))
    row = db.execute("SELECT * FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None or not may_edit(row["board_id"]):
        raise NotFound("item.not_found", id=item_id)
    columns: dict[str, object] = {}
    for key in ("title", "speaker", "description"):
        if key in changes:
            columns[key] = checked(str(changes[key] or ""), key).strip()
    if "title" in columns and not columns["title"]:
        raise UserError("item.empty_title")
    if "board_id" in changes and changes["board_id"] != row["board_id"]:
        _check_board(lineup, changes["board_id"], row["kind"])
        if not may_edit(changes["board_id"]):
            raise UserError("item.board_not_yours", status=403, error_code="forbidden", value=changes["board_id"])
        columns["board_id"] = changes["board_id"]
    for key in ("publish_at", "expire_at"):
        if key in changes:
            columns[key] = _time_or_none(changes[key])
    _check_window(columns.get("publish_at", row["publish_at"]), columns.get("expire_at", row["expire_at"]))
    if "pinned" in changes:
        columns["pinned"] = int(bool(changes["pinned"]))
    if "sort_order" in changes:
        columns["sort_order"] = int(changes["sort_order"])
    if "body_markdown" in changes:
        if row["kind"] != "article":
            raise UserError("item.body_not_article", id=item_id)
        columns.update(_article_columns(checked(str(changes["body_markdown"] or ""), "body_markdown")))
    if "state" in changes:
        _check_state(changes["state"], row["kind"], row["hls_path"])
        columns["state"] = changes["state"]
    with write_transaction(db):
        if columns:
            columns["updated_at"] = _stamp(now)
            assignments = ", ".join(f"{name} = ?" for name in columns)
            db.execute(f"UPDATE items SET {assignments} WHERE id = ?", [*columns.values(), item_id])
        if "targets" in changes:
            set_targets(db, item_id, tuple(changes["targets"]))


def set_thumbnail(db: Database, item_id: int, path: str, now: datetime | None = None) -> None:
    """Point an item at a new thumbnail (a path under MEDIA_ROOT)."""
    db.execute("UPDATE items SET thumbnail_path = ?, updated_at = ? WHERE id = ?",
               [path, _stamp(now), item_id])
