"""Administrator API for the participation report: an organisation over a period as JSON, and its exports."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from keting_i18n import text
from server.core.errors import UserError
from server.core.timestamps import format_utc
from server.records import report_export, reports
from server.records.report_log import log_export
from server.web.api import bp
from server.web.api.editor_auth import current_user, require_admin
from server.web.context import clock, get_db
from server.web.report_args import build_report, report_args

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _group_json(line: reports.GroupLine) -> dict:
    return {"org_id": line.org_id, "name": line.name, "community": line.community, "members": line.members,
            "participants": line.participants, "participation": round(line.participation, 4),
            "period_s": round(line.period_s), "per_member_s": round(line.per_member_s),
            "below_target": line.below_target}


def report_json(report: reports.Report, lesson_s: float, lang: str) -> dict:
    """The report as the API answers it (seconds throughout; `lesson_s` turns them into 学时)."""
    message_id, params = report.period.label
    return {
        "organisation": {"id": report.total.org_id, "name": report.organisation},
        "period": {"kind": report.period.kind, "value": report.period.value(), "first": report.period.first.isoformat(),
                   "last": report.period.last.isoformat(), "label": text(message_id, lang=lang, **params)},
        "lesson_s": lesson_s, "target_s": round(report.target_s),
        "total": _group_json(report.total),
        "branches": [_group_json(b) for b in report.branches],
        "communities": [_group_json(c) for c in report.communities],
        "members": [{"id": m.member_id, "name": m.name, "branch_id": m.branch_id, "branch": m.branch,
                     "community": m.community, "active": m.active, "period_s": round(m.period_s),
                     "year_s": round(m.year_s)} for m in report.members],
        "below_target": [m.member_id for m in report.below_target()],
        "lectures": [{"subject": lec.subject, "kind": lec.kind, "title": lec.title, "duration_s": round(lec.duration_s),
                      "viewers": lec.viewers, "finished": lec.finished} for lec in report.lectures],
        "weeks": [{"first": first.isoformat(), "seconds": round(seconds)} for first, seconds in report.weeks],
        "months": [{"month": month, "participants": count} for month, count in report.months],
        "checkins": [{"entry_id": c.entry_id, "title": c.title, "start": format_utc(c.start), "channel": c.channel,
                      "members": c.members, "checked_in": c.checked_in, "manual": c.manual, "watched": c.watched,
                      "absent": c.absent, "rate": round(c.rate, 4)} for c in report.checkins],
        "quizzes": [{"item_id": q.item_id, "title": q.title, "takers": q.takers, "attempts": q.attempts,
                     "average_best": round(q.average_best, 4)} for q in report.quizzes],
        "missed": [{"question_id": q.question_id, "item_id": q.item_id, "lecture": q.lecture, "text": q.text,
                    "answers": q.answers, "wrong": q.wrong, "wrong_share": round(q.wrong_share, 4)}
                   for q in report.missed],
    }


def requested_report() -> tuple[reports.Report, float]:
    """The report the request asks for, in the reader's scope, and the seconds of a 学时."""
    return build_report(*report_args(current_user().org_id))


@bp.get("/admin/reports")
@require_admin
def get_report():
    """?org (default: the reader's organisation), ?period (month, quarter, year, custom), ?value."""
    report, lesson_s = requested_report()
    return jsonify(report_json(report, lesson_s, current_app.config["LANGUAGE"]))


def export_response(report: reports.Report, lesson_s: float, username: str) -> Response:
    """The report as ?format (xlsx, the default, or csv of ?table), logged first (who, what, when)."""
    fmt = request.values.get("format", "xlsx")
    if fmt not in report_export.FORMATS:
        raise UserError("report.bad_format", value=fmt[:10], formats=" / ".join(report_export.FORMATS))
    table = request.values.get("table", "branches") if fmt == "csv" else None
    if table is not None and table not in report_export.TABLES:
        raise UserError("report.bad_table", value=table[:20], tables=" / ".join(report_export.TABLES))
    lang = current_app.config["LANGUAGE"]
    message_id, params = report.period.label
    heading = f"{report.organisation or text('report.whole_site', lang=lang)} {text(message_id, lang=lang, **params)}"
    data = (report_export.xlsx_bytes(report, lesson_s, lang, heading) if fmt == "xlsx"
            else report_export.csv_bytes(report, lesson_s, lang, table))
    log_export(get_db(), username, report.total.org_id, report.organisation or text("report.whole_site", lang=lang),
               report.period, fmt, table, clock())
    name = f"report-{report.total.org_id or 'all'}-{report.period.value().replace('..', '_')}"
    filename = f"{name}{'-' + table if table else ''}.{fmt}"
    return Response(data, content_type=XLSX_TYPE if fmt == "xlsx" else "text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/admin/reports/export")
@require_admin
def export_report():
    """The report as a file: ?format=xlsx (every table, a sheet each) or csv (?table), with ?org, ?period, ?value.
    A POST: an export is logged in the caller's name, so a cookie alone (a link on another site) cannot make one."""
    report, lesson_s = requested_report()
    return export_response(report, lesson_s, current_user().username)
