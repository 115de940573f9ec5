"""Administrator API: set-top boxes (approve, revoke), accounts, organisations."""

from __future__ import annotations

from flask import jsonify

from server.accounts import devices, tokens, users
from server.accounts.organisations import list_organisations
from server.accounts.users import User
from server.core.db import write_transaction
from server.core.errors import UserError
from server.records.households import check_device_in_scope
from server.records.members import Scope, organisations_in_scope
from server.web.api import bp
from server.web.api.editor_auth import current_user, require_admin, require_site_admin
from server.web.context import clock, current_lineup, get_db
from server.web.params import int_field, json_body


def device_json(row) -> dict:
    """A box as the administrator API shows it: its pairing, organisation, last sighting and what it plays."""
    return {"id": row["id"], "serial": row["serial"], "name": row["name"], "state": row["state"],
            "pairing_code": row["pairing_code"], "pairing_expires_at": row["pairing_expires_at"],
            "org_id": row["org_id"], "org_name": row["org_name"], "client_version": row["client_version"],
            "registered_at": row["registered_at"], "approved_at": row["approved_at"],
            "last_seen_at": row["last_seen_at"], "playing_channel": row["playing_channel"],
            "playing_item_id": row["playing_item_id"], "playing_title": row["playing_title"],
            "playing_at": row["playing_at"]}


def user_json(user: User) -> dict:
    """An account as the administrator API shows it, with its board limits."""
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "disabled": user.disabled, "boards": list(user.boards), "all_boards": user.all_boards,
            "org_id": user.org_id}


def token_json(token: tokens.TokenInfo) -> dict:
    """An API token as the administrators' list shows it (never the token itself)."""
    return {"id": token.id, "label": token.label, "created_at": token.created_at, "expires_at": token.expires_at,
            "last_used_at": token.last_used_at}


@bp.get("/admin/users/<username>/tokens")
@require_site_admin
def user_tokens(username: str):
    """An account's API tokens, newest first."""
    return jsonify({"tokens": [token_json(t) for t in tokens.list_tokens(get_db(), username)]})


@bp.delete("/admin/users/<username>/tokens/<int:token_id>")
@require_site_admin
def revoke_user_token(username: str, token_id: int):
    """Revoke one of an account's API tokens: it stops working at once."""
    tokens.revoke_token(get_db(), username, token_id)
    return jsonify({"revoked": token_id})


@bp.get("/admin/devices")
@require_admin
def admin_devices():
    """Every box the administrator may see (pending ones too: they belong to no one yet): pending first, revoked
    last, the rest by most recently seen."""
    inside = organisations_in_scope(get_db(), Scope(current_user().org_id))
    return jsonify({"devices": [device_json(row) for row in devices.list_devices(get_db())
                                if row["state"] == "pending" or inside is None or row["org_id"] in inside]})


@bp.post("/admin/devices/approve")
@require_admin
def approve_device():
    """Body: {"pairing_code": "123456", "org_id": 3} (org_id may be null: the whole subdistrict)."""
    body = json_body()
    org_id = int_field(body, "org_id", required=False)
    inside = organisations_in_scope(get_db(), Scope(current_user().org_id))
    if inside is not None and org_id not in inside:
        raise UserError("device.org_outside_scope", status=403, error_code="forbidden")
    device = devices.approve_device(get_db(), str(body.get("pairing_code") or ""), org_id, clock())
    return jsonify({"id": device.id, "state": device.state, "org_id": device.org_id})


@bp.post("/admin/devices/<int:device_id>/revoke")
@require_admin
def revoke_device(device_id: int):
    """Revoke a box by id; answers its id and new state."""
    check_device_in_scope(get_db(), Scope(current_user().org_id), device_id)
    device = devices.revoke_device(get_db(), device_id, clock())
    return jsonify({"id": device.id, "state": device.state})


@bp.get("/admin/organisations")
@require_admin
def admin_organisations():
    """The organisation tree, top first, each with its depth."""
    return jsonify({"organisations": [{"id": o.id, "parent_id": o.parent_id, "name": o.name, "kind": o.kind,
                                       "depth": depth} for depth, o in list_organisations(get_db())]})


@bp.get("/admin/users")
@require_site_admin
def admin_users():
    """Every account with its role, state and board limits."""
    return jsonify({"users": [user_json(u) for u in users.list_users(get_db())]})


def _boards(body: dict) -> tuple[str, ...]:
    boards = body.get("boards") or []
    if not isinstance(boards, list) or not all(isinstance(b, str) for b in boards):
        raise UserError("user.bad_boards", value=boards)
    return tuple(boards)


def _flag(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise UserError("user.bad_flag", field=name, value=value)
    return value


@bp.post("/admin/users")
@require_site_admin
def add_user():
    """Body: {"username", "password", "role": "admin"|"editor", "display_name", "boards": [...]}."""
    body = json_body()
    user = users.add_user(get_db(), current_lineup(), str(body.get("username") or ""),
                          str(body.get("password") or ""), str(body.get("role") or ""), clock(),
                          display_name=str(body.get("display_name") or ""), boards=_boards(body),
                          all_boards=_flag(body, "all_boards"))
    return jsonify(user_json(user)), 201


@bp.patch("/admin/users/<username>")
@require_site_admin
def change_user(username: str):
    """Any of {"role", "boards"}, {"disabled": true|false}, {"password"}: each applied by users.py's rules."""
    body = json_body()
    db, lineup, now = get_db(), current_lineup(), clock()
    known = {"role", "boards", "all_boards", "disabled", "password"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise UserError("user.unknown_field", value=", ".join(unknown), allowed=", ".join(sorted(known)))
    user = users.get_user(db, username)
    with write_transaction(db):
        if "role" in body or "boards" in body or "all_boards" in body:
            users.set_role(db, lineup, user.username, str(body.get("role") or user.role),
                           _boards(body) if "boards" in body else user.boards, now,
                           _flag(body, "all_boards") if "all_boards" in body else user.all_boards)
        if "disabled" in body:
            if body["disabled"] and user.id == current_user().id:
                raise UserError("user.disable_self", status=409)
            users.set_disabled(db, user.username, bool(body["disabled"]), now)
        if "password" in body:
            users.set_password(db, user.username, str(body["password"] or ""), now)
    return jsonify(user_json(users.get_user(db, user.username)))


@bp.put("/admin/users/<username>/org")
@require_site_admin
def set_user_organisation(username: str):
    """Body {"org_id": 3} limits an account to an organisation and what is under it (members, study records);
    {"org_id": null} lifts the limit. Only an administrator of the whole site may do it, and not to themselves."""
    if current_user().org_id is not None:
        raise UserError("user.org_whole_site_only", status=403, error_code="forbidden")
    org_id = int_field(json_body(), "org_id", required=False)
    db = get_db()
    user = users.get_user(db, username)
    if user.id == current_user().id:
        raise UserError("user.org_self", status=409)
    changed = users.set_organisation(db, user.username, org_id, clock())
    return jsonify({**user_json(changed), "org_id": changed.org_id})
