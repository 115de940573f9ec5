"""Set-top API for the TV's Home rows: 最近看过 (recently watched, with resume points) and 收藏 (favourites)."""

from __future__ import annotations

import re

from flask import jsonify, request

from server.catalogue import favourites
from server.catalogue.favourites import Owners
from server.catalogue.visibility import Viewer, visible_items
from server.core.db import write_transaction
from server.core.errors import UserError
from server.records import recents
from server.records.households import MAX_MEMBERS, viewers
from server.web.api import bp
from server.web.api.auth import current_device, require_device
from server.web.api.catalogue_routes import item_id_of, item_summary, visible_item_or_404
from server.web.context import clock, current_lineup, get_db

ROW_LIMIT = 30  # items in each row of Home
SCAN = 300  # favourites read before hidden ones are left out
_MEMBERS = re.compile(rf"[0-9]{{1,18}}(,[0-9]{{1,18}}){{0,{MAX_MEMBERS - 1}}}")


def _owners(writing: bool = False) -> Owners:
    """Whose rows, from ?members=1,2 (the members watching; those not of this box's household are left out):
    those members, or the box itself when none is given. Reading, a list with nobody of the household left reads
    the box's own; writing, it is refused (the box's list of members is stale: it should not write elsewhere)."""
    device = current_device()
    raw = request.args.get("members", "").strip()
    if raw and not _MEMBERS.fullmatch(raw):
        raise UserError("api.bad_members", value=raw[:40], limit=MAX_MEMBERS)
    asked = {int(part) for part in raw.split(",")} if raw else set()
    household = {member.id for member in viewers(get_db(), device.id)}
    if writing and asked and not asked & household:
        raise UserError("favourites.not_household", status=403, value=raw[:40])
    return Owners(device.id, tuple(sorted(asked & household)))


@bp.get("/home")
@require_device
def home_rows():
    """Home's two rows for the members watching: the videos they watched last, with where to resume each, and
    what they keep as favourites; only items this box may see now."""
    db, device, owners = get_db(), current_device(), _owners()
    viewer = Viewer(org_id=device.org_id, now=clock())
    watched = recents.recent(db, owners)
    kept = favourites.kept(db, owners)
    rows = visible_items(db, current_lineup(), viewer, [r.item_id for r in watched] + [i for i, _ in kept[:SCAN]])
    recent = [{**item_summary(rows[r.item_id]), "watched_at": round(r.watched_at),
               "resume_s": round(recents.resume_from(r.stopped_s, rows[r.item_id]["duration_s"]), 1)}
              for r in watched if r.item_id in rows and rows[r.item_id]["kind"] == "video"][:ROW_LIMIT]
    kept_rows = [{**item_summary(rows[item_id]), "added_at": added} for item_id, added in kept
                 if item_id in rows][:ROW_LIMIT]
    response = jsonify({"members": list(owners.member_ids), "recent": recent, "favourites": kept_rows,
                        "favourite_ids": [item_id for item_id, _ in kept]})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.put("/favourites/<item_id>")
@require_device
def add_favourite(item_id: str):
    """Keep an item this box may see as a favourite of the members watching (?members=), or of the box."""
    db, row, owners = get_db(), visible_item_or_404(item_id), _owners(writing=True)
    with write_transaction(db):
        favourites.add(db, owners, row["id"], clock())
    return jsonify({"item_id": row["id"], "favourite": True, "members": list(owners.member_ids)})


@bp.delete("/favourites/<item_id>")
@require_device
def remove_favourite(item_id: str):
    """Take an item away from the favourites of the members watching (?members=), or of the box. An item that
    is gone or hidden can be taken away too."""
    number, db, owners = item_id_of(item_id), get_db(), _owners(writing=True)
    with write_transaction(db):
        favourites.remove(db, owners, number)
    return jsonify({"item_id": number, "favourite": False, "members": list(owners.member_ids)})
