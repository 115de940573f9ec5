"""Set-top API: a box registers, shows its pairing code, then collects its token."""

from __future__ import annotations

from flask import current_app, jsonify, request

from server.accounts.devices import claim_token, register_device, report_playing
from server.core.timestamps import format_utc
from server.web.api import bp
from server.web.api.auth import current_device, require_device
from server.web.context import clock, get_db
from server.web.params import int_field, json_body


@bp.post("/devices")
def register():
    """Register a box from {serial, name, client_version}: its pairing and device codes and poll interval (201)."""
    body = json_body()
    now = clock()
    registration = register_device(get_db(), body.get("serial"), body.get("name"),
                                   body.get("client_version"), now,
                                   current_app.config["PAIRING_CODE_TTL"], request.remote_addr or "unknown",
                                   current_app.config["DEVICE_REGISTRATIONS_PER_HOUR"])
    response = jsonify({
        "device_id": registration.device_id,
        "pairing_code": registration.pairing_code,
        "device_code": registration.device_code,
        "expires_at": format_utc(registration.expires_at),
        "expires_in": int((registration.expires_at - now).total_seconds()),
        "interval": current_app.config["PAIRING_POLL_INTERVAL"],
    })
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/devices/token")
def token():
    """Answer a box polling with {device_code}: 202 and its pairing code while pending, then its token once."""
    body = json_body()
    now = clock()
    claim = claim_token(get_db(), body.get("device_code"), now)
    if claim.status == "pending":
        response = jsonify({"status": "pending", "pairing_code": claim.pairing_code,
                            "expires_in": int((claim.expires_at - now).total_seconds()),
                            "interval": current_app.config["PAIRING_POLL_INTERVAL"]})
        response.status_code = 202
    else:
        response = jsonify({"status": "approved", "token": claim.token})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.put("/playing")
@require_device
def put_playing():
    """What the box shows now, for the administrators' device list:
    {"channel": 1}, {"item_id": 42}, or {} for the menus."""
    body = json_body()
    channel, item_id = int_field(body, "channel", required=False), int_field(body, "item_id", required=False)
    if channel is not None:
        item_id = None  # a channel wins: its programme is what the viewer sees
    elif item_id is not None and get_db().execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone() is None:
        item_id = None  # an item deleted meanwhile: the menus, as far as the list can tell
    report_playing(get_db(), current_device().id, channel, item_id, clock())
    return jsonify({"channel": channel, "item_id": item_id})
