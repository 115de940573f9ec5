"""Administrator API: set-top boxes (approve, revoke), accounts, organisations."""

from __future__ import annotations

from flask import jsonify

from .. import devices, users
from ..context import current_lineup, get_db
from ..errors import UserError
from ..organisations import list_organisations
from ..users import User
from . import bp
from .auth import clock
from .editor_auth import current_user, require_admin
from .responses import int_field, json_body


def device_json(row) -> dict:
    return {"id": row["id"], "serial": row["serial"], "name": row["name"], "state": row["state"],
            "pairing_code": row["pairing_code"], "pairing_expires_at": row["pairing_expires_at"],
            "org_id": row["org_id"], "org_name": row["org_name"], "client_version": row["client_version"],
            "registered_at": row["registered_at"], "approved_at": row["approved_at"],
            "last_seen_at": row["last_seen_at"], "playing": row["playing"], "playing_at": row["playing_at"]}


def user_json(user: User) -> dict:
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "disabled": user.disabled, "boards": list(user.boards)}


@bp.get("/admin/devices")
@require_admin
def admin_devices():
    return jsonify({"devices": [device_json(row) for row in devices.list_devices(get_db())]})


@bp.post("/admin/devices/approve")
@require_admin
def approve_device():
    """Body: {"pairing_code": "123456", "org_id": 3} (org_id may be null: the whole subdistrict)."""
    body = json_body()
    org_id = int_field(body, "org_id", required=False)
    device = devices.approve_device(get_db(), str(body.get("pairing_code") or ""), org_id, clock())
    return jsonify({"id": device.id, "state": device.state, "org_id": device.org_id})


@bp.post("/admin/devices/<int:device_id>/revoke")
@require_admin
def revoke_device(device_id: int):
    device = devices.revoke_device(get_db(), device_id, clock())
    return jsonify({"id": device.id, "state": device.state})


@bp.get("/admin/organisations")
@require_admin
def admin_organisations():
    return jsonify({"organisations": [{"id": o.id, "parent_id": o.parent_id, "name": o.name, "kind": o.kind,
                                       "depth": depth} for depth, o in list_organisations(get_db())]})


@bp.get("/admin/users")
@require_admin
def admin_users():
    return jsonify({"users": [user_json(u) for u in users.list_users(get_db())]})


def _boards(body: dict) -> tuple[str, ...]:
    boards = body.get("boards") or []
    if not isinstance(boards, list) or not all(isinstance(b, str) for b in boards):
        raise UserError("user.bad_boards", value=boards)
    return tuple(boards)


@bp.post("/admin/users")
@require_admin
def add_user():
    """Body: {"username", "password", "role": "admin"|"editor", "display_name", "boards": [...]}."""
    body = json_body()
    user = users.add_user(get_db(), current_lineup(), str(body.get("username") or ""),
                          str(body.get("password") or ""), str(body.get("role") or ""), clock(),
                          display_name=str(body.get("display_name") or ""), boards=_boards(body))
    return jsonify(user_json(user)), 201


@bp.patch("/admin/users/<username>")
@require_admin
def change_user(username: str):
    """Any of {"role", "boards"}, {"disabled": true|false}, {"password"}: each applied by users.py's rules."""
    body = json_body()
    db, lineup, now = get_db(), current_lineup(), clock()
    known = {"role", "boards", "disabled", "password"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise UserError("user.unknown_field", value=", ".join(unknown), allowed=", ".join(sorted(known)))
    user = users.get_user(db, username)
    with db.atomic():
        if "role" in body or "boards" in body:
            users.set_role(db, lineup, user.username, str(body.get("role") or user.role),
                           _boards(body) if "boards" in body else user.boards, now)
        if "disabled" in body:
            if body["disabled"] and user.id == current_user().id:
                raise UserError("user.disable_self", status=409)
            users.set_disabled(db, user.username, bool(body["disabled"]), now)
        if "password" in body:
            users.set_password(db, user.username, str(body["password"] or ""), now)
    return jsonify(user_json(users.get_user(db, user.username)))

