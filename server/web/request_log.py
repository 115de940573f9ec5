"""Logging for `keting serve`: one format on stderr (the journal under systemd), with request ids.

nginx gives every request an id ($request_id, sent as X-Request-Id); the app
takes it (or makes one when it faces clients itself), answers it back in the
X-Request-Id header and puts it in every log line written while the request
runs, so an access-log line and an error's traceback can be matched.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time

from flask import Flask, g, has_request_context, request

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# An id from nginx is 32 hex digits; anything else a client sends is replaced, never logged.
ID_PATTERN = re.compile(r"[A-Za-z0-9-]{8,64}")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the current request's, or "-" outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; only annotate it."""
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure(level: str) -> None:
    """Send every log record (the app's, gunicorn's, APScheduler's) to stderr in FORMAT at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))


def init_app(app: Flask, observe=lambda seconds, request_kind: None) -> None:
    """Give each request an id (X-Request-Id in and out) and report its duration to `observe`."""
    @app.before_request
    def take_id():
        sent = request.headers.get("X-Request-Id", "")
        g.request_id = sent if ID_PATTERN.fullmatch(sent) else secrets.token_hex(16)
        g.request_started = time.perf_counter()

    @app.after_request
    def give_id(response):
        response.headers["X-Request-Id"] = g.get("request_id", "-")
        started = g.get("request_started")
        if started is not None:
            observe(time.perf_counter() - started, request_kind())
        return response


def request_kind() -> str:
    """A bounded label for a request, for metrics: the route's endpoint name, never the raw path."""
    return request.endpoint or "not_found"
