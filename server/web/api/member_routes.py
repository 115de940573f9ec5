"""Administrator API for study records: members, roster files, households, a member's record, the rules."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, current_app, jsonify, request

from keting_i18n import text
from server.core.errors import UserError
from server.records import households, members, roster, roster_import, study
from server.records.study_settings import rules_from, rules_in_words
from server.web.api import bp
from server.web.api.editor_auth import current_user, require_admin
from server.web.context import clock, get_db
from server.web.params import body_limit, bool_field, flag_arg, int_arg, json_body


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def scope() -> members.Scope:
    """What the administrator asking may see: their organisation and below, or everything."""
    return members.Scope(current_user().org_id)


def member_json(member: members.Member) -> dict:
    """A member as the administrator API shows them."""
    return {"id": member.id, "name": member.name, "branch_id": member.branch_id, "branch_name": member.branch_name,
            "phone": member.phone, "member_no": member.member_no or None, "active": member.active,
            "household_id": member.household_id}


def error_json(error: roster.RowError) -> dict:
    """A roster row's problem with its message in words."""
    return {"line": error.line, "column": error.column, "code": error.message_id.rsplit(".", 1)[-1],
            "message": text(error.message_id, **dict(error.params))}


@bp.get("/admin/members")
@require_admin
def list_members():
    """Members in the administrator's scope: ?q (name, phone or number), ?branch_id, ?active, ?page, ?per_page."""
    active = request.args.get("active")
    if active not in (None, "", "0", "1", "true", "false"):
        raise UserError("api.bad_flag_param", name="active", value=active)
    page = int_arg("page", 1, 1, 100_000)
    per_page = int_arg("per_page", 50, 1, 500)
    found = members.find_members(get_db(), scope(), query=request.args.get("q", "")[:50],
                                 branch_id=int_arg("branch_id"), active=None if active in (None, "") else flag_arg(
                                     "active"), limit=per_page, offset=(page - 1) * per_page)
    return jsonify({"members": [member_json(m) for m in found.members], "total": found.total, "page": page,
                    "per_page": per_page})


@bp.post("/admin/members")
@require_admin
def add_member():
    """Body {name, branch_id, phone?, member_no?, active?}: a new member of a branch in scope."""
    body = json_body()
    added = members.add_member(get_db(), scope(), name=body.get("name"), branch_id=body.get("branch_id"),
                               phone=body.get("phone"), member_no=body.get("member_no"),
                               active=bool_field(body, "active", True), now=clock())
    return jsonify(member_json(added)), 201


@bp.get("/admin/members/<int:member_id>")
@require_admin
def member_record(member_id: int):
    """A member with their record: hours by month of ?year (default this year) and every lesson watched."""
    db, rules = get_db(), rules_from(current_app.config)
    member = members.get_member(db, scope(), member_id)
    year = int_arg("year", clock().astimezone(_zone()).year, 2000, 2100)
    months = study.months_of_year(db, member.id, year)
    return jsonify({**member_json(member), "year": year,
                    "months_lessons": [round(s / rules.lesson_s, 2) for s in months],
                    "year_lessons": round(sum(months) / rules.lesson_s, 2),
                    "target_lessons": rules.annual_target_lessons,
                    "lessons": [{"kind": x.kind, "ref_id": x.ref_id, "title": x.title,
                                 "duration_s": round(x.duration_s), "credited_s": round(x.credited_s),
                                 "finished": x.finished, "last_watched_at": round(x.last_watched_at)}
                                for x in study.lessons(db, member.id, year=year, zone=_zone())]})


@bp.patch("/admin/members/<int:member_id>")
@require_admin
def change_member(member_id: int):
    """Body with any of {name, branch_id, phone, member_no, active}; inactive keeps the history."""
    changed = members.change_member(get_db(), scope(), member_id, json_body(), clock())
    return jsonify(member_json(changed))


@bp.post("/admin/members/import")
@body_limit(roster.MAX_ROSTER_BYTES + 1)
@require_admin
def import_roster():
    """Body: the roster file's bytes, ?filename=名单.xlsx (or .csv). Without ?apply=1 a preview only; with it,
    the rows without errors are imported (again and again: the same file changes nothing the second time)."""
    filename = request.args.get("filename", "")
    parsed = roster.read_roster(request.get_data(cache=False), filename)
    plan = roster_import.plan_import(get_db(), scope(), parsed)
    created = changed = 0
    applied = flag_arg("apply")
    if applied:
        created, changed = roster_import.apply_import(get_db(), plan, clock())
    return jsonify({"applied": applied, "new": len(plan.new), "changed": len(plan.changed),
                    "unchanged": plan.unchanged, "created": created, "updated": changed,
                    "new_rows": [{"line": p.row.line, "name": p.row.name, "branch": p.row.branch}
                                 for p in plan.new[:200]],
                    "changed_rows": [{"line": p.row.line, "name": p.row.name, "member_id": p.member_id,
                                      "fields": sorted(p.changes)} for p in plan.changed[:200]],
                    "errors": [error_json(e) for e in plan.errors]})


@bp.get("/admin/members/export")
@require_admin
def export_roster():
    """Every member in scope as a roster file (?format=xlsx, the default, or csv) that the import reads back."""
    fmt = request.args.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise UserError("roster.bad_export_format", value=fmt[:10])
    data = roster.write_roster(roster_import.roster_rows(get_db(), scope()), fmt)
    content_type = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                    else "text/csv; charset=utf-8")
    filename = f"members-{clock().strftime('%Y%m%d')}.{fmt}"
    return Response(data, content_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/admin/devices/<int:device_id>/household")
@require_admin
def device_household(device_id: int):
    """The members of a box's household."""
    households.check_device_in_scope(get_db(), scope(), device_id)
    rows = households.household_members(get_db(), device_id, scope())
    return jsonify({"device_id": device_id, "members": [
        {"id": r["id"], "name": r["name"], "active": bool(r["active"]), "branch_name": r["branch_name"]}
        for r in rows]})


@bp.put("/admin/devices/<int:device_id>/household")
@require_admin
def set_device_household(device_id: int):
    """Body {"members": [ids]}: who watches this box ("谁在看" lists them in this order)."""
    placed = households.assign_members(get_db(), scope(), device_id, json_body().get("members"), clock())
    return jsonify({"device_id": device_id, "members": [member_json(m) for m in placed]})


@bp.get("/admin/study/rules")
@require_admin
def study_rules():
    """The credit rules as configured, in words and as numbers."""
    rules = rules_from(current_app.config)
    return jsonify({"rules": [text(message_id, **params) for message_id, params in rules_in_words(current_app.config)],
                    "min_sitting_s": rules.min_sitting_s, "daily_cap_s": rules.daily_cap_s,
                    "lesson_s": rules.lesson_s, "target_lessons": rules.annual_target_lessons})
