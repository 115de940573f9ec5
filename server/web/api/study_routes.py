"""Set-top API for study records: the box's household, its watch reports, and 我的学习."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, jsonify

from keting_i18n import text
from server.accounts.devices import report_playing
from server.catalogue.positions import checked_position, save_position
from server.catalogue.visibility import Viewer, visible_item
from server.core.db import write_transaction
from server.core.errors import NotFound, UserError
from server.records import recents, study, watch_log
from server.records.households import viewers
from server.records.members import is_row_id
from server.records.study_settings import box_timings, rules_from
from server.web.api import bp
from server.web.api.auth import current_device, require_device
from server.web.context import clock, current_lineup, get_db
from server.web.params import json_body


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


@bp.get("/household")
@require_device
def household():
    """The members who watch this box (numbered in this order by "谁在看"), and the prompts' timings."""
    rules = rules_from(current_app.config)
    return jsonify({"members": [{"id": v.id, "name": v.name} for v in viewers(get_db(), current_device().id)],
                    "lesson_minutes": rules.lesson_s / 60, "target_lessons": rules.annual_target_lessons,
                    **box_timings(current_app.config)})


@bp.post("/watch")
@require_device
def report_watch():
    """Body {"intervals": [...], "sent_at": the box's clock, "position": {"item_id", "position_s"}}: what the box
    played, for whom, and (optional) where it is now in the video it plays, saved as PUT .../position does, so a
    playing box makes one request every half minute, not two. Answers how many intervals were taken and why
    others were refused; taking the same intervals again changes nothing."""
    body, db, device, now = json_body(), get_db(), current_device(), clock()
    viewer = Viewer(org_id=device.org_id, now=now)

    def can_see(item_id: int) -> bool:
        return visible_item(db, current_lineup(), viewer, item_id) is not None
    position = _position(body.get("position"))
    video = None
    if position is not None:
        video = visible_item(db, current_lineup(), viewer, position[0])
        video = video if video is not None and video["kind"] == "video" else None
    with write_transaction(db):
        intake = watch_log.record_batch(db, device.id, body.get("intervals"), now, rules_from(current_app.config),
                                        _zone(), current_app.config["WATCH_REPORT_MAX_AGE_DAYS"], can_see,
                                        body.get("sent_at"))
        if video is not None:
            completed = save_position(db, device.id, video["id"], position[1], video["duration_s"], now)
            report_playing(db, device.id, None, video["id"], now)
    answer = {"accepted": intake.accepted,
              "refused": [{"index": index, "code": message_id.rsplit(".", 1)[-1],
                           "message": text(message_id, **params)}
                          for index, message_id, params in intake.refused]}
    if position is not None:
        answer["position"] = (
            {"item_id": video["id"], "position_s": min(position[1], video["duration_s"] or position[1]),
             "completed": completed} if video is not None else
            {"item_id": position[0], "code": "unknown_item", "message": text("api.unknown_item", value=position[0])})
    return jsonify(answer)


def _position(raw: object) -> tuple[int, float] | None:
    """The optional resume point of a watch report: (item id, seconds), checked (UserError names what is wrong)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UserError("watch.bad_field", field="position")
    if not is_row_id(raw.get("item_id")):
        raise UserError("api.bad_item_id", value=raw.get("item_id"))
    return raw["item_id"], checked_position(raw.get("position_s"))


def _lesson_json(lesson: study.Lesson, lesson_s: float) -> dict:
    return {"kind": lesson.kind, "item_id": lesson.ref_id if lesson.kind == "video" else None,
            "title": lesson.title, "duration_s": round(lesson.duration_s), "credited_s": round(lesson.credited_s),
            "lessons": round(lesson.credited_s / lesson_s, 2), "finished": lesson.finished,
            "last_watched_at": round(lesson.last_watched_at)}


@bp.get("/study/<int:member_id>")
@require_device
def my_study(member_id: int):
    """我的学习 for one member of this box's household: this year against the target, this month, the last
    lessons and the unfinished videos with where this box stopped."""
    db, device = get_db(), current_device()
    member = next((v for v in viewers(db, device.id) if v.id == member_id), None)
    if member is None:
        raise NotFound("study.not_in_household", id=member_id)
    rules = rules_from(current_app.config)
    today = clock().astimezone(_zone()).date()
    found = study.summary(db, member.id, member.name, today)
    unfinished = []
    for lesson in found.unfinished:
        entry = _lesson_json(lesson, rules.lesson_s)
        entry["resume_s"] = recents.resume_point(db, device.id, lesson.ref_id, lesson.duration_s)
        unfinished.append(entry)
    return jsonify({"member": {"id": member.id, "name": member.name},
                    "year": today.year, "month": today.month,
                    "year_lessons": round(found.year_s / rules.lesson_s, 2),
                    "month_lessons": round(found.month_s / rules.lesson_s, 2),
                    "target_lessons": rules.annual_target_lessons,
                    "recent": [_lesson_json(lesson, rules.lesson_s) for lesson in found.recent],
                    "unfinished": unfinished})
