"""出席情况: check-in programmes (签到) and who attended each, by branch, with marks for those who came in person."""

from __future__ import annotations

from datetime import timedelta

from server.records import attendance
from server.web.api.checkin_routes import watched_share
from server.web.console import bp
from server.web.console.access import admin_required
from server.web.console.member_pages import admin_scope
from server.web.console.views import page
from server.web.context import clock, get_db

LIST_PAST_DAYS = 92
LIST_NEXT_DAYS = 14


@bp.get("/attendance")
@admin_required
def attendance_list():
    """Check-in programmes of the last three months and the next two weeks, newest first, with their counts."""
    db, now, share = get_db(), clock(), watched_share()
    entries = attendance.checkin_entries(db, now - timedelta(days=LIST_PAST_DAYS), now + timedelta(days=LIST_NEXT_DAYS))
    events = [(e, attendance.event_attendance(db, admin_scope(), e.id, share) if e.start <= now else None)
              for e in reversed(entries)]
    return page("console/attendance.html", events=events, now=now, Presence=attendance.Presence,
                past_days=LIST_PAST_DAYS)


@bp.get("/attendance/<int:entry_id>")
@admin_required
def attendance_page(entry_id: int):
    """One programme's attendance by branch: checked in (when, how, who marked), watched only, absent."""
    event = attendance.event_attendance(get_db(), admin_scope(), entry_id, watched_share())
    return page("console/attendance_event.html", event=event, now=clock(), Presence=attendance.Presence,
                How=attendance.AttendanceHow, percent=round(event.watched_share * 100))
