"""The participation report page (学习报表): an organisation over a period in headline figures, tables and
charts, its downloads, a print layout, and the latest exports.

?org, ?period and ?value are read by `report_args`, as the API reads them, so an
administrator limited to a community sees it and what is below it, never above
or beside. A bad value is said on the page, in words, with the form to correct
it (400; 404 for an organisation out of reach). Downloads go through the API's
`export_response`, so they are logged the same way, under the console user's name.
"""

from __future__ import annotations

from flask import current_app, g, request, url_for

from keting_i18n import text
from server.accounts.organisations import list_organisations
from server.core.errors import UserError
from server.records import members, reports
from server.records.report_log import recent_exports
from server.records.study_settings import rules_from
from server.web.api.report_routes import export_response
from server.web.console import bp
from server.web.console.access import admin_required
from server.web.console.member_pages import admin_scope, lessons_text
from server.web.console.report_charts import branch_hours, monthly_participation, percent_text, weekly_hours
from server.web.console.views import local_text, page, zone
from server.web.context import clock, get_db
from server.web.report_args import build_report, report_args

KIND_WORDS = {"month": "console.report_kind_month", "quarter": "console.report_kind_quarter",
              "year": "console.report_kind_year", "custom": "console.report_kind_custom"}
TABLE_WORDS = {"branches": "report.sheet_branches", "communities": "report.sheet_communities",
               "members": "report.sheet_members", "lectures": "report.sheet_lectures",
               "checkins": "report.sheet_checkins", "quizzes": "report.sheet_quizzes", "missed": "report.sheet_missed"}
RECENT_EXPORTS = 10


def _lang() -> str:
    return current_app.config["LANGUAGE"]


def org_choices(db, scope: members.Scope) -> list[tuple[str, str]]:
    """What the ?org select offers: the whole site (to a whole-site administrator), the administrator's own
    organisation, and the communities, villages and branches in scope, in tree order ("社区/支部" for a branch)."""
    allowed = members.organisations_in_scope(db, scope)
    tree = [org for _, org in list_organisations(db)]
    names = {org.id: org.name for org in tree}
    choices = [("all", text("report.whole_site", lang=_lang()))] if scope.org_id is None else []
    for org in tree:
        if (allowed is None or org.id in allowed) and (org.kind != "subdistrict" or org.id == scope.org_id):
            parent = names.get(org.parent_id, "") if org.kind == "branch" else ""
            choices.append((str(org.id), f"{parent}/{org.name}" if parent else org.name))
    return choices


def _recent(db, scope: members.Scope) -> list[dict]:
    """The latest exports in scope: when (local time), who, and what (organisation, period, format)."""
    today = clock().astimezone(zone()).date()
    rows = []
    for row in recent_exports(db, scope, RECENT_EXPORTS):
        try:
            message_id, params = reports.parse_period(row["period_kind"], row["period_value"], today).label
            period = text(message_id, lang=_lang(), **params)
        except UserError:
            period = row["period_value"]
        fmt = (text("console.report_format_xlsx", lang=_lang()) if row["format"] == "xlsx" else
               text("console.report_format_csv", lang=_lang(),
                    table=text(TABLE_WORDS.get(row["table_name"], "report.sheet_branches"), lang=_lang())))
        rows.append({"when": local_text(row["created_at"]), "who": row["username"],
                     "what": text("console.report_export_what", lang=_lang(), organisation=row["org_name"],
                                  period=period, format=fmt)})
    return rows


def _figures(report: reports.Report, lesson_s: float, annual_lessons: float) -> dict:
    """The headline figures, as the page writes them."""
    total = report.total
    return {"participation": percent_text(total.participation), "participants": total.participants,
            "members": total.members, "per_member": lessons_text(total.per_member_s, lesson_s),
            "total_lessons": lessons_text(total.period_s, lesson_s), "below": total.below_target,
            "target": lessons_text(report.target_s, lesson_s), "annual": lessons_text(annual_lessons, 1)}


def _links(form: dict) -> dict:
    """The page's downloads and print layout, for the same organisation and period."""
    same = {"org": form["org"], "period": form["period"], "value": form["value"]}
    return {"print": url_for("console.reports_page", **same, print=1),
            "screen": url_for("console.reports_page", **same)}


@bp.get("/reports")
@admin_required
def reports_page():
    """?org (default: the administrator's organisation), ?period (month, quarter, year, custom), ?value
    (default: the current one); ?print=1 shows the page as it prints."""
    db, scope = get_db(), admin_scope()
    shared = {"choices": org_choices(db, scope), "kinds": KIND_WORDS, "tables": TABLE_WORDS,
              "exports": _recent(db, scope), "print_view": request.args.get("print") == "1"}
    try:
        chosen, period = report_args(g.user.org_id)
    except UserError as error:
        form = {name: request.args.get(name, default)[:40] for name, default in
                (("org", ""), ("period", "month"), ("value", ""))}
        return page("console/reports.html", report=None, error=error.message(_lang()), form=form, **shared), \
            error.status
    rules = rules_from(current_app.config)
    report, _ = build_report(chosen, period)
    form = {"org": "all" if chosen.org_id is None else str(chosen.org_id), "period": period.kind,
            "value": period.value()}
    message_id, params = period.label
    lang = _lang()
    return page("console/reports.html", report=report, error=None, form=form, links=_links(form),
                subject=text("console.report_subject", lang=lang,
                             organisation=report.organisation or text("report.whole_site", lang=lang),
                             period=text(message_id, lang=lang, **params)),
                figures=_figures(report, rules.lesson_s, rules.annual_target_lessons), lesson_s=rules.lesson_s,
                lessons_text=lessons_text, percent_text=percent_text, behind=report.below_target(),
                charts={"branches": branch_hours(report, rules.lesson_s, lang),
                        "weeks": weekly_hours(report, rules.lesson_s, lang),
                        "months": monthly_participation(report, lang)}, **shared)


@bp.post("/reports/export")
@admin_required
def report_export():
    """The report as a file (format=xlsx, or csv of table) for org, period, value (form fields); logged with the
    administrator's name. A POST with the CSRF token: a link on another site cannot make an export in someone's
    name. A bad value gets the error page."""
    report, lesson_s = build_report(*report_args(g.user.org_id))
    return export_response(report, lesson_s, g.user.username)
