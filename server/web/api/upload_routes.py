"""Editor API: resumable uploads (tus 1.0: core, creation, expiration, termination) and their jobs."""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import ClientDisconnected

from server.core.errors import UserError
from server.ingest import transcode_jobs, uploads
from server.ingest.subtitles import MAX_BYTES as SUBTITLE_MAX_BYTES
from server.web.api import bp
from server.web.api.editor_auth import current_user, require_editor
from server.web.context import clock, current_lineup, get_db, wake_jobs
from server.web.params import body_limit
from server.web.urls import site_url

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,termination"


class _UntilDisconnect:
    """The request body as a file that ends where the connection broke, so the bytes that
    arrived are kept and the client resumes from there (tus)."""

    def __init__(self, stream):
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes; b"" at the end of the body or of the connection."""
        try:
            return self.stream.read(size)
        except ClientDisconnected:
            return b""


def _tus(response: Response) -> Response:
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_version() -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise UserError("upload.tus_version", status=412, version=TUS_VERSION)


def _originals() -> Path:
    return Path(current_app.config["ORIGINALS_DIR"])


@bp.route("/uploads", methods=["OPTIONS"])
def upload_options():
    """The server's tus capabilities: version, extensions and the largest upload it takes (204)."""
    response = Response(status=204)
    response.headers.update({"Tus-Version": TUS_VERSION, "Tus-Extension": TUS_EXTENSIONS,
                             "Tus-Max-Size": str(current_app.config["MAX_UPLOAD_BYTES"])})
    return _tus(response)


@bp.post("/uploads")
@require_editor
def create_upload():
    """Open a tus upload of Upload-Length bytes with Upload-Metadata (board, filename, title); 201 with its Location."""
    _check_version()
    upload_id, expires_at = uploads.create_upload(
        get_db(), current_lineup(), current_user(), request.headers.get("Upload-Length", ""),
        uploads.parse_metadata(request.headers.get("Upload-Metadata")), clock(), current_app.config)
    response = Response(status=201)
    response.headers["Location"] = site_url(f"api/v1/uploads/{upload_id}")
    response.headers["Upload-Expires"] = expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return _tus(response)


@bp.route("/uploads/<upload_id>", methods=["HEAD"])
@require_editor
def upload_status(upload_id: str):
    """An upload's Upload-Offset and Upload-Length, and once finished the item and job it became (tus HEAD)."""
    _check_version()
    row = uploads.get_upload(get_db(), upload_id, current_user(), clock(), _originals())
    response = Response(status=200)
    response.headers.update({"Upload-Offset": str(row["offset"]), "Upload-Length": str(row["length"])})
    if row["item_id"] is not None:  # finished: what it became (a page reloaded at the last byte)
        response.headers.update({"Keting-Item-Id": str(row["item_id"]), "Keting-Job-Id": str(row["job_id"])})
    return _tus(response)


@bp.patch("/uploads/<upload_id>")
@body_limit(lambda: current_app.config["MAX_UPLOAD_BYTES"])  # streamed to disk in pieces, never held
@require_editor
def upload_append(upload_id: str):
    """Append a PATCH's bytes at Upload-Offset; the last byte turns the upload into an item and a queued job."""
    _check_version()
    if request.mimetype != "application/offset+octet-stream":
        raise UserError("upload.bad_content_type", status=415)
    db = get_db()
    offset = uploads.append(db, upload_id, current_user(), request.headers.get("Upload-Offset", ""),
                            _UntilDisconnect(request.stream), clock(), _originals())
    response = Response(status=204)
    response.headers["Upload-Offset"] = str(offset)
    row = db.execute("SELECT length FROM uploads WHERE id = ?", [upload_id]).fetchone()
    if offset == row["length"]:
        accepted = uploads.finish(db, current_lineup(), upload_id, clock(), current_app.config)
        response.headers["Keting-Item-Id"] = str(accepted.item_id)
        response.headers["Keting-Job-Id"] = str(accepted.job_id)
        wake_jobs()
    return _tus(response)


@bp.delete("/uploads/<upload_id>")
@require_editor
def upload_cancel(upload_id: str):
    """Cancel an upload and delete its bytes (tus termination, 204)."""
    _check_version()
    uploads.get_upload(get_db(), upload_id, current_user(), clock(), _originals())
    uploads.discard(get_db(), upload_id, _originals())
    return _tus(Response(status=204))


@bp.put("/items/<int:item_id>/subtitles/<lang>")
@body_limit(SUBTITLE_MAX_BYTES)
@require_editor
def put_subtitles(item_id: int, lang: str):
    """Body: the SRT or WebVTT file. ?label=中文 names it in the player's menu."""
    from server.ingest.subtitles import save_subtitles

    db = get_db()
    row = db.execute("SELECT board_id FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None or not current_user().may_edit(row["board_id"]):
        raise UserError("item.not_found", status=404, id=item_id)
    path = save_subtitles(db, Path(current_app.config["MEDIA_ROOT"]), item_id, lang,
                          request.args.get("label", ""), request.get_data(cache=False))
    return jsonify({"item_id": item_id, "lang": lang, "path": path})


def _job_json(job: transcode_jobs.Job) -> dict:
    return {"id": job.id, "item_id": job.item_id, "state": job.state, "progress": round(job.progress, 1),
            "eta_s": None if job.eta_s is None else round(job.eta_s), "attempts": job.attempts,
            "error": job.error_tail}


def _job_for_editor(job_id: int) -> transcode_jobs.Job:
    job = transcode_jobs.get_job(get_db(), job_id)
    board = get_db().execute("SELECT board_id FROM items WHERE id = ?", [job.item_id]).fetchone()[0]
    if not current_user().may_edit(board):
        raise UserError("job.not_found", status=404, id=job_id)
    return job


@bp.get("/jobs/<int:job_id>")
@require_editor
def job_status(job_id: int):
    """A transcode job of the caller's boards: state, progress, ETA, attempts and error."""
    return jsonify(_job_json(_job_for_editor(job_id)))


@bp.post("/jobs/<int:job_id>/cancel")
@require_editor
def job_cancel(job_id: int):
    """Cancel a queued or running job of the caller's boards; answers the job."""
    _job_for_editor(job_id)
    job = transcode_jobs.cancel(get_db(), job_id, clock())
    wake_jobs()
    return jsonify(_job_json(job))


@bp.post("/jobs/<int:job_id>/retry")
@require_editor
def job_retry(job_id: int):
    """Queue a failed or cancelled job of the caller's boards again; answers the job."""
    _job_for_editor(job_id)
    job = transcode_jobs.retry(get_db(), job_id)
    wake_jobs()
    return jsonify(_job_json(job))

