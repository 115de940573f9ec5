"""JSON responses and request parsing shared by the API routes."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urljoin

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from keting_i18n import text

from ..errors import UserError
from ..timestamps import parse_time


def error_response(status: int, code: str, message: str) -> Response:
    """The one error shape of the API: {"error": {"code", "message"}}."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="keting"'
    return response


def _lang() -> str:
    return current_app.config["LANGUAGE"]


def handle_user_error(error: UserError) -> Response:
    return error_response(error.status, error.code, error.message(_lang()))


def handle_http_error(error: HTTPException) -> Response:
    """Werkzeug's own errors (unknown route, wrong method, bad JSON) in the API's shape."""
    code = {404: "not_found", 405: "method_not_allowed", 400: "bad_request",
            413: "too_large", 415: "unsupported_media_type"}.get(error.code or 500, "http_error")
    message_id = f"api.http_{error.code}" if error.code in (400, 404, 405, 413, 415) else "api.http_other"
    return error_response(error.code or 500, code, text(message_id, lang=_lang(), status=error.code))


def handle_unexpected(error: Exception) -> Response:
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", text("api.internal_error", lang=_lang()))


def register_error_handlers(app: Flask) -> None:
    """JSON errors for /api/ paths; other paths keep Flask's default pages."""
    def for_api(handler, fallback):
        def dispatch(error):
            if request.path.startswith("/api/"):
                return handler(error)
            return fallback(error)
        return dispatch

    def html_user_error(error: UserError):
        return error.message(_lang()), error.status

    app.register_error_handler(UserError, for_api(handle_user_error, html_user_error))
    app.register_error_handler(HTTPException, for_api(handle_http_error, lambda e: e))
    def html_unexpected(error: Exception):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return text("api.internal_error", lang=_lang()), 500

    app.register_error_handler(Exception, for_api(handle_unexpected, html_unexpected))


def int_param(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high]; 400 with a clear message otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UserError("api.bad_int_param", name=name, value=raw, low=low, high=high) from None
    if not low <= value <= high:
        raise UserError("api.bad_int_param", name=name, value=raw, low=low, high=high)
    return value


def time_field(source, name: str, required: bool = True) -> datetime | None:
    """An ISO 8601 time with a zone from a JSON body or the query string. Absent (or empty)
    gives None when not required; anything else that is not such a time is a 400 naming the field."""
    raw = source.get(name)
    if raw is None or raw == "":
        if required:
            raise UserError("schedule.bad_time", field=name, value="")
        return None
    if not isinstance(raw, str):
        raise UserError("schedule.bad_time", field=name, value=raw)
    try:
        return parse_time(raw)
    except ValueError:
        raise UserError("schedule.bad_time", field=name, value=raw) from None


def int_field(source: dict, name: str, required: bool = True) -> int | None:
    """A whole number from a JSON body; absent (null) gives None when not required; 400 naming the field."""
    raw = source.get(name)
    if raw is None and not required:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise UserError("schedule.bad_number", field=name, value=raw if raw is not None else "")
    return raw


def json_body() -> dict:
    """The request's JSON object; 400 with a clear message when it is missing or not an object."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise UserError("api.body_not_json_object")
    return body


def media_url(path: str | None) -> str | None:
    """Absolute URL of a file under MEDIA_ROOT, as the set-top box must fetch it.

    `path` is relative to MEDIA_ROOT; a path starting with / or a full URL
    (an image an editor linked) resolves as a browser would resolve it.
    """
    if not path:
        return None
    base = urljoin(request.host_url, current_app.config["MEDIA_URL"])
    if not base.endswith("/"):
        base += "/"
    return urljoin(base, path)


def conditional_json(etag: str, build) -> Response:
    """Answer 304 when the box already has this version; otherwise build the JSON once."""
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = jsonify(build())
    response.set_etag(etag)
    # Each box must revalidate (the answer depends on its organisation and the clock).
    response.headers["Cache-Control"] = "private, no-cache"
    return response
