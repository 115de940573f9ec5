"""Creating and changing content items (videos and articles) on the boards.

Shared by the CLI, the demo loader, the upload pipeline and (later) the web
console, so every path applies the same rules: the board exists and takes
that kind of item, times carry a zone, targets exist, articles are sanitised.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from .articles import render_markdown
from .channels_yaml import Lineup
from .errors import NotFound, UserError
from .subtitles import LANG_RE, to_webvtt
from .timestamps import format_utc, utc_now

STATES = ("draft", "published", "archived")


def _check_board(lineup: Lineup, board_id: str, kind: str) -> None:
    board = lineup.boards_by_id.get(board_id)
    if board is None:
        raise UserError("item.unknown_board", value=board_id, known=", ".join(lineup.boards_by_id))
    if board.kind != "mixed" and board.kind != kind:
        raise UserError("item.wrong_board_kind", board=board.name, board_kind=board.kind, kind=kind)


def _time_or_none(moment: datetime | None) -> str | None:
    return format_utc(moment) if moment is not None else None


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
) -> int:
    """Create a video or article item with its targets in one transaction; return its id."""
    if kind not in ("video", "article"):
        raise UserError("item.bad_kind", value=kind)
    _check_board(lineup, board_id, kind)
    if not title.strip():
        raise UserError("item.empty_title")
    if state not in STATES:
        raise UserError("item.bad_state", value=state, allowed=", ".join(STATES))
    if publish_at and expire_at and expire_at <= publish_at:
        raise UserError("item.bad_window", publish_at=format_utc(publish_at), expire_at=format_utc(expire_at))
    if kind == "video" and state == "published" and not hls_path:
        raise UserError("item.video_not_ready", status=409)
    html = text = images = None
    if kind == "article":
        if not (body_markdown or "").strip():
            raise UserError("item.empty_body")
        rendered = render_markdown(body_markdown)
        html, text, images = rendered.html, rendered.text, json.dumps(list(rendered.images))
    now = format_utc(utc_now())
    with db.atomic():
        cursor = db.execute(
            """INSERT INTO items (kind, board_id, title, speaker, description, state, publish_at,
                   expire_at, pinned, sort_order, duration_s, thumbnail_path, hls_path,
                   body_markdown, body_html, body_text, body_images, demo_key, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [kind, board_id, title.strip(), speaker.strip(), description.strip(), state,
             _time_or_none(publish_at), _time_or_none(expire_at), int(pinned), sort_order,
             duration_s, thumbnail_path, hls_path, body_markdown, html, text, images, demo_key, now, now])
        item_id = cursor.lastrowid
        set_targets(db, item_id, targets)
    return item_id


def set_targets(db: Database, item_id: int, org_ids: tuple[int, ...] | list[int]) -> None:
    """Limit an item to these organisations (and those below them); empty means everyone."""
    with db.atomic():
        for org_id in org_ids:
            if not db.execute("SELECT 1 FROM organisations WHERE id = ?", [org_id]).fetchone():
                raise NotFound("org.not_found", ref=org_id)
        db.execute("DELETE FROM item_targets WHERE item_id = ?", [item_id])
        for org_id in sorted(set(org_ids)):
            db.execute("INSERT INTO item_targets (item_id, org_id) VALUES (?, ?)", [item_id, org_id])


def set_state(db: Database, item_id: int, state: str) -> None:
    """Move an item to draft, published or archived."""
    if state not in STATES:
        raise UserError("item.bad_state", value=state, allowed=", ".join(STATES))
    row = db.execute("SELECT kind, hls_path FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise NotFound("item.not_found", id=item_id)
    if state == "published" and row["kind"] == "video" and not row["hls_path"]:
        raise UserError("item.video_not_ready", status=409)
    db.execute("UPDATE items SET state = ?, updated_at = ? WHERE id = ?",
               [state, format_utc(utc_now()), item_id])


def save_subtitles(db: Database, media_root: Path, item_id: int, lang: str, label: str, raw: bytes) -> str:
    """Convert SRT/WebVTT bytes and attach them to a video item; return the stored path.

    They live outside the item's ladder folder, which a re-encode replaces.
    """
    if not LANG_RE.match(lang):
        raise UserError("subtitles.bad_lang", value=lang)
    row = db.execute("SELECT kind FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise NotFound("item.not_found", id=item_id)
    if row["kind"] != "video":
        raise UserError("subtitles.not_video", status=409, id=item_id)
    vtt = to_webvtt(raw)
    relative = f"subtitles/{item_id}/{lang}.vtt"
    target = media_root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(".tmp")
    staging.write_text(vtt, encoding="utf-8")
    staging.replace(target)
    add_subtitles(db, item_id, lang, label.strip() or lang, relative)
    return relative


def add_subtitles(db: Database, item_id: int, lang: str, label: str, path: str) -> None:
    """Attach (or replace) the WebVTT subtitles of one language to a video item."""
    db.execute(
        """INSERT INTO item_subtitles (item_id, lang, label, path) VALUES (?, ?, ?, ?)
           ON CONFLICT (item_id, lang) DO UPDATE SET label = excluded.label, path = excluded.path""",
        [item_id, lang, label, path])
