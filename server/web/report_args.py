"""The report a request asks for (?org, ?period, ?value), checked against what its reader may see, and built
one at a time per process: a year of a large organisation takes seconds, and several at once would hold
every request thread."""

from __future__ import annotations

import re
import threading
from zoneinfo import ZoneInfo

from flask import current_app, request

from server.core.errors import NotFound, UserError
from server.records.members import Scope, organisations_in_scope
from server.records.reports import PERIOD_KINDS, Context, Period, Report, build, parse_period
from server.records.study_settings import checkin_watched_share, rules_from
from server.web.context import clock, get_db

ORG_ID = re.compile(r"[0-9]{1,18}")
BUILDING = threading.BoundedSemaphore(1)
WAIT_S = 60.0  # a report waits this long for the one being built, then the reader is asked to try again


def report_args(reader_org_id: int | None) -> tuple[Scope, Period]:
    """The organisation (?org, default the reader's own, or the whole site) and the period (?period: month,
    quarter, year or custom; ?value, default the current one), from the query or a form. An organisation
    outside the reader's is not found, like one that does not exist."""
    raw_org = request.values.get("org", "")
    org_id = reader_org_id
    if raw_org not in ("", "all"):
        if not ORG_ID.fullmatch(raw_org):  # ASCII digits only: str.isdigit() takes "²", which int() refuses
            raise UserError("report.bad_org", value=raw_org[:20])
        org_id = int(raw_org)
        allowed = organisations_in_scope(get_db(), Scope(reader_org_id))
        exists = get_db().execute("SELECT 1 FROM organisations WHERE id = ?", [org_id]).fetchone()
        if exists is None or (allowed is not None and org_id not in allowed):
            raise NotFound("report.unknown_org", value=raw_org)
    elif raw_org == "all" and reader_org_id is not None:
        raise NotFound("report.unknown_org", value=raw_org)
    kind = request.values.get("period", "month")
    if kind not in PERIOD_KINDS:
        raise UserError("report.bad_period_kind", value=kind[:20], kinds=" / ".join(PERIOD_KINDS))
    return Scope(org_id), parse_period(kind, request.values.get("value", ""), _today())


def _today():
    return clock().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def build_report(scope: Scope, period: Period) -> tuple[Report, float]:
    """The report (its target pro-rated up to today) and the seconds of a 学时; 503 when another report has
    been building for WAIT_S."""
    if not BUILDING.acquire(timeout=WAIT_S):
        raise UserError("report.busy", status=503, seconds=int(WAIT_S))
    try:
        rules = rules_from(current_app.config)
        config = current_app.config
        context = Context(ZoneInfo(config["TIMEZONE"]), checkin_watched_share(config), clock())
        return build(get_db(), scope, period, rules, _today(), context), rules.lesson_s
    finally:
        BUILDING.release()
