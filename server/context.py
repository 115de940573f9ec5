"""Per-application objects reachable from a request or a CLI command."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlite_utils import Database

from .channels_yaml import Lineup
from .db import connect


def get_db() -> Database:
    """The current request's (or command's) database connection, opened on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_error: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def current_lineup() -> Lineup:
    """The boards, channels and ladder loaded from channels.yaml at start."""
    return current_app.extensions["keting"]["lineup"]


def init_app(app: Flask, lineup: Lineup) -> None:
    app.extensions["keting"] = {"lineup": lineup}
    app.teardown_appcontext(close_db)
