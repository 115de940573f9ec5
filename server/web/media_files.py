"""Serving media/ in development. In production nginx serves the same folder (docs/deploy.md)."""

from __future__ import annotations

import mimetypes

from flask import Blueprint, abort, current_app, send_from_directory

from server.core.media_signing import SIGNED_PREFIX, MediaSigner, plain_path, protected_root
from server.web.context import clock

# Python's table lacks the HLS types and maps .ts to Qt translations on some systems.
MEDIA_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t",
               ".m4s": "video/iso.segment", ".vtt": "text/vtt", ".webp": "image/webp",
               ".m4a": "audio/mp4"}
for _suffix, _type in MEDIA_TYPES.items():
    mimetypes.add_type(_type, _suffix)

bp = Blueprint("media", __name__)


@bp.get("/media/<path:filename>")
def media_file(filename: str):
    """A file under MEDIA_ROOT, with Range support; playlists are revalidated every time, the rest cached an hour.

    As nginx does in production (deploy.md): items' segments and subtitles only through a signed, unexpired
    path (s/<expires>/<signature>/vod/…); asked for directly, 403; a signature that expired, 410.
    """
    if not plain_path(filename):
        abort(404)  # "..", "." or an empty part: a way round the signature check once normalised
    if filename.startswith(f"{SIGNED_PREFIX}/"):
        checked = MediaSigner(current_app.config["MEDIA_SIGNING_KEY"]).check(filename, clock().timestamp())
        if checked is None:
            signer = MediaSigner(current_app.config["MEDIA_SIGNING_KEY"])
            abort(410 if signer.check(filename, 0) is not None else 403)  # a good signature, but expired
        filename = checked
    elif protected_root(filename) is not None:
        abort(403)
    # send_from_directory refuses paths that leave MEDIA_ROOT (../) and answers
    # Range and conditional requests, which players use for seeking.
    playlist = filename.endswith(".m3u8")
    response = send_from_directory(current_app.config["MEDIA_ROOT"], filename,
                                   max_age=0 if playlist else 3600)
    if playlist:
        response.headers["Cache-Control"] = "no-cache"
    return response

