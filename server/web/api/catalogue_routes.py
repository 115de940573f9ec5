"""Set-top API: boards, board pages, item details and resume points."""

from __future__ import annotations

import json
from pathlib import Path

from flask import current_app, jsonify

from server.accounts.devices import report_playing
from server.catalogue import positions
from server.catalogue.visibility import (
    Viewer,
    board_counts,
    board_page,
    catalogue_changes_at,
    catalogue_etag,
    subtitles_of,
    visible_item,
)
from server.core.channels_yaml import Board
from server.core.errors import NotFound, UserError
from server.ingest import readings
from server.ingest.subtitles import SIZE_PERCENT, sized_path
from server.records import recents
from server.web.api import bp
from server.web.api.auth import current_device, require_device
from server.web.api.responses import conditional_json
from server.web.context import clock, current_lineup, get_db, poll_cache
from server.web.params import int_arg, json_body
from server.web.urls import media_expiry, media_url


def _viewer() -> Viewer:
    return Viewer(org_id=current_device().org_id, now=clock())


def _board_json(board: Board, count: int) -> dict:
    return {"id": board.id, "key": board.key, "name": board.name, "kind": board.kind,
            "colour": board.colour, "description": board.description, "item_count": count}


def item_summary(row) -> dict:
    """An item as the lists show it (boards, Home's rows)."""
    return {
        "id": row["id"], "kind": row["kind"], "board_id": row["board_id"], "title": row["title"],
        "speaker": row["speaker"], "duration_s": row["duration_s"],
        "thumbnail_url": media_url(row["thumbnail_path"]),
        "published_at": row["publish_at"] or row["created_at"], "pinned": bool(row["pinned"]),
    }


def item_id_of(raw_id: str) -> int:
    """An item id from a URL: ASCII digits only (400 naming the value otherwise)."""
    if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 18:
        raise UserError("api.bad_item_id", value=raw_id)
    return int(raw_id)


def visible_item_or_404(raw_id: str):
    """The item this box may see, from the id in the URL; 400 for a bad id, 404 if hidden or absent."""
    row = visible_item(get_db(), current_lineup(), _viewer(), item_id_of(raw_id))
    if row is None:
        raise NotFound("api.unknown_item", value=raw_id)
    return row


def _catalogue_tag(viewer: Viewer, *parts: object) -> str:
    """The catalogue ETag of this question for this box's organisation: from this process's memory until
    the catalogue changes (a write, or an item's publish or expiry time passing)."""
    def compute():
        db = get_db()
        return catalogue_etag(db, current_lineup(), viewer, *parts), catalogue_changes_at(db, viewer.now)
    return poll_cache().remember(("catalogue", viewer.org_id, *parts), viewer.now, compute)


@bp.get("/boards")
@require_device
def list_boards():
    """The box's boards with how many items each shows it (a conditional GET, answered from memory)."""
    lineup, viewer = current_lineup(), _viewer()
    etag = _catalogue_tag(viewer, "boards")

    def build():
        counts = board_counts(get_db(), lineup, viewer)
        return {"boards": [_board_json(b, counts[b.id]) for b in lineup.boards]}
    return conditional_json(etag, build)


@bp.get("/boards/<board_id>/items")
@require_device
def list_board_items(board_id: str):
    """One page (?page, ?per_page) of the items a board shows the box (a conditional GET)."""
    lineup, viewer = current_lineup(), _viewer()
    board = lineup.boards_by_id.get(board_id)
    if board is None:
        raise NotFound("api.unknown_board", value=board_id, known=", ".join(lineup.boards_by_id))
    config = current_app.config
    page = int_arg("page", 1, 1, 100_000)
    per_page = int_arg("per_page", config["PAGE_SIZE"], 1, config["MAX_PAGE_SIZE"])
    # Thumbnails are signed URLs: the tag changes with their expiry (each hour), so boxes get fresh ones.
    etag = _catalogue_tag(viewer, "items", board_id, page, per_page, media_expiry())

    def build():
        result = board_page(get_db(), board, viewer, page, per_page)
        return {"board": _board_json(board, result.total),
                "items": [item_summary(row) for row in result.rows],
                "page": result.page, "per_page": result.per_page,
                "total": result.total, "pages": result.pages}
    return conditional_json(etag, build)


def _subtitle_sizes(path: str) -> dict[str, str]:
    """A subtitle track's URL at each size the TV offers that has its file (older tracks get theirs from the
    job runner's first pass)."""
    media_root = Path(current_app.config["MEDIA_ROOT"])
    sizes = {"standard": media_url(path)}
    for size in SIZE_PERCENT:
        if (media_root / sized_path(path, size)).is_file():
            sizes[size] = media_url(sized_path(path, size))
    return sizes


@bp.get("/items/<item_id>")
@require_device
def item_detail(item_id: str):
    """An item the box may see, in full: a video's stream, subtitles and resume point, or an article's text."""
    db, row = get_db(), visible_item_or_404(item_id)
    detail = {**item_summary(row), "description": row["description"]}
    if row["kind"] == "video":
        detail.update({
            "hls_url": media_url(row["hls_path"]),
            "subtitles": [{"lang": s["lang"], "label": s["label"], "url": media_url(s["path"]),
                           "sizes": _subtitle_sizes(s["path"])} for s in subtitles_of(db, row["id"])],
            "resume_position_s": recents.resume_point(db, current_device().id, row["id"], row["duration_s"]),
        })
    else:
        made = readings.current(db, row["id"], row["body_text"])
        detail.update({"html": row["body_html"], "text": row["body_text"],
                       "images": [media_url(src) for src in json.loads(row["body_images"] or "[]")],
                       "reading": None if made is None else {
                           "url": media_url(made.path), "kind": made.kind, "duration_s": made.duration_s,
                           "marks": made.marks}})
    response = jsonify(detail)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.put("/items/<item_id>/position")
@require_device
def put_position(item_id: str):
    """Save the box's resume point in a video from {"position_s"}; answers it and whether the video is watched."""
    db, row = get_db(), visible_item_or_404(item_id)
    if row["kind"] != "video":
        raise UserError("api.position_not_video", status=409, value=item_id)
    value = positions.checked_position(json_body().get("position_s"))
    completed = positions.save_position(db, current_device().id, row["id"], value, row["duration_s"], clock())
    report_playing(db, current_device().id, None, row["id"], clock())
    return jsonify({"item_id": row["id"], "position_s": min(value, row["duration_s"] or value),
                    "completed": completed})
