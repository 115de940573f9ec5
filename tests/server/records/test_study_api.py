"""Study records through the API: members in scope, households, watch reports credited once, 我的学习, live study
programmes, and the administrators' record of a member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from server.accounts.organisations import add_organisation
from server.accounts.users import set_organisation
from server.web.context import current_lineup, get_db
from tests.conftest import editor_token, pair_device
from tests.support.fake_vod import add_video, write_slates


@dataclass
class Site:
    client: object
    clock: object
    admin: dict
    box: dict
    device_id: int
    video: int
    branch: int
    other_branch: int
    members: list[int]

    def interval(self, key: str, start_min: float, minutes: float, from_s: float, members=None, **extra) -> dict:
        """An interval that started `start_min` minutes before now and lasted `minutes`, from `from_s`."""
        started = self.clock.now.timestamp() - start_min * 60
        return {"key": key, "item_id": self.video, "from_s": from_s, "to_s": from_s + minutes * 60,
                "started_at": started, "ended_at": started + minutes * 60,
                "members": self.members[:1] if members is None else members, **extra}

    def report(self, *intervals) -> dict:
        answer = self.client.post("/api/v1/watch", json={"intervals": list(intervals)}, headers=self.box)
        assert answer.status_code == 200, answer.json
        return answer.json

    def study(self, member_id: int) -> dict:
        answer = self.client.get(f"/api/v1/study/{member_id}", headers=self.box)
        assert answer.status_code == 200, answer.json
        return answer.json


@pytest.fixture
def site(app, client, clock) -> Site:
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        top = add_organisation(db, "太平街道", "subdistrict")
        dongfeng = add_organisation(db, "东风社区", "community", top.id)
        xiangyang = add_organisation(db, "向阳社区", "community", top.id)
        branch = add_organisation(db, "第一党支部", "branch", dongfeng.id)
        other = add_organisation(db, "第一党支部", "branch", xiangyang.id)
        device_id, token = pair_device(db, clock.now, dongfeng.id)
        admin = editor_token(db, lineup, clock.now, username="admin", role="admin")
        video = add_video(db, lineup, Path(app.config["MEDIA_ROOT"]), board_id="dangke", title="党课：初心",
                          seconds=1800)
        write_slates(Path(app.config["MEDIA_ROOT"]), lineup)
    headers = {"Authorization": f"Bearer {admin}"}
    members = [client.post("/api/v1/admin/members", json={"name": name, "branch_id": branch.id},
                           headers=headers).json["id"] for name in ("张三", "李四")]
    placed = client.put(f"/api/v1/admin/devices/{device_id}/household", json={"members": members}, headers=headers)
    assert placed.status_code == 200
    return Site(client, clock, headers, {"Authorization": f"Bearer {token}"}, device_id, video, branch.id, other.id,
                members)


def test_the_box_learns_its_household_and_the_prompts_timings(site):
    answer = site.client.get("/api/v1/household", headers=site.box).json
    assert [m["name"] for m in answer["members"]] == ["张三", "李四"]
    assert answer["still_watching_s"] == 1800 and answer["still_watching_answer_s"] == 60
    assert answer["viewers_idle_s"] == 7200 and answer["target_lessons"] == 32


def test_watching_credits_once_however_often_it_is_sent(site):
    first = site.interval("k1", 60, 10, 0)
    assert site.report(first) == {"accepted": 1, "refused": []}
    before = site.study(site.members[0])
    assert before["recent"][0]["credited_s"] == 600 and before["recent"][0]["title"] == "党课：初心"
    site.report(first, first)  # re-sent (a box that did not hear the answer)
    assert site.study(site.members[0]) == before
    assert site.study(site.members[1])["recent"] == []  # 李四 did not watch


def test_a_checkpoint_grows_the_interval_and_out_of_order_reports_give_the_same_total(site):
    site.report(site.interval("k1", 60, 3, 0))
    site.report(site.interval("k1", 60, 8, 0))  # the same interval, sent again longer
    site.report(site.interval("k1", 60, 5, 0))  # an older checkpoint arriving late changes nothing
    assert site.study(site.members[0])["recent"][0]["credited_s"] == 480
    later, earlier = site.interval("k3", 20, 5, 900), site.interval("k2", 40, 5, 600)
    site.report(later, earlier)
    assert site.study(site.members[0])["recent"][0]["credited_s"] == 480 + 600


def test_seeking_back_or_watching_again_adds_nothing(site):
    site.report(site.interval("a", 120, 10, 0))
    site.report(site.interval("b", 100, 10, 0))  # the same ten minutes again
    site.report(site.interval("c", 80, 5, 300))  # part of them once more
    assert site.study(site.members[0])["recent"][0]["credited_s"] == 600


def test_under_two_minutes_earns_nothing_and_the_daily_cap_holds(site):
    site.report(site.interval("short", 600, 1.5, 0))
    assert site.study(site.members[0])["recent"][0]["credited_s"] == 0
    long = site.interval("long", 200, 30, 0, members=site.members)
    site.client.application.config["STUDY_DAILY_CAP_MINUTES"] = 20
    site.report(long)
    assert site.study(site.members[1])["recent"][0]["credited_s"] == 20 * 60


def test_a_member_outside_the_household_is_not_credited(site, app, clock):
    other = site.client.post("/api/v1/admin/members", json={"name": "王五", "branch_id": site.branch},
                             headers=site.admin).json["id"]
    site.report(site.interval("x", 60, 10, 0, members=[other]))
    record = site.client.get(f"/api/v1/admin/members/{other}", headers=site.admin).json
    assert record["lessons"] == [] and record["year_lessons"] == 0
    assert site.client.get(f"/api/v1/study/{other}", headers=site.box).status_code == 404


def test_bad_intervals_are_refused_one_by_one_in_words(site, clock):
    good = site.interval("ok", 60, 5, 0)
    old = site.interval("old", 8 * 24 * 60, 5, 0)
    future = site.interval("future", -10, 5, 0)
    backwards = {**good, "key": "back", "ended_at": good["started_at"] - 1}
    answer = site.report(good, old, future, backwards, {"key": "x y"}, "text")
    assert answer["accepted"] == 1
    reasons = {r["index"]: r for r in answer["refused"]}
    assert reasons[1]["code"] == "too_old" and "7 天" in reasons[1]["message"]
    assert reasons[2]["code"] == "in_the_future" and "时钟" in reasons[2]["message"]
    assert reasons[3]["code"] == "bad_span"
    assert reasons[4]["code"] == "bad_field" and "key" in reasons[4]["message"]
    assert reasons[5]["code"] == "not_an_object"
    too_many = site.client.post("/api/v1/watch", json={"intervals": [good] * 101}, headers=site.box)
    assert too_many.status_code == 413
    assert site.client.post("/api/v1/watch", json={"intervals": [good]}).status_code == 401


def test_a_study_programme_on_a_channel_credits_like_a_video(site, clock):
    start = clock.now + timedelta(minutes=10)
    created = site.client.post("/api/v1/admin/schedule", json={
        "channel": 1, "item_id": site.video, "start": start.isoformat(), "study": True}, headers=site.admin)
    assert created.status_code == 201 and created.json["entries"][0]["study"] is True
    clock.advance(hours=2)  # watched channel 1 from 5 minutes before the programme to 25 minutes into it
    started = (start - timedelta(minutes=5)).timestamp()
    site.report({"key": "live", "channel": 1, "started_at": started, "ended_at": started + 30 * 60,
                 "members": site.members})
    lesson = site.study(site.members[1])["recent"][0]
    # The programme plays the lecture: it is that video, 25 minutes of it watched from its start.
    assert lesson["kind"] == "video" and lesson["credited_s"] == 25 * 60 and lesson["item_id"] == site.video
    site.report({"key": "other", "channel": 2, "started_at": started, "ended_at": started + 30 * 60,
                 "members": site.members})
    assert len(site.study(site.members[1])["recent"]) == 1  # nothing for study on channel 2
    # Watching the same lecture again on demand earns only the five minutes not yet seen.
    site.report(site.interval("vod", 40, 30, 0, members=site.members[1:]))
    assert site.study(site.members[1])["recent"][0]["credited_s"] == 30 * 60


def test_my_study_gives_year_month_and_unfinished_lessons_with_the_resume_point(site, clock):
    site.report(site.interval("a", 60, 45, 0))
    site.client.put(f"/api/v1/items/{site.video}/position", json={"position_s": 2700}, headers=site.box)
    mine = site.study(site.members[0])
    # 45 minutes reported, but the video is 30 minutes long: 30 count (2/3 of a 学时), and it is finished.
    assert mine["member"]["name"] == "张三" and mine["year_lessons"] == 0.67 and mine["month_lessons"] == 0.67
    assert mine["target_lessons"] == 32
    assert mine["recent"][0]["credited_s"] == 1800 and mine["recent"][0]["finished"] is True
    assert mine["unfinished"] == []


def test_unfinished_lessons_resume_where_this_box_stopped(site):
    site.report(site.interval("a", 60, 10, 0))
    site.client.put(f"/api/v1/items/{site.video}/position", json={"position_s": 600}, headers=site.box)
    unfinished = site.study(site.members[0])["unfinished"]
    assert [(u["item_id"], u["resume_s"]) for u in unfinished] == [(site.video, 600)]


def test_a_checkpoint_carries_the_resume_point_in_the_same_request(site, app):
    answer = site.client.post("/api/v1/watch", headers=site.box, json={
        "intervals": [site.interval("a", 10, 10, 0)], "position": {"item_id": site.video, "position_s": 600.4}})
    assert answer.status_code == 200
    assert answer.json["accepted"] == 1
    assert answer.json["position"] == {"item_id": site.video, "position_s": 600.4, "completed": False}
    detail = site.client.get(f"/api/v1/items/{site.video}", headers=site.box).json
    assert detail["resume_position_s"] == 600.4
    assert site.study(site.members[0])["unfinished"][0]["resume_s"] == 600.4
    with app.app_context():
        playing = get_db().execute("SELECT playing_item_id FROM devices WHERE id = ?", [site.device_id]).fetchone()
    assert playing[0] == site.video  # the administrators' list of boxes, as the position PUT keeps it


def test_a_resume_point_the_box_may_not_keep_is_refused_in_words_and_the_intervals_still_count(site, app):
    with app.app_context():
        draft = add_video(get_db(), current_lineup(), Path(app.config["MEDIA_ROOT"]), board_id="dangke",
                          title="草稿", seconds=600, state="draft")
    answer = site.client.post("/api/v1/watch", headers=site.box, json={
        "intervals": [site.interval("a", 10, 10, 0)], "position": {"item_id": draft, "position_s": 60}}).json
    assert answer["accepted"] == 1 and answer["position"]["code"] == "unknown_item"
    assert str(draft) in answer["position"]["message"]
    assert site.client.get(f"/api/v1/items/{draft}", headers=site.box).status_code == 404
    for bad, says in (({"item_id": site.video, "position_s": -1}, "播放位置 “-1”"),
                      ({"item_id": site.video, "position_s": 10**400}, "播放位置"),
                      ({"item_id": True, "position_s": 5}, "内容编号 “True”"), ("600", "“position”")):
        refused = site.client.post("/api/v1/watch", headers=site.box, json={
            "intervals": [site.interval("b", 10, 10, 0)], "position": bad})
        assert refused.status_code == 400 and says in refused.json["error"]["message"], (bad, refused.json)
    with app.app_context():  # no resume point of the box's own was kept
        assert get_db().execute("SELECT count(*) FROM positions WHERE item_id = ?", [site.video]).fetchone()[0] == 0
    # nothing of a refused request was kept: the interval "b" comes in now as new
    assert site.report(site.interval("b", 10, 10, 0))["accepted"] == 1


def test_history_stays_when_a_member_leaves_or_the_video_goes(site, app):
    site.report(site.interval("a", 60, 10, 0))
    left = site.client.patch(f"/api/v1/admin/members/{site.members[0]}", json={"active": False}, headers=site.admin)
    assert left.status_code == 200 and left.json["active"] is False and left.json["household_id"] is None
    with app.app_context():
        get_db().execute("DELETE FROM items WHERE id = ?", [site.video])
    record = site.client.get(f"/api/v1/admin/members/{site.members[0]}", headers=site.admin).json
    assert record["lessons"][0]["title"] == "党课：初心" and record["lessons"][0]["credited_s"] == 600
    assert [m["name"] for m in site.client.get("/api/v1/household", headers=site.box).json["members"]] == ["李四"]


def test_an_administrator_of_one_community_sees_only_its_members(site, app, clock):
    stranger = site.client.post("/api/v1/admin/members", json={"name": "赵六", "branch_id": site.other_branch},
                                headers=site.admin).json["id"]
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        token = editor_token(db, lineup, clock.now, username="dongfeng", role="admin")
        org = db.execute("SELECT id FROM organisations WHERE name = '东风社区'").fetchone()[0]
        set_organisation(db, "dongfeng", org, clock.now)
    limited = {"Authorization": f"Bearer {token}"}
    names = [m["name"] for m in site.client.get("/api/v1/admin/members", headers=limited).json["members"]]
    assert names == ["张三", "李四"]
    assert site.client.get(f"/api/v1/admin/members/{stranger}", headers=limited).status_code == 404
    refused = site.client.post("/api/v1/admin/members", json={"name": "钱七", "branch_id": site.other_branch},
                               headers=limited)
    assert refused.status_code == 404
    export = site.client.get("/api/v1/admin/members/export?format=csv", headers=limited).data.decode("utf-8-sig")
    assert "赵六" not in export and "张三" in export


def test_editors_and_boxes_see_no_member_data(site, app, clock):
    with app.app_context():
        token = editor_token(get_db(), current_lineup(), clock.now, username="editor")
    editor = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/admin/members", f"/api/v1/admin/members/{site.members[0]}",
                 "/api/v1/admin/members/export", f"/api/v1/admin/devices/{site.device_id}/household"):
        assert site.client.get(path, headers=editor).status_code == 403, path
        assert site.client.get(path, headers=site.box).status_code == 401, path


def test_member_fields_are_checked_with_clear_messages(site):
    def add(**body):
        return site.client.post("/api/v1/admin/members", json={"name": "孙八", "branch_id": site.branch, **body},
                                headers=site.admin)
    assert "手机号" in add(phone="12ab").json["error"]["message"]
    assert add(member_no="DF-001").status_code == 201
    taken = add(member_no="DF-001")
    assert taken.status_code == 409 and "孙八" in taken.json["error"]["message"]
    not_branch = site.client.post("/api/v1/admin/members", json={"name": "x", "branch_id": 2}, headers=site.admin)
    assert not_branch.status_code == 400 and "不是党支部" in not_branch.json["error"]["message"]
    assert add(name="").status_code == 400 and add(name="x" * 51).status_code == 400


def test_a_household_takes_at_most_nine_active_members(site):
    path = f"/api/v1/admin/devices/{site.device_id}/household"
    site.client.patch(f"/api/v1/admin/members/{site.members[1]}", json={"active": False}, headers=site.admin)
    refused = site.client.put(path, json={"members": site.members}, headers=site.admin)
    assert refused.status_code == 400 and "李四" in refused.json["error"]["message"]
    assert site.client.put(path, json={"members": "1,2"}, headers=site.admin).status_code == 400
    assert site.client.put(path, json={"members": list(range(1, 12))}, headers=site.admin).status_code == 400
    emptied = site.client.put(path, json={"members": []}, headers=site.admin)
    assert emptied.status_code == 200 and site.client.get(path, headers=site.admin).json["members"] == []


def test_a_repaired_box_keeps_its_household_only_in_its_own_organisation(site, app, clock):
    with app.app_context():
        db = get_db()
        dongfeng = db.execute("SELECT id FROM organisations WHERE name = '东风社区'").fetchone()[0]
        xiangyang = db.execute("SELECT id FROM organisations WHERE name = '向阳社区'").fetchone()[0]
        new_id, token = pair_device(db, clock.now, dongfeng, serial="SN-TEST")
        # Someone else's box claiming the same serial, approved into another community, gets nobody's household.
        _, stranger = pair_device(db, clock.now, xiangyang, serial="SN-TEST")
    assert new_id != site.device_id
    # The stranger's approval revoked the real box's token (a serial is one box): the administrator sees that.
    assert site.client.get("/api/v1/household", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    claimed = site.client.get("/api/v1/household", headers={"Authorization": f"Bearer {stranger}"}).json
    assert claimed["members"] == []
    with app.app_context():
        kept = get_db().execute("SELECT household_id FROM devices WHERE id = ?", [new_id]).fetchone()[0]
    assert kept is not None  # the box re-paired in its own community had kept it


def test_the_rules_are_given_in_words_as_configured(site):
    site.client.application.config["STUDY_DAILY_CAP_MINUTES"] = 90
    rules = site.client.get("/api/v1/admin/study/rules", headers=site.admin).json["rules"]
    assert "同一个视频每天最多计 90 分钟。" in rules and "45 分钟计 1 学时。" in rules


def test_a_limited_administrator_keeps_others_in_a_household_and_cannot_reach_other_boxes(site, app, clock):
    stranger = site.client.post("/api/v1/admin/members", json={"name": "赵六", "branch_id": site.other_branch},
                                headers=site.admin).json["id"]
    path = f"/api/v1/admin/devices/{site.device_id}/household"
    site.client.put(path, json={"members": [*site.members, stranger]}, headers=site.admin)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        token = editor_token(db, lineup, clock.now, username="dongfeng", role="admin")
        org = db.execute("SELECT id FROM organisations WHERE name = '东风社区'").fetchone()[0]
        set_organisation(db, "dongfeng", org, clock.now)
        other_box, _ = pair_device(db, clock.now, None, serial="SN-OTHER")
    limited = {"Authorization": f"Bearer {token}"}
    assert [m["name"] for m in site.client.get(path, headers=limited).json["members"]] == ["张三", "李四"]
    site.client.put(path, json={"members": site.members[:1]}, headers=limited)
    names = [m["name"] for m in site.client.get(path, headers=site.admin).json["members"]]
    assert names == ["张三", "赵六"]  # 李四 left; 赵六, whom this administrator cannot see, stayed
    outside = site.client.put(f"/api/v1/admin/devices/{other_box}/household", json={"members": []}, headers=limited)
    assert outside.status_code == 404


def test_numbers_beyond_what_sqlite_or_a_double_holds_are_refused_not_a_crash(site):
    huge = 2 ** 64
    post = site.client.post("/api/v1/admin/members", json={"name": "x", "branch_id": huge}, headers=site.admin)
    assert post.status_code == 400
    patch = site.client.patch(f"/api/v1/admin/members/{site.members[0]}", json={"branch_id": huge},
                              headers=site.admin)
    assert patch.status_code == 400
    put = site.client.put(f"/api/v1/admin/devices/{site.device_id}/household", json={"members": [huge]},
                          headers=site.admin)
    assert put.status_code == 400
    for field in ("started_at", "ended_at", "from_s", "to_s"):
        answer = site.report({**site.interval("k", 60, 5, 0), field: 10 ** 400})
        assert answer["accepted"] == 0 and answer["refused"][0]["code"] == "bad_field", field
    assert site.report({**site.interval("k", 60, 5, 0), "members": [huge]})["refused"][0]["code"] == "bad_field"


def test_yes_no_fields_take_true_or_false_only(site, clock):
    bad_active = site.client.post("/api/v1/admin/members", json={"name": "x", "branch_id": site.branch, "active": 1},
                                  headers=site.admin)
    assert bad_active.status_code == 400 and "active" in bad_active.json["error"]["message"]
    bad_study = site.client.post("/api/v1/admin/schedule", json={
        "channel": 1, "item_id": site.video, "start": (clock.now + timedelta(hours=1)).isoformat(), "study": 1},
        headers=site.admin)
    assert bad_study.status_code == 400 and "study" in bad_study.json["error"]["message"]


def test_the_export_is_a_spreadsheet_excel_opens_with_chinese_intact(site):
    import io

    import openpyxl
    csv = site.client.get("/api/v1/admin/members/export?format=csv", headers=site.admin)
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8" and csv.data.startswith("\ufeff".encode())
    xlsx = site.client.get("/api/v1/admin/members/export", headers=site.admin)
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "党支部", "手机号", "党员编号", "状态")
    assert rows[1][:2] == ("张三", "东风社区/第一党支部")


def test_videos_claimed_at_the_same_time_share_the_wall_clock(site, app):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        others = [add_video(db, lineup, Path(app.config["MEDIA_ROOT"]), board_id="dangke", title=f"党课{n}",
                            seconds=1800) for n in range(4)]
    same_time = [{**site.interval(f"v{n}", 60, 30, 0), "item_id": item} for n, item in
                 enumerate([site.video, *others])]
    site.report(*same_time)
    record = site.client.get(f"/api/v1/admin/members/{site.members[0]}", headers=site.admin).json
    assert sum(lesson["credited_s"] for lesson in record["lessons"]) == 30 * 60


def test_a_sliver_over_the_same_minutes_takes_no_credit_away(site):
    site.report(site.interval("full", 60, 30, 0))
    site.report({**site.interval("sliver", 60, 30, 0), "to_s": 1})
    assert site.study(site.members[0])["recent"][0]["credited_s"] == 30 * 60


def test_videos_the_box_may_not_see_earn_nothing_and_stay_unnamed(site, app):
    with app.app_context():
        draft = add_video(get_db(), current_lineup(), Path(app.config["MEDIA_ROOT"]), board_id="dangke",
                          title="未发布的草稿", seconds=1800, state="draft")
    site.report({**site.interval("d", 60, 30, 0), "item_id": draft})
    assert site.study(site.members[0])["recent"] == []


def test_a_checkpoint_after_the_box_clock_was_corrected_still_counts(site):
    first = site.interval("k", 60, 1, 0)
    site.report(first)
    stepped = {**site.interval("k", 60, 20, 0), "started_at": first["started_at"] + 3}  # NTP moved the clock
    stepped["ended_at"] = stepped["started_at"] + 20 * 60
    site.report(stepped)
    assert site.study(site.members[0])["recent"][0]["credited_s"] == 20 * 60
    shrunk = {**site.interval("k", 60, 25, 0), "to_s": 60}  # longer, but taking back media: ignored
    site.report(shrunk)
    assert site.study(site.members[0])["recent"][0]["credited_s"] == 20 * 60


def test_a_box_clock_far_behind_is_corrected_by_its_sent_at(site, clock):
    behind = 3 * 3600  # a box without a clock battery, before NTP answered
    interval = site.interval("k", 60, 10, 0)
    interval["started_at"] -= behind
    interval["ended_at"] -= behind
    body = {"intervals": [interval], "sent_at": clock.now.timestamp() - behind}
    answer = site.client.post("/api/v1/watch", json=body, headers=site.box).json
    assert answer["accepted"] == 1
    mine = site.study(site.members[0])
    assert mine["recent"][0]["credited_s"] == 600
    assert abs(mine["recent"][0]["last_watched_at"] - (clock.now.timestamp() - 50 * 60)) < 2


def test_too_short_intervals_and_a_flood_are_refused(site, monkeypatch):
    assert site.report({**site.interval("tiny", 60, 0, 0), "ended_at": site.interval("tiny", 60, 0, 0)["started_at"]
                        + 0.5})["refused"][0]["code"] == "too_short"
    monkeypatch.setattr("server.records.watch_log.MAX_PIECES_PER_DAY", 3)
    answer = site.report(*[site.interval(f"f{n}", 100 - n, 0.5, n * 30) for n in range(5)])
    assert answer["accepted"] == 3 and [r["code"] for r in answer["refused"]] == ["too_many", "too_many"]


@pytest.fixture
def limited(site, app, clock) -> dict:
    """An administrator of 东风社区 only."""
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        token = editor_token(db, lineup, clock.now, username="dongfeng", role="admin")
        org = db.execute("SELECT id FROM organisations WHERE name = '东风社区'").fetchone()[0]
        set_organisation(db, "dongfeng", org, clock.now)
    return {"Authorization": f"Bearer {token}"}


def test_an_administrator_of_one_community_cannot_make_accounts_or_run_the_subdistrict(site, limited, clock):
    made = site.client.post("/api/v1/admin/users", json={"username": "boss", "password": "long-enough-1",
                                                         "role": "admin"}, headers=limited)
    assert made.status_code == 403 and "街道" in made.json["error"]["message"]
    assert site.client.patch("/api/v1/admin/users/admin", json={"password": "taken-over-1"},
                             headers=limited).status_code == 403
    assert site.client.get("/api/v1/admin/users", headers=limited).status_code == 403
    start = (clock.now + timedelta(hours=1)).isoformat()
    assert site.client.post("/api/v1/admin/schedule", json={"channel": 1, "item_id": site.video, "start": start},
                            headers=limited).status_code == 403
    assert site.client.post("/api/v1/admin/notices", json={"title": "x", "expires_at": start},
                            headers=limited).status_code == 403


def test_an_administrator_of_one_community_sees_and_approves_only_its_boxes(site, limited, app, clock):
    with app.app_context():
        from server.accounts.devices import register_device
        db = get_db()
        xiangyang = db.execute("SELECT id FROM organisations WHERE name = '向阳社区'").fetchone()[0]
        other_box, _ = pair_device(db, clock.now, xiangyang, serial="SN-XY")
        code = register_device(db, "SN-NEW", "新盒子", "1", clock.now, 3600).pairing_code
    listed = {d["id"] for d in site.client.get("/api/v1/admin/devices", headers=limited).json["devices"]}
    assert site.device_id in listed and other_box not in listed
    refused = site.client.post("/api/v1/admin/devices/approve", json={"pairing_code": code, "org_id": xiangyang},
                               headers=limited)
    assert refused.status_code == 403
    assert site.client.post(f"/api/v1/admin/devices/{other_box}/revoke", headers=limited).status_code == 404


def test_member_numbers_and_names_leak_nothing_and_read_as_typed(site, limited):
    site.client.post("/api/v1/admin/members", json={"name": "赵六", "branch_id": site.other_branch,
                                                    "member_no": "XY-9"}, headers=site.admin)
    taken = site.client.post("/api/v1/admin/members", json={"name": "孙八", "branch_id": site.branch,
                                                            "member_no": "XY-9"}, headers=limited)
    assert taken.status_code == 409 and "赵六" not in taken.json["error"]["message"]
    for name in ("张\t三", "李\n四", "王\u202e五"):
        bad = site.client.post("/api/v1/admin/members", json={"name": name, "branch_id": site.branch},
                               headers=site.admin)
        assert bad.status_code == 400, name
