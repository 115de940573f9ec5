"""Administrator API for the broadcast schedule: list, create, edit and delete entries and rules."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app, jsonify

from server.broadcast import schedule
from server.broadcast.live_input import allowed_hosts
from server.broadcast.recurrence import cron_from_request
from server.broadcast.schedule import Entry, Outcome
from server.core.timestamps import format_utc
from server.web.api import bp
from server.web.api.editor_auth import current_user, require_admin, require_site_admin
from server.web.context import clock, current_lineup, get_db, station
from server.web.params import bool_field, date_field, flag_arg, int_arg, int_field, json_body, time_field, time_range

MAX_LIST_DAYS = 62


def _zone() -> str:
    return current_app.config["TIMEZONE"]


def entry_json(entry: Entry) -> dict:
    """A schedule entry as the administrator API shows it, with its start in the local zone as a label."""
    return {"id": entry.id, "channel": entry.channel, "item_id": entry.item_id, "rule_id": entry.rule_id,
            "title": entry.title, "start": format_utc(entry.start), "end": format_utc(entry.end),
            "start_label": schedule.local_label(entry.start, _zone()), "important": entry.important,
            "state": entry.state, "preempted_by": entry.preempted_by, "live_url": entry.live_url,
            "live_state": entry.live_state, "live_error": entry.live_error,
            "recording_item_id": entry.recording_item_id, "study": entry.study,
            "checkin_minutes": entry.checkin_minutes,
            "checkin_until": None if entry.checkin_until is None else format_utc(entry.checkin_until)}


def _outcome_json(outcome: Outcome, dry_run: bool) -> dict:
    return {"entries": [entry_json(e) for e in outcome.entries], "rule_id": outcome.rule_id,
            "preempted": [entry_json(e) for e in outcome.preempted], "cut": [entry_json(e) for e in outcome.cut],
            "dry_run": dry_run}


def _checkin_field(body: dict, unchanged: int | None = 0) -> int | None:
    """The body's "checkin": false or absent (none; on an edit, absent is `unchanged`), true (the default window,
    CHECKIN_MINUTES), or a number of minutes from the start (0: none)."""
    value = body.get("checkin")
    if value is None:
        return unchanged
    if isinstance(value, bool):  # the site's default, kept inside the allowed range
        return min(schedule.MAX_CHECKIN_MINUTES, max(1, current_app.config["CHECKIN_MINUTES"])) if value else 0
    return int_field(body, "checkin")


def _rebuild_after_change() -> None:
    station().keep_built(get_db(), current_lineup(), clock())


@bp.get("/admin/schedule")
@require_admin
def list_schedule():
    """Entries overlapping [from, to) (default: the coming 7 days), optionally of one channel."""
    start, end = time_range(clock() - timedelta(hours=1), timedelta(days=7), MAX_LIST_DAYS)
    entries = schedule.list_entries(get_db(), start, end, int_arg("channel"))
    return jsonify({"entries": [entry_json(e) for e in entries], "timezone": _zone()})


@bp.post("/admin/schedule")
@require_site_admin
def create_entry():
    """One-off entry ({channel, item_id, start, important, study}), with "repeat" a recurring rule,
    with "live_url" (and title, duration_minutes) a live event."""
    dry_run = flag_arg("dry_run")
    body = json_body()
    db, lineup, now = get_db(), current_lineup(), clock()
    channel = int_field(body, "channel")
    important = bool(body.get("important", False))
    study = bool_field(body, "study", False)
    checkin = _checkin_field(body)
    if body.get("live_url") is not None:
        outcome = schedule.add_live_entry(
            db, lineup, channel=channel, live_url=str(body["live_url"]), title=str(body.get("title") or ""),
            start=time_field(body, "start"), duration=timedelta(minutes=int_field(body, "duration_minutes")),
            important=important, now=now, zone=_zone(), user_id=current_user().id, dry_run=dry_run,
            allowed_hosts=allowed_hosts(current_app.config), study=study, checkin_minutes=checkin)
        if not dry_run:
            _rebuild_after_change()
        return jsonify(_outcome_json(outcome, dry_run)), 200 if dry_run else 201
    item_id = int_field(body, "item_id")
    if body.get("repeat"):
        cron = cron_from_request(str(body["repeat"]), body.get("time"), body.get("days"), body.get("cron"))
        first = date_field(body, "first_date") or now.astimezone(ZoneInfo(_zone())).date()
        outcome = schedule.add_rule(db, lineup, channel=channel, item_id=item_id, cron=cron, zone=_zone(),
                                    first=first, last=date_field(body, "last_date"), important=important, now=now,
                                    horizon_days=current_app.config["RULE_HORIZON_DAYS"],
                                    user_id=current_user().id, dry_run=dry_run, study=study,
                                    checkin_minutes=checkin)
    else:
        outcome = schedule.add_entry(db, lineup, channel=channel, item_id=item_id, start=time_field(body, "start"),
                                     important=important, now=now, zone=_zone(), user_id=current_user().id,
                                     dry_run=dry_run, study=study, checkin_minutes=checkin)
    if not dry_run:
        _rebuild_after_change()
    return jsonify(_outcome_json(outcome, dry_run)), 200 if dry_run else 201


@bp.patch("/admin/schedule/<int:entry_id>")
@require_site_admin
def edit_entry(entry_id: int):
    """Move an entry, change its item or importance (not once it has started)."""
    body = json_body()
    dry_run = flag_arg("dry_run")
    if set(body) == {"checkin"} and not dry_run:  # the window alone: also while it is on air
        entry = schedule.set_checkin(get_db(), entry_id, _checkin_field(body), now=clock(), zone=_zone())
        return jsonify(_outcome_json(Outcome(entries=[entry]), False))
    important, study = body.get("important"), bool_field(body, "study", None)
    outcome = schedule.update_entry(get_db(), current_lineup(), entry_id, now=clock(), zone=_zone(),
                                    start=time_field(body, "start", required=False),
                                    item_id=int_field(body, "item_id", required=False),
                                    important=None if important is None else bool(important), dry_run=dry_run,
                                    study=study, checkin_minutes=_checkin_field(body, unchanged=None))
    if not dry_run:
        _rebuild_after_change()
    return jsonify(_outcome_json(outcome, dry_run))


@bp.delete("/admin/schedule/<int:entry_id>")
@require_site_admin
def remove_entry(entry_id: int):
    """Take a not yet started entry off the schedule and rebuild the timelines; answers the entry deleted."""
    entry = schedule.delete_entry(get_db(), entry_id, now=clock(), zone=_zone())
    _rebuild_after_change()
    return jsonify({"deleted": entry_json(entry)})


@bp.delete("/admin/schedule/rules/<int:rule_id>")
@require_site_admin
def remove_rule(rule_id: int):
    """End a recurring rule, deleting its future entries, and rebuild the timelines; answers how many went."""
    removed = schedule.delete_rule(get_db(), rule_id, now=clock())
    _rebuild_after_change()
    return jsonify({"rule_id": rule_id, "removed_entries": removed})
