"""Editor API: the library of one's boards, editing items, writing articles, article pictures."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, jsonify, request

from server.catalogue import items, library
from server.catalogue.articles import render_markdown
from server.catalogue.library import LibraryItem
from server.core.errors import NotFound, UserError
from server.ingest import readings
from server.ingest.pictures import MAX_IMAGE_BYTES, save_image, thumbnail_at
from server.web.api import bp
from server.web.api.editor_auth import current_user, require_editor
from server.web.context import clock, current_lineup, get_db, wake_jobs
from server.web.params import body_limit, int_field, is_whole_number, json_body, time_field
from server.web.urls import media_path, media_url


def _with_readings(found: list[LibraryItem]) -> list[dict]:
    """Library items as the editor API shows them, each article with the state of its reading (朗读)."""
    db = get_db()
    reading_states = readings.states(db, found, current_app.config["READ_ALOUD"])
    answer = []
    for item in found:
        shown = item_json(item)
        if item.kind == "article":
            made = readings.current(db, item.id, item.body_text) \
                if reading_states[item.id] in ("ready", "recorded") else None  # a URL only for one that is there
            shown["reading"] = {"state": reading_states[item.id], "kind": made.kind if made else None,
                                "url": media_url(made.path) if made else None,
                                "duration_s": made.duration_s if made else None}
        answer.append(shown)
    return answer


def _one(item_id: int) -> dict:
    return _with_readings([library.get_item(get_db(), current_user(), item_id)])[0]


def item_json(item: LibraryItem) -> dict:
    """A library item as the editor API shows it, with its latest job (or None) and media URLs."""
    job = None if item.job_id is None else {
        "id": item.job_id, "state": item.job_state, "progress": round(item.job_progress or 0, 1),
        "eta_s": None if item.job_eta_s is None else round(item.job_eta_s), "error": item.job_error}
    return {"id": item.id, "kind": item.kind, "board_id": item.board_id, "title": item.title,
            "speaker": item.speaker, "description": item.description, "state": item.state,
            "publish_at": item.publish_at, "expire_at": item.expire_at, "pinned": item.pinned,
            "sort_order": item.sort_order, "duration_s": item.duration_s, "ready": item.ready,
            "thumbnail_url": media_url(item.thumbnail_path), "hls_url": media_url(item.hls_path),
            "body_markdown": item.body_markdown, "updated_at": item.updated_at, "job": job,
            "targets": list(item.targets), "subtitles": list(item.subtitles)}


@bp.get("/editor/items")
@require_editor
def editor_items():
    """Items of the caller's boards in every state; filters: board, state, kind, q (title, speaker, text)."""
    found = library.list_items(get_db(), current_lineup(), current_user(), board_id=request.args.get("board", ""),
                               state=request.args.get("state", ""), kind=request.args.get("kind", ""),
                               query=request.args.get("q", ""))
    return jsonify({"items": _with_readings(found), "limit": library.MAX_ROWS})


@bp.get("/editor/items/<int:item_id>")
@require_editor
def editor_item(item_id: int):
    """One item of the caller's boards, in the library's shape; 404 for another board's item."""
    return jsonify(_one(item_id))


def _changes(body: dict) -> dict:
    """The JSON body as typed changes for items.update_item (unknown names are refused there)."""
    changes = dict(body)
    for name in ("publish_at", "expire_at"):
        if name in changes:
            changes[name] = time_field(body, name, required=False)
    if "targets" in changes:
        targets = changes["targets"]
        if not isinstance(targets, list) or not all(is_whole_number(t) for t in targets):
            raise UserError("item.bad_targets", value=targets)
    if "sort_order" in changes:
        int_field(changes, "sort_order")
    return changes


@bp.patch("/editor/items/<int:item_id>")
@require_editor
def edit_item(item_id: int):
    """Change any of items.EDITABLE; "state": "published" publishes (a video once it is ready)."""
    db = get_db()
    items.update_item(db, current_lineup(), item_id, _changes(json_body()), may_edit=current_user().may_edit,
                      now=clock())
    wake_jobs()  # a published or changed article is read aloud again
    return jsonify(_one(item_id))


@bp.post("/editor/articles")
@require_editor
def create_article():
    """Create an article from {board_id, title, body_markdown, state, publish_at, targets, ...} (201)."""
    body = json_body()
    board_id = str(body.get("board_id") or "")
    if not current_user().may_edit(board_id) and board_id in current_lineup().boards_by_id:
        raise UserError("item.board_not_yours", status=403, error_code="forbidden", value=board_id)
    changes = _changes({k: body[k] for k in ("publish_at", "expire_at", "targets") if k in body})
    item_id = items.create_item(
        get_db(), current_lineup(), kind="article", board_id=board_id, title=str(body.get("title") or ""),
        speaker=str(body.get("speaker") or ""), description=str(body.get("description") or ""),
        state=str(body.get("state") or "draft"), body_markdown=str(body.get("body_markdown") or ""),
        publish_at=changes.get("publish_at"), expire_at=changes.get("expire_at"),
        pinned=bool(body.get("pinned", False)), targets=tuple(changes.get("targets", ())), now=clock())
    wake_jobs()  # a published article is read aloud
    return jsonify(_one(item_id)), 201


@bp.delete("/editor/items/<int:item_id>/reading")
@require_editor
def delete_recorded_reading(item_id: int):
    """Take an article's recorded reading away: boxes get the synthetic one again. 404 when it has none."""
    found = library.get_item(get_db(), current_user(), item_id)
    if found.kind != "article" or not readings.drop_recorded(get_db(), item_id,
                                                             Path(current_app.config["MEDIA_ROOT"]), clock()):
        raise NotFound("reading.no_recording", id=item_id)
    return jsonify(_one(item_id))


@bp.post("/editor/articles/preview")
@require_editor
def preview_article():
    """The article as a box will show it: sanitised HTML and the large-print text."""
    rendered = render_markdown(str(json_body().get("body_markdown") or ""))
    return jsonify({"html": rendered.html, "text": rendered.text, "images": list(rendered.images)})


@bp.post("/editor/images")
@body_limit(MAX_IMAGE_BYTES)
@require_editor
def upload_image():
    """Body: the picture's bytes. Answers its URL and the Markdown that shows it."""
    relative = save_image(request.get_data(cache=False), Path(current_app.config["MEDIA_ROOT"]),
                          current_app.config["FFMPEG"], current_app.config["FFPROBE"])
    url = media_path(relative)
    return jsonify({"path": relative, "url": url, "markdown": f"![]({url})"}), 201



@bp.post("/editor/items/<int:item_id>/thumbnail")
@require_editor
def choose_thumbnail(item_id: int):
    """{"at_s": 125.0}: the picture at that moment of the programme becomes its thumbnail."""
    db = get_db()
    found = library.get_item(db, current_user(), item_id)
    if not found.hls_path:
        raise UserError("item.video_not_ready", status=409)
    relative = thumbnail_at(Path(current_app.config["MEDIA_ROOT"]), found.hls_path, item_id,
                            json_body().get("at_s"), found.duration_s, current_app.config["FFMPEG"])
    items.set_thumbnail(db, item_id, relative, clock())
    return jsonify(item_json(library.get_item(db, current_user(), item_id)))
