"""Serving media/ in development. In production nginx serves the same folder (docs/deploy.md)."""

from __future__ import annotations

import mimetypes

from flask import Blueprint, current_app, send_from_directory

# Python's table lacks the HLS types and maps .ts to Qt translations on some systems.
MEDIA_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t",
               ".m4s": "video/iso.segment", ".vtt": "text/vtt", ".webp": "image/webp"}
for _suffix, _type in MEDIA_TYPES.items():
    mimetypes.add_type(_type, _suffix)

bp = Blueprint("media", __name__)


@bp.get("/media/<path:filename>")
def media_file(filename: str):
    """A file under MEDIA_ROOT, with Range support; playlists are revalidated every time, the rest cached an hour."""
    # send_from_directory refuses paths that leave MEDIA_ROOT (../) and answers
    # Range and conditional requests, which players use for seeking.
    playlist = filename.endswith(".m3u8")
    response = send_from_directory(current_app.config["MEDIA_ROOT"], filename,
                                   max_age=0 if playlist else 3600)
    if playlist:
        response.headers["Cache-Control"] = "no-cache"
    return response
