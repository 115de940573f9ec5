"""Notices: boxes poll them (conditional GET); administrators publish urgent ones."""

from __future__ import annotations

import hashlib
import json

from flask import current_app, jsonify, request

from .. import notices
from ..context import current_lineup, get_db
from ..timestamps import format_utc
from . import bp
from .auth import clock, current_device, require_device
from .editor_auth import current_user, require_admin
from .responses import conditional_json, int_field, json_body, time_field


def notice_json(notice: notices.Notice) -> dict:
    return {"id": notice.id, "kind": notice.kind, "title": notice.title, "body": notice.body,
            "starts_at": format_utc(notice.starts_at), "expires_at": format_utc(notice.expires_at),
            "channel": notice.channel,
            "programme_start": format_utc(notice.programme_start) if notice.programme_start else None}


@bp.get("/notices")
@require_device
def box_notices():
    """What this box should show now. The answer is small, so its tag is a hash of it."""
    config = current_app.config
    found = notices.active_notices(get_db(), current_lineup(), current_device().org_id, clock(),
                                   config["REMINDER_MINUTES"], config["TIMEZONE"], config["LANGUAGE"])
    answer = {"notices": [notice_json(n) for n in found]}
    tag = hashlib.sha256(json.dumps(answer, sort_keys=True).encode()).hexdigest()[:24]
    return conditional_json(tag, lambda: answer)


@bp.get("/admin/notices")
@require_admin
def admin_notices():
    rows = notices.list_notices(get_db(), clock())
    return jsonify({"notices": [{"id": r["id"], "title": r["title"], "body": r["body"], "org_id": r["org_id"],
                                 "starts_at": r["starts_at"], "expires_at": r["expires_at"]} for r in rows]})


@bp.post("/admin/notices")
@require_admin
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
@require_admin
def withdraw_notice(notice_id: int):
    notices.delete_notice(get_db(), notice_id)
    return jsonify({"deleted": notice_id})


@bp.get("/admin/notices/preview")
@require_admin
def preview_for_org():
    """What a box of ?org_id=N (none: no organisation) would show now."""
    raw = request.args.get("org_id")
    config = current_app.config
    found = notices.active_notices(get_db(), current_lineup(), int(raw) if raw and raw.isdigit() else None, clock(),
                                   config["REMINDER_MINUTES"], config["TIMEZONE"], config["LANGUAGE"])
    return jsonify({"notices": [notice_json(n) for n in found]})
