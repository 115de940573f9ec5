"""The server's own front page: what is running and where to go next."""

from __future__ import annotations

from flask import Blueprint, render_template

from server.web.context import current_lineup, get_db

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The front page: boards with their published item counts, channels, and boxes by state."""
    db = get_db()
    counts = dict(db.execute(
        "SELECT board_id, count(*) FROM items WHERE state = 'published' GROUP BY board_id").fetchall())
    devices = dict(db.execute("SELECT state, count(*) FROM devices GROUP BY state").fetchall())
    return render_template("index.html", boards=current_lineup().boards, counts=counts,
                           channels=current_lineup().channels, devices=devices)
