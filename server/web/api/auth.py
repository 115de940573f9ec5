"""Device-token authentication for the set-top API."""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from server.accounts.devices import Device
from server.web.context import clock, get_db, poll_cache


def bearer_token() -> str | None:
    """The token of the request's `Authorization: Bearer` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_device(view):
    """Only an approved box with a valid token gets through; the device is in g.device.

    The token is checked against the database only when boxes' credentials changed (poll_cache.py).
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        g.device = poll_cache().device(get_db, bearer_token(), clock(), current_app.config["DEVICE_SEEN_INTERVAL"])
        return view(*args, **kwargs)
    return wrapper


def current_device() -> Device:
    """The box that made this request (set by require_device)."""
    return g.device
