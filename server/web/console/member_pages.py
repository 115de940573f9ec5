"""Administrator pages for study records: the member list (with roster import and export), a member's
record, and the households shown on the box page.

Administrators limited to an organisation see only its members (`members.Scope`); editors never get here.
Every change goes through the admin API (member_routes.py) from the page's scripts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, request, url_for

from keting_i18n import text
from server.records import households, members, study
from server.records.roster import MAX_ROSTER_BYTES
from server.records.study_settings import rules_from, rules_in_words
from server.web.console import bp
from server.web.console.access import admin_required
from server.web.console.views import page, zone
from server.web.context import clock, get_db
from server.web.params import int_arg

PER_PAGE = 50
STATES = {"active": True, "inactive": False, "all": None}
# The household editor lists every active member in scope in one <select>; beyond this it says so.
HOUSEHOLD_CHOICES = 5000


def admin_scope() -> members.Scope:
    """The organisations the logged-in administrator may see: theirs and below, or the whole site."""
    return members.Scope(g.user.org_id)


def branch_labels(db, scope: members.Scope) -> dict[int, str]:
    """Branches in scope, id -> "社区/支部", in the order the select lists show them."""
    return {branch_id: f"{parent}/{name}" if parent else name
            for branch_id, name, parent in members.branches_in(db, scope)}


def lessons_text(seconds: float, lesson_s: float) -> str:
    """Seconds of credit as 学时 with at most two decimals ("0.22", "12", "1.5")."""
    return f"{seconds / lesson_s:.2f}".rstrip("0").rstrip(".") or "0"


def _filters() -> dict:
    state = request.args.get("state", "active")
    return {"q": request.args.get("q", "").strip()[:50], "branch": int_arg("branch"),
            "state": state if state in STATES else "active"}


@bp.get("/members")
@admin_required
def members_page():
    """The members in the administrator's scope: search (?q), branch (?branch), state (?state), ?page of 50."""
    db, scope, filters = get_db(), admin_scope(), _filters()
    number = int_arg("page", 1, 1, 100_000)
    found = members.find_members(db, scope, query=filters["q"], branch_id=filters["branch"],
                                 active=STATES[filters["state"]], limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    pages = max(1, -(-found.total // PER_PAGE))
    links = {name: url_for("console.members_page", **{k: v for k, v in filters.items() if v not in (None, "")},
                           page=target) if 1 <= target <= pages else None
             for name, target in (("previous", number - 1), ("next", number + 1))}
    rules = [text(message_id, lang=current_app.config["LANGUAGE"], **params)
             for message_id, params in rules_in_words(current_app.config)]
    return page("console/members.html", found=found, filters=filters, page_number=number, pages=pages,
                links=links, branches=branch_labels(db, scope), rules=rules, max_roster_bytes=MAX_ROSTER_BYTES)


def _lesson_rows(db, member_id: int, year: int) -> list[dict]:
    rows = []
    for lesson in study.lessons(db, member_id, year=year, zone=zone()):
        rows.append({"title": lesson.title, "kind": lesson.kind, "finished": lesson.finished,
                     "credited_s": lesson.credited_s, "duration_s": lesson.duration_s,
                     "last_watched": datetime.fromtimestamp(lesson.last_watched_at, UTC)})
    return rows


@bp.get("/members/<int:member_id>")
@admin_required
def member_page(member_id: int):
    """One member's record: who they are, their household's boxes, ?year's 学时 by month, every lesson."""
    db, scope = get_db(), admin_scope()
    member = members.get_member(db, scope, member_id)
    rules = rules_from(current_app.config)
    this_year = clock().astimezone(zone()).year
    year = int_arg("year", this_year, 2000, 2100)
    months = study.months_of_year(db, member.id, year)
    year_lessons = sum(months) / rules.lesson_s
    target = rules.annual_target_lessons
    boxes = [] if member.household_id is None else households.devices_of(db, member.household_id)
    branches = branch_labels(db, scope)
    return page("console/member.html", member=member, branch=branches.get(member.branch_id, member.branch_name),
                branches=branches, boxes=boxes, year=year, this_year=this_year,
                months=[lessons_text(s, rules.lesson_s) for s in months],
                month_values=[s / rules.lesson_s for s in months],
                month_scale=max([s / rules.lesson_s for s in months] + [target / 12, 0.01]),
                year_text=lessons_text(sum(months), rules.lesson_s), year_value=min(year_lessons, target),
                target=target, target_text=lessons_text(target * rules.lesson_s, rules.lesson_s),
                percent=round(100 * year_lessons / target) if target else 0,
                lessons=_lesson_rows(db, member.id, year))


def _visible_household(db, scope: members.Scope, device_id: int) -> tuple[list, int]:
    """A box's household members the administrator may see, and how many others there are."""
    visible = households.household_members(db, device_id, scope)
    return list(visible), len(households.household_members(db, device_id)) - len(visible)


def household_panel(db, boxes: list) -> dict:
    """What the box page needs for households: each approved box's members in the administrator's scope
    (with a count of the others), and the active members in scope to choose from, grouped by branch."""
    scope = admin_scope()
    by_box = {}
    for box in boxes:
        if box["state"] == "approved":
            shown, hidden = _visible_household(db, scope, box["id"])
            by_box[box["id"]] = {"members": shown, "hidden": hidden}
    labels = branch_labels(db, scope)
    found = members.find_members(db, scope, active=True, limit=HOUSEHOLD_CHOICES)
    groups: dict[str, list[members.Member]] = {}
    for member in found.members:
        groups.setdefault(labels.get(member.branch_id, member.branch_name), []).append(member)
    return {"households": by_box, "choices": groups, "choices_truncated": found.total > len(found.members),
            "choices_limit": HOUSEHOLD_CHOICES, "household_limit": households.MAX_MEMBERS}
