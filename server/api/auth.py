"""Device-token authentication for the set-top API."""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from ..context import get_db
from ..devices import Device, authenticate


def clock():
    """The app's clock (tests give a fixed one through create_app)."""
    return current_app.extensions["keting"]["clock"]()


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_device(view):
    """Only an approved box with a valid token gets through; the device is in g.device."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        g.device = authenticate(get_db(), bearer_token(), clock(),
                                current_app.config["DEVICE_SEEN_INTERVAL"])
        return view(*args, **kwargs)
    return wrapper


def current_device() -> Device:
    return g.device
