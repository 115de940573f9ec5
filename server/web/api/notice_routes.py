"""Notices: boxes poll them (conditional GET); administrators publish urgent ones."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from flask import current_app, jsonify

from server.broadcast import notices
from server.broadcast.schedule import local_label
from server.core.timestamps import format_utc
from server.web.api import bp
from server.web.api.auth import current_device, require_device
from server.web.api.editor_auth import current_user, require_admin, require_site_admin
from server.web.api.responses import conditional_json
from server.web.context import clock, current_lineup, get_db, poll_cache
from server.web.params import int_arg, int_field, json_body, time_field

# A notice whose time comes shows on boxes within this long (writes show at once).
NOTICE_MEMORY = timedelta(seconds=5)


def notice_json(notice: notices.Notice) -> dict:
    """A notice or broadcast reminder as the set-top API shows it."""
    return {"id": notice.id, "kind": notice.kind, "title": notice.title, "body": notice.body,
            "starts_at": format_utc(notice.starts_at), "expires_at": format_utc(notice.expires_at),
            "channel": notice.channel,
            "programme_start": format_utc(notice.programme_start) if notice.programme_start else None,
            "checkin": None if notice.checkin_until is None else {
                "entry_id": notice.entry_id, "title": notice.programme_title,
                "from": format_utc(notice.programme_start),
                "until": format_utc(notice.checkin_until),
                "until_label": local_label(notice.checkin_until, current_app.config["TIMEZONE"]).split(" ")[1]}}


@bp.get("/notices")
@require_device
def box_notices():
    """What this box should show now. The answer is small, so its tag is a hash of it; each process keeps it
    per organisation until a notice or the schedule changes, for at most NOTICE_MEMORY_S (reminders and
    scheduled notices start by the clock)."""
    config, now, org_id = current_app.config, clock(), current_device().org_id

    def compute():
        found = notices.active_notices(get_db(), current_lineup(), org_id, now,
                                       config["REMINDER_MINUTES"], config["TIMEZONE"], config["LANGUAGE"])
        answer = {"notices": [notice_json(n) for n in found]}
        tag = hashlib.sha256(json.dumps(answer, sort_keys=True).encode()).hexdigest()[:24]
        return (tag, answer), now + NOTICE_MEMORY
    tag, answer = poll_cache().remember(("notices", org_id), now, compute)
    return conditional_json(tag, lambda: answer)


@bp.get("/admin/notices")
@require_admin
def admin_notices():
    """The urgent notices not yet expired, newest first, for administrators."""
    rows = notices.list_notices(get_db(), clock())
    return jsonify({"notices": [{"id": r["id"], "title": r["title"], "body": r["body"], "org_id": r["org_id"],
                                 "starts_at": r["starts_at"], "expires_at": r["expires_at"]} for r in rows]})


@bp.post("/admin/notices")
@require_site_admin
def publish_notice():
    """{"title", "body", "org_id" (optional), "starts_at" (default now), "expires_at"}."""
    body = json_body()
    org_id = int_field(body, "org_id", required=False)
    now = clock()
    notice_id = notices.add_notice(get_db(), title=str(body.get("title") or ""), body=str(body.get("body") or ""),
                                   org_id=org_id, starts_at=time_field(body, "starts_at", required=False) or now,
                                   expires_at=time_field(body, "expires_at"), now=now, user_id=current_user().id)
    return jsonify({"id": notice_id}), 201


@bp.delete("/admin/notices/<int:notice_id>")
@require_site_admin
def withdraw_notice(notice_id: int):
    """Delete an urgent notice by id; answers the id deleted."""
    notices.delete_notice(get_db(), notice_id)
    return jsonify({"deleted": notice_id})


@bp.get("/admin/notices/preview")
@require_admin
def preview_for_org():
    """What a box of ?org_id=N (none: no organisation) would show now."""
    config = current_app.config
    found = notices.active_notices(get_db(), current_lineup(), int_arg("org_id", low=1), clock(),
                                   config["REMINDER_MINUTES"], config["TIMEZONE"], config["LANGUAGE"])
    return jsonify({"notices": [notice_json(n) for n in found]})
