"""JSON responses shared by the API routes: the one error shape, the error handlers, conditional GETs."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from keting_i18n import text
from server.core.errors import UserError


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
    """A UserError as the API's error shape, its message in the server's language."""
    return error_response(error.status, error.code, error.message(_lang()))


def handle_http_error(error: HTTPException) -> Response:
    """Werkzeug's own errors (unknown route, wrong method, bad JSON) in the API's shape."""
    code = {404: "not_found", 405: "method_not_allowed", 400: "bad_request",
            413: "too_large", 415: "unsupported_media_type"}.get(error.code or 500, "http_error")
    message_id = f"api.http_{error.code}" if error.code in (400, 404, 405, 413, 415) else "api.http_other"
    return error_response(error.code or 500, code, text(message_id, lang=_lang(), status=error.code))


def handle_unexpected(error: Exception) -> Response:
    """Log an unhandled exception and answer a 500 in the API's error shape."""
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", text("api.internal_error", lang=_lang()))


def _html_error(status: int, message: str) -> Response:
    """An error page for people (not the API): the message is escaped by the template, never sent raw."""
    response = Response(render_template("error.html", status=status, message=message), status=status,
                        mimetype="text/html")
    return response


def register_error_handlers(app: Flask) -> None:
    """JSON errors for /api/ paths; an escaped HTML page (error.html) everywhere else."""
    def for_api(handler, fallback):
        def dispatch(error):
            if request.path.startswith("/api/"):
                return handler(error)
            return fallback(error)
        return dispatch

    def html_user_error(error: UserError) -> Response:
        return _html_error(error.status, error.message(_lang()))

    def html_http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error  # redirects are not errors
        message_id = {404: "page.not_found", 405: "page.not_found"}.get(error.code) or (
            f"api.http_{error.code}" if error.code in (400, 413, 415) else "api.http_other")
        return _html_error(error.code, text(message_id, lang=_lang(), status=error.code))

    def html_unexpected(error: Exception) -> Response:
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _html_error(500, text("api.internal_error", lang=_lang()))

    app.register_error_handler(UserError, for_api(handle_user_error, html_user_error))
    app.register_error_handler(HTTPException, for_api(handle_http_error, html_http_error))
    app.register_error_handler(Exception, for_api(handle_unexpected, html_unexpected))


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
