"""The server's own front page: what is running and where to go next."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

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


@bp.get("/boards.css")
def board_colours():
    """Each board's tile colour as a class (no inline styles: every page runs under a strict CSP).

    Ids and colours are checked by channels.yaml's reader (a-z, 0-9, _ and -; #RRGGBB).
    """
    rules = "".join(f".board-{board.id} {{ background: {board.colour}; }}\n" for board in current_lineup().boards)
    return Response(rules, mimetype="text/css", headers={"Cache-Control": "max-age=300"})
