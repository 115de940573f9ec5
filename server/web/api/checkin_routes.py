"""Check-in (签到) at broadcasts: boxes check in the members watching; administrators read and mark attendance."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, jsonify

from server.broadcast.schedule import local_label
from server.core.timestamps import format_utc
from server.records import attendance
from server.records.attendance import EventAttendance
from server.records.study_settings import checkin_watched_share
from server.web.api import bp
from server.web.api.auth import current_device, require_device
from server.web.api.editor_auth import current_user, require_admin
from server.web.api.member_routes import scope
from server.web.context import clock, get_db
from server.web.params import json_body, time_range

MAX_LIST_DAYS = 400


def _zone() -> str:
    return current_app.config["TIMEZONE"]


def watched_share() -> float:
    """The site's CHECKIN_WATCHED_PERCENT as a share (the API and the console's 签到出席 read it here)."""
    return checkin_watched_share(current_app.config)


@bp.post("/checkins")
@require_device
def box_check_in():
    """Body {entry_id, members}: check in the members watching at a check-in programme now on."""
    body = json_body()
    entry, done = attendance.check_in(get_db(), current_device().id, body.get("entry_id"), body.get("members"),
                                      clock(), _zone())
    return jsonify({"entry_id": entry.id, "title": entry.title, "checked_in": [
        {"member_id": c.member_id, "name": c.name, "at": format_utc(c.at),
         "at_label": local_label(c.at, _zone()).split(" ")[1], "already": c.already} for c in done]})


def attendance_json(event: EventAttendance) -> dict:
    """A check-in programme's attendance by branch, with counts."""
    entry = event.entry
    counts = {p.value: event.count(p) for p in attendance.Presence}
    return {"entry_id": entry.id, "title": entry.title, "channel": entry.channel, "start": format_utc(entry.start),
            "started": entry.start <= clock(),
            "end": format_utc(entry.end), "checkin_until": format_utc(entry.checkin_until),
            "watched_share": event.watched_share, "members": event.members, "manual": event.manual, **counts,
            "branches": [{"branch_id": b.branch_id, "name": b.name, "community": b.community,
                          **{p.value: b.count(p) for p in attendance.Presence},
                          "members": [{"member_id": a.member_id, "name": a.name, "presence": a.presence.value,
                                       "watched_s": round(a.watched_s), "how": a.how and a.how.value,
                                       "at": a.at and format_utc(a.at), "marked_by": a.marked_by}
                                      for a in b.attendees]} for b in event.branches]}


@bp.get("/admin/checkins")
@require_admin
def list_checkin_events():
    """Check-in programmes starting in [from, to) (default: the last 30 days and the next 7) with their counts."""
    start, end = time_range(clock() - timedelta(days=30), timedelta(days=37), MAX_LIST_DAYS)
    db, share = get_db(), watched_share()
    events = [attendance.event_attendance(db, scope(), entry.id, share)
              for entry in attendance.checkin_entries(db, start, end)]
    return jsonify({"events": [{k: v for k, v in attendance_json(e).items() if k != "branches"} for e in events]})


@bp.get("/admin/checkins/<int:entry_id>")
@require_admin
def checkin_event(entry_id: int):
    """Who attended a check-in programme, by branch (the administrator's scope)."""
    return jsonify(attendance_json(attendance.event_attendance(get_db(), scope(), entry_id, watched_share())))


@bp.put("/admin/checkins/<int:entry_id>/members/<int:member_id>")
@require_admin
def mark_attended(entry_id: int, member_id: int):
    """Mark a member as attending in person (kept with the administrator's name); 200 if already checked in."""
    added = attendance.mark(get_db(), scope(), entry_id, member_id, current_user().username, clock(), _zone())
    return jsonify({"entry_id": entry_id, "member_id": member_id, "marked": added}), 201 if added else 200


@bp.delete("/admin/checkins/<int:entry_id>/members/<int:member_id>")
@require_admin
def unmark_attended(entry_id: int, member_id: int):
    """Take back a mark made by an administrator (a box's check-in stays)."""
    attendance.unmark(get_db(), scope(), entry_id, member_id)
    return jsonify({"entry_id": entry_id, "member_id": member_id, "marked": False})
