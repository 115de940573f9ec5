"""Check-in (签到) through the API: a programme marked for check-in, the boxes' notice and check-in, the window,
the household, "watched, not checked in", attendance by branch in an administrator's scope, and manual marks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from server.accounts.organisations import add_organisation
from server.accounts.users import set_organisation
from server.core.timestamps import format_utc
from server.records.checkin_watch import union_length as _union_length
from server.web.context import current_lineup, get_db
from tests.conftest import editor_token, pair_device
from tests.support.fake_vod import add_video, write_slates


@dataclass
class Site:
    client: object
    clock: object
    admin: dict
    box: dict
    other_box: dict
    video: int
    branch: int
    other_branch: int
    members: list[int]  # 张三, 李四 (the box's household, first branch), 王五 (the other box, other branch)

    def schedule(self, **body) -> dict:
        start = self.clock.now + timedelta(hours=1)
        answer = self.client.post("/api/v1/admin/schedule", headers=self.admin, json={
            "channel": 1, "item_id": self.video, "start": format_utc(start), **body})
        assert answer.status_code == 201, answer.json
        return answer.json["entries"][0]

    def check_in(self, entry_id, members, box=None):
        return self.client.post("/api/v1/checkins", json={"entry_id": entry_id, "members": members},
                                headers=box or self.box)

    def attendance(self, entry_id: int, headers=None) -> dict:
        answer = self.client.get(f"/api/v1/admin/checkins/{entry_id}", headers=headers or self.admin)
        assert answer.status_code == 200, answer.json
        return answer.json

    def watch_channel(self, key: str, start, minutes: float, members, box=None) -> None:
        started = start.timestamp()
        answer = self.client.post("/api/v1/watch", headers=box or self.box, json={"intervals": [{
            "key": key, "channel": 1, "started_at": started, "ended_at": started + minutes * 60,
            "members": members}]})
        assert answer.status_code == 200 and answer.json["accepted"] == 1, answer.json


@pytest.fixture
def site(app, client, clock) -> Site:
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        top = add_organisation(db, "太平街道", "subdistrict")
        dongfeng = add_organisation(db, "东风社区", "community", top.id)
        xiangyang = add_organisation(db, "向阳社区", "community", top.id)
        branch = add_organisation(db, "第一党支部", "branch", dongfeng.id)
        other = add_organisation(db, "第二党支部", "branch", xiangyang.id)
        device_id, token = pair_device(db, clock.now, dongfeng.id)
        other_id, other_token = pair_device(db, clock.now, xiangyang.id, serial="SN-OTHER")
        admin = editor_token(db, lineup, clock.now, username="admin", role="admin")
        video = add_video(db, lineup, Path(app.config["MEDIA_ROOT"]), board_id="dangke", title="主题党日：学习会",
                          seconds=1800)
        write_slates(Path(app.config["MEDIA_ROOT"]), lineup)
    headers = {"Authorization": f"Bearer {admin}"}
    members = [client.post("/api/v1/admin/members", json={"name": name, "branch_id": b},
                           headers=headers).json["id"] for name, b in (("张三", branch.id), ("李四", branch.id),
                                                                     ("王五", other.id))]
    for device, household in ((device_id, members[:2]), (other_id, members[2:])):
        placed = client.put(f"/api/v1/admin/devices/{device}/household", json={"members": household},
                            headers=headers)
        assert placed.status_code == 200
    return Site(client, clock, headers, {"Authorization": f"Bearer {token}"},
                {"Authorization": f"Bearer {other_token}"}, video, branch.id, other.id, members)


def test_a_programme_marked_for_check_in_reaches_the_boxes_with_its_window(site):
    entry = site.schedule(checkin=True)
    assert entry["checkin_minutes"] == 15 and entry["important"] is False
    site.clock.advance(minutes=55)  # the reminder shows REMINDER_MINUTES (10) before the start
    notices = site.client.get("/api/v1/notices", headers=site.box).json["notices"]
    assert len(notices) == 1
    checkin = notices[0]["checkin"]
    assert notices[0]["title"] == "签到节目：主题党日：学习会" and "可签到" in notices[0]["body"]
    assert checkin["entry_id"] == entry["id"] and checkin["from"] == entry["start"]
    assert checkin["until"] == format_utc(site.clock.now + timedelta(minutes=5 + 15))
    assert checkin["title"] == "主题党日：学习会" and checkin["until_label"].count(":") == 1


def test_check_in_counts_inside_the_window_for_the_household_and_only_once(site):
    entry = site.schedule(checkin=10)
    early = site.check_in(entry["id"], site.members[:1])
    assert early.status_code == 409 and "开播后才能签到" in early.json["error"]["message"]
    site.clock.advance(minutes=61)
    done = site.check_in(entry["id"], site.members[:2])
    assert done.status_code == 200, done.json
    assert [(m["name"], m["already"]) for m in done.json["checked_in"]] == [("张三", False), ("李四", False)]
    again = site.check_in(entry["id"], site.members[:1])
    assert again.json["checked_in"][0]["already"] is True
    assert again.json["checked_in"][0]["at"] == done.json["checked_in"][0]["at"]  # the first time stays
    stranger = site.check_in(entry["id"], site.members[2:])  # 王五 lives elsewhere
    assert stranger.status_code == 403 and "不在本机" in stranger.json["error"]["message"]
    site.clock.advance(minutes=10)  # 11 minutes after the start: a minute's grace after the 10-minute window
    assert site.check_in(entry["id"], site.members[2:], box=site.other_box).status_code == 200
    site.clock.advance(minutes=1, seconds=1)
    late = site.check_in(entry["id"], site.members[2:], box=site.other_box)
    assert late.status_code == 409 and "签到已于" in late.json["error"]["message"] and "补记" in late.json["error"][
        "message"]


@pytest.mark.parametrize("body, field", [
    ({"entry_id": "1", "members": [1]}, "entry_id"), ({"entry_id": 1, "members": []}, "members"),
    ({"entry_id": 1, "members": [True]}, "members"), ({"entry_id": 1, "members": list(range(1, 11))}, "members"),
    ({"entry_id": 2 ** 70, "members": [1]}, "entry_id"), ({"entry_id": 1}, "members")])
def test_malformed_check_ins_are_refused_naming_the_field(site, body, field):
    answer = site.client.post("/api/v1/checkins", json=body, headers=site.box)
    assert answer.status_code == 400 and field in answer.json["error"]["message"]


def test_check_in_needs_a_box_and_a_check_in_programme(site):
    plain = site.schedule()
    site.clock.advance(minutes=61)
    refused = site.check_in(plain["id"], site.members[:1])
    assert refused.status_code == 409 and "没有设置签到" in refused.json["error"]["message"]
    assert site.check_in(999, site.members[:1]).status_code == 404
    assert site.client.post("/api/v1/checkins", json={"entry_id": plain["id"], "members": [1]},
                            headers=site.admin).status_code == 401


def test_the_check_in_window_is_set_and_changed_and_refused_in_words(site):
    entry = site.schedule(checkin=30)
    assert entry["checkin_minutes"] == 30
    changed = site.client.patch(f"/api/v1/admin/schedule/{entry['id']}", json={"checkin": 0}, headers=site.admin)
    assert changed.status_code == 200 and changed.json["entries"][0]["checkin_minutes"] is None
    kept = site.client.patch(f"/api/v1/admin/schedule/{entry['id']}", json={"important": True}, headers=site.admin)
    assert kept.json["entries"][0]["checkin_minutes"] is None
    for bad in (241, -5):
        answer = site.client.post("/api/v1/admin/schedule", headers=site.admin, json={
            "channel": 1, "item_id": site.video, "start": format_utc(site.clock.now + timedelta(hours=5)),
            "checkin": bad})
        assert answer.status_code == 400 and "1 到 240" in answer.json["error"]["message"]
    weekly = site.client.post("/api/v1/admin/schedule", headers=site.admin, json={
        "channel": 1, "item_id": site.video, "repeat": "weekly", "days": ["tue"], "time": "19:30", "checkin": 20})
    assert weekly.status_code == 201 and {e["checkin_minutes"] for e in weekly.json["entries"]} == {20}


def test_attendance_lists_checked_in_watched_and_absent_by_branch(site):
    entry = site.schedule(checkin=True)  # 30 minutes long: 80 % is 24 minutes
    start = site.clock.now + timedelta(hours=1)
    site.clock.advance(hours=1, minutes=5)
    site.check_in(entry["id"], site.members[:1])
    site.clock.advance(minutes=35)
    # 李四 watched 20 + 10 minutes in two sittings (one overlapping the other by 5): 25 minutes, enough.
    site.watch_channel("a", start - timedelta(minutes=2), 22, site.members[1:2])
    site.watch_channel("b", start + timedelta(minutes=15), 10, site.members[1:2])
    # 王五 watched 20 minutes: not enough.
    site.watch_channel("c", start, 20, site.members[2:], box=site.other_box)
    seen = site.attendance(entry["id"])
    assert (seen["members"], seen["checked_in"], seen["watched"], seen["absent"]) == (3, 1, 1, 1)
    people = {m["name"]: (m["presence"], m["watched_s"], m["how"]) for b in seen["branches"] for m in b["members"]}
    assert people == {"张三": ("checked_in", 0, "tv"), "李四": ("watched", 25 * 60, None),
                      "王五": ("absent", 20 * 60, None)}
    assert [(b["name"], b["checked_in"], b["watched"], b["absent"]) for b in seen["branches"]] == [
        ("第一党支部", 1, 1, 0), ("第二党支部", 0, 0, 1)]
    site.client.application.config["CHECKIN_WATCHED_PERCENT"] = 60  # 18 minutes: 王五 too
    assert site.attendance(entry["id"])["watched"] == 2


def test_a_scoped_administrator_sees_and_marks_only_their_members(site):
    entry = site.schedule(checkin=True)
    with site.client.application.app_context():
        east = {"Authorization": "Bearer " + editor_token(get_db(), current_lineup(), site.clock.now,
                                                          username="east2", role="admin")}
        set_organisation(get_db(), "east2", _org_of(site.branch), site.clock.now)
    too_early = site.client.put(f"/api/v1/admin/checkins/{entry['id']}/members/{site.members[0]}", headers=east)
    assert too_early.status_code == 409 and "开播后才能补记" in too_early.json["error"]["message"]
    site.clock.advance(hours=2)
    assert [m["name"] for b in site.attendance(entry["id"], east)["branches"] for m in b["members"]] == ["张三", "李四"]
    marked = site.client.put(f"/api/v1/admin/checkins/{entry['id']}/members/{site.members[0]}", headers=east)
    assert marked.status_code == 201
    outside = site.client.put(f"/api/v1/admin/checkins/{entry['id']}/members/{site.members[2]}", headers=east)
    assert outside.status_code == 404
    row = next(m for b in site.attendance(entry["id"])["branches"] for m in b["members"] if m["name"] == "张三")
    assert (row["presence"], row["how"], row["marked_by"]) == ("checked_in", "manual", "east2")
    listed = site.client.get("/api/v1/admin/checkins", headers=east).json["events"]
    assert [(e["entry_id"], e["checked_in"], e["manual"], e["members"]) for e in listed] == [(entry["id"], 1, 1, 2)]
    undone = site.client.delete(f"/api/v1/admin/checkins/{entry['id']}/members/{site.members[0]}", headers=east)
    assert undone.status_code == 200 and site.attendance(entry["id"])["checked_in"] == 0


def test_a_check_in_made_on_a_box_cannot_be_unmarked(site):
    entry = site.schedule(checkin=True)
    site.clock.advance(hours=1, minutes=1)
    site.check_in(entry["id"], site.members[:1])
    answer = site.client.delete(f"/api/v1/admin/checkins/{entry['id']}/members/{site.members[0]}", headers=site.admin)
    assert answer.status_code == 409 and "电视上" in answer.json["error"]["message"]
    again = site.client.put(f"/api/v1/admin/checkins/{entry['id']}/members/{site.members[0]}", headers=site.admin)
    assert again.status_code == 200 and again.json["marked"] is False


def test_a_preempted_programme_takes_no_check_in(site):
    entry = site.schedule(checkin=True)
    site.schedule(important=True)  # the same slot: the first is pre-empted
    site.clock.advance(hours=1, minutes=1)
    answer = site.check_in(entry["id"], site.members[:1])
    assert answer.status_code == 409 and "顶替" in answer.json["error"]["message"]


def test_overlapping_spans_count_once():
    assert _union_length([(0, 10), (5, 15), (20, 30), (21, 22)]) == 25
    assert _union_length([]) == 0


def _org_of(branch_id: int) -> int:
    """The community above a branch (called inside an app context)."""
    return get_db().execute("SELECT parent_id FROM organisations WHERE id = ?", [branch_id]).fetchone()[0]


def test_check_in_ends_with_the_programme_however_long_the_window(site):
    entry = site.schedule(checkin=240)  # a 30-minute programme
    assert entry["checkin_until"] == entry["end"]
    site.clock.advance(hours=1, minutes=30, seconds=50)  # 50 s after its end: within the grace
    assert site.check_in(entry["id"], site.members[:1]).status_code == 200
    site.clock.advance(seconds=11)
    assert site.check_in(entry["id"], site.members[1:2]).status_code == 409


def test_a_programme_cut_short_closes_its_check_in_at_the_cut(site):
    entry = site.schedule(checkin=30)
    cut_at = site.clock.now + timedelta(hours=1, minutes=5)
    site.client.post("/api/v1/admin/schedule", headers=site.admin, json={
        "channel": 1, "item_id": site.video, "start": format_utc(cut_at), "important": True})
    site.clock.advance(hours=1, minutes=7)  # the important programme plays
    late = site.check_in(entry["id"], site.members[:1])
    assert late.status_code == 409 and late.json["error"]["code"] == "closed"


def test_the_window_can_be_lengthened_while_on_air_but_not_dropped_once_used(site):
    entry = site.schedule(checkin=5)
    site.clock.advance(hours=1, minutes=3)
    site.check_in(entry["id"], site.members[:1])
    longer = site.client.patch(f"/api/v1/admin/schedule/{entry['id']}", json={"checkin": 25}, headers=site.admin)
    assert longer.status_code == 200 and longer.json["entries"][0]["checkin_minutes"] == 25
    site.clock.advance(minutes=15)  # 18 minutes in: late, but the meeting began late and the window grew
    assert site.check_in(entry["id"], site.members[1:2]).status_code == 200
    dropped = site.client.patch(f"/api/v1/admin/schedule/{entry['id']}", json={"checkin": False}, headers=site.admin)
    assert dropped.status_code == 409 and "已有党员签到" in dropped.json["error"]["message"]
    moved = site.client.patch(f"/api/v1/admin/schedule/{entry['id']}", headers=site.admin,
                              json={"start": format_utc(site.clock.now + timedelta(days=1))})
    assert moved.status_code == 409  # on air: only the window may change
    site.clock.advance(hours=1)
    ended = site.client.patch(f"/api/v1/admin/schedule/{entry['id']}", json={"checkin": 60}, headers=site.admin)
    assert ended.status_code == 409 and "已经播完" in ended.json["error"]["message"]


def test_no_check_in_before_the_start_while_the_programme_can_still_move(site):
    entry = site.schedule(checkin=True)
    site.clock.advance(minutes=59, seconds=30)
    early = site.check_in(entry["id"], site.members[:1])
    assert early.status_code == 409 and early.json["error"]["code"] == "not_yet"


def test_a_preempted_programme_takes_no_marks_either(site):
    entry = site.schedule(checkin=True)
    site.schedule(important=True)
    site.clock.advance(hours=2)
    marked = site.client.put(f"/api/v1/admin/checkins/{entry['id']}/members/{site.members[0]}", headers=site.admin)
    assert marked.status_code == 409 and "顶替" in marked.json["error"]["message"]


def test_an_important_check_in_programme_is_a_broadcast_reminder_a_plain_one_is_quiet(site):
    plain = site.schedule(checkin=True)
    site.client.post("/api/v1/admin/schedule", headers=site.admin, json={
        "channel": 2, "item_id": site.video, "start": plain["start"], "important": True, "checkin": 10})
    site.clock.advance(minutes=55)
    kinds = {n["channel"]: (n["kind"], n["title"]) for n in
             site.client.get("/api/v1/notices", headers=site.box).json["notices"]}
    assert kinds == {1: ("checkin", "签到节目：主题党日：学习会"), 2: ("broadcast", "重要直播：主题党日：学习会")}
