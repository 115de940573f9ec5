"""Set-top API: a box registers, shows its pairing code, then collects its token."""

from __future__ import annotations

from flask import current_app, jsonify, request

from ..context import get_db
from ..devices import claim_token, register_device, report_playing
from ..timestamps import format_utc
from . import bp
from .auth import clock, current_device, require_device
from .responses import int_field, json_body


@bp.post("/devices")
def register():
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
    playing = None
    for key, prefix in (("channel", "channel"), ("item_id", "item")):
        value = int_field(body, key, required=False)
        if value is not None:
            playing = f"{prefix}:{value}"
    report_playing(get_db(), current_device().id, playing, clock())
    return jsonify({"playing": playing})
