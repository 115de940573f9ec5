"""Home's rows through the API: 最近看过 from the members' watching (with resume points that follow a household to
a new box), and 收藏 kept per member or per box, only ever showing what the box may see."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from server.accounts.organisations import add_organisation
from server.catalogue.favourites import MAX_PER_OWNER
from server.catalogue.items import create_item
from server.web.context import current_lineup, get_db
from tests.conftest import editor_token, pair_device
from tests.support.fake_vod import add_video


@dataclass
class Home:
    client: object
    clock: object
    admin: dict
    box: dict
    device_id: int
    videos: list[int]
    article: int
    members: list[int]

    def watch(self, key: str, video: int, minutes_ago: float, minutes: float, from_s: float, members) -> None:
        started = self.clock.now.timestamp() - minutes_ago * 60
        interval = {"key": key, "item_id": video, "from_s": from_s, "to_s": from_s + minutes * 60,
                    "started_at": started, "ended_at": started + minutes * 60, "members": members}
        answer = self.client.post("/api/v1/watch", json={"intervals": [interval]}, headers=self.box)
        assert answer.json == {"accepted": 1, "refused": []}

    def rows(self, members=None, box=None) -> dict:
        query = "" if members is None else "?members=" + ",".join(map(str, members))
        answer = self.client.get(f"/api/v1/home{query}", headers=box or self.box)
        assert answer.status_code == 200, answer.json
        assert answer.headers["Cache-Control"] == "private, no-store"
        return answer.json

    def favourite(self, item: int, on: bool, members=None, box=None):
        query = "" if members is None else "?members=" + ",".join(map(str, members))
        method = self.client.put if on else self.client.delete
        return method(f"/api/v1/favourites/{item}{query}", headers=box or self.box)


@pytest.fixture
def home(app, client, clock) -> Home:
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        top = add_organisation(db, "太平街道", "subdistrict")
        community = add_organisation(db, "东风社区", "community", top.id)
        branch = add_organisation(db, "第一党支部", "branch", community.id)
        device_id, token = pair_device(db, clock.now, community.id)
        admin = editor_token(db, lineup, clock.now, username="admin", role="admin")
        media = Path(app.config["MEDIA_ROOT"])
        videos = [add_video(db, lineup, media, board_id="dangke", title=f"党课第{n}讲", seconds=1800)
                  for n in (1, 2, 3)]
        article = create_item(db, lineup, kind="article", board_id="banshi", title="办事指南：医保报销",
                              state="published", body_markdown="正文")
    headers = {"Authorization": f"Bearer {admin}"}
    members = [client.post("/api/v1/admin/members", json={"name": name, "branch_id": branch.id},
                           headers=headers).json["id"] for name in ("张三", "李四")]
    assert client.put(f"/api/v1/admin/devices/{device_id}/household", json={"members": members},
                      headers=headers).status_code == 200
    return Home(client, clock, headers, {"Authorization": f"Bearer {token}"}, device_id, videos, article, members)


def titles(entries: list[dict]) -> list[str]:
    return [entry["title"] for entry in entries]


def test_recent_videos_are_the_members_own_latest_first_with_where_they_stopped(home):
    zhang, li = home.members
    home.watch("a", home.videos[0], 120, 10, 0, [zhang])
    home.watch("b", home.videos[1], 60, 5, 300, [zhang, li])
    home.watch("c", home.videos[2], 30, 30, 0, [li])  # watched to the end
    rows = home.rows([zhang])
    assert rows["members"] == [zhang]
    assert titles(rows["recent"]) == ["党课第2讲", "党课第1讲"]
    assert [entry["resume_s"] for entry in rows["recent"]] == [600, 600]
    assert rows["recent"][0]["kind"] == "video" and rows["recent"][0]["watched_at"] > 0
    both = home.rows([zhang, li])
    assert titles(both["recent"]) == ["党课第3讲", "党课第2讲", "党课第1讲"]
    assert both["recent"][0]["resume_s"] == 0  # to the end: from the start next time


def test_the_box_own_rows_when_nobody_is_known_and_strangers_are_left_out(home):
    home.client.put(f"/api/v1/items/{home.videos[1]}/position", json={"position_s": 95}, headers=home.box)
    assert titles(home.rows()["recent"]) == ["党课第2讲"] and home.rows()["recent"][0]["resume_s"] == 95
    assert home.rows([999_999])["members"] == []  # not of this household: the box's own rows
    assert titles(home.rows([999_999])["recent"]) == ["党课第2讲"]


def test_the_box_own_point_is_used_when_it_is_the_later(home):
    zhang = home.members[0]
    home.watch("a", home.videos[0], 10, 5, 0, [zhang])  # the last checkpoint: 300 s
    home.client.put(f"/api/v1/items/{home.videos[0]}/position", json={"position_s": 321}, headers=home.box)
    assert home.rows([zhang])["recent"][0]["resume_s"] == 321


def test_favourites_are_added_for_each_member_watching_and_taken_away_again(home):
    zhang, li = home.members
    assert home.favourite(home.article, True, [zhang, li]).json == {"item_id": home.article, "favourite": True,
                                                                   "members": [zhang, li]}
    home.clock.advance(minutes=1)
    assert home.favourite(home.videos[0], True, [li]).status_code == 200
    assert home.favourite(home.videos[0], True, [li]).status_code == 200  # again: no second row
    assert titles(home.rows([zhang])["favourites"]) == ["办事指南：医保报销"]
    assert titles(home.rows([li])["favourites"]) == ["党课第1讲", "办事指南：医保报销"]
    assert titles(home.rows()["favourites"]) == []  # the box's own are apart
    assert home.favourite(home.article, False, [zhang]).json["favourite"] is False
    assert titles(home.rows([zhang, li])["favourites"]) == ["党课第1讲", "办事指南：医保报销"]
    assert titles(home.rows([zhang])["favourites"]) == []


def test_a_household_rows_and_resume_point_follow_it_to_a_new_box(app, home):
    zhang = home.members[0]
    home.watch("a", home.videos[0], 20, 7, 0, [zhang])
    home.favourite(home.videos[2], True, [zhang])
    with app.app_context():
        _, token = pair_device(get_db(), home.clock.now, None, serial="SN-NEW")
        new_id = get_db().execute("SELECT max(id) FROM devices").fetchone()[0]
    assert home.client.put(f"/api/v1/admin/devices/{new_id}/household", json={"members": home.members},
                           headers=home.admin).status_code == 200
    new_box = {"Authorization": f"Bearer {token}"}
    rows = home.rows([zhang], new_box)
    assert titles(rows["recent"]) == ["党课第1讲"] and rows["recent"][0]["resume_s"] == 420
    assert titles(rows["favourites"]) == ["党课第3讲"]
    detail = home.client.get(f"/api/v1/items/{home.videos[0]}", headers=new_box).json
    assert detail["resume_position_s"] == 420  # the new box picks the video up where the household left it


def test_hidden_and_deleted_items_leave_the_rows(app, home):
    zhang = home.members[0]
    home.watch("a", home.videos[0], 20, 7, 0, [zhang])
    home.favourite(home.videos[1], True, [zhang])
    home.favourite(home.article, True, [zhang])
    with app.app_context():
        db = get_db()
        db.execute("UPDATE items SET state = 'draft' WHERE id = ?", [home.videos[0]])
        db.execute("DELETE FROM items WHERE id = ?", [home.article])
        assert db.execute("SELECT count(*) FROM favourites WHERE item_id = ?", [home.article]).fetchone()[0] == 0
    rows = home.rows([zhang])
    assert rows["recent"] == [] and titles(rows["favourites"]) == ["党课第2讲"]
    assert home.favourite(home.videos[0], True, [zhang]).status_code == 404  # hidden: cannot be added
    assert home.favourite(home.videos[0], False, [zhang]).status_code == 200  # but can be taken away


@pytest.mark.parametrize("members", ["abc", "1;2", "1,,2", ",".join(["1"] * 10), "1" * 19, "-1"])
def test_a_bad_members_list_is_refused_naming_it(home, members):
    answer = home.client.get(f"/api/v1/home?members={members}", headers=home.box)
    assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_members"
    assert "members" in answer.json["error"]["message"]


def test_bad_item_ids_and_a_box_without_a_token_are_refused(home):
    assert home.client.put("/api/v1/favourites/abc", headers=home.box).status_code == 400
    assert home.client.delete("/api/v1/favourites/1x", headers=home.box).status_code == 400
    assert home.client.get("/api/v1/home").status_code == 401
    assert home.client.put(f"/api/v1/favourites/{home.article}").status_code == 401


def test_favourites_have_a_limit_that_says_what_to_do(app, home, monkeypatch):
    monkeypatch.setattr("server.catalogue.favourites.MAX_PER_OWNER", 1)
    assert home.favourite(home.article, True).status_code == 200
    refused = home.favourite(home.videos[0], True)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "too_many"
    assert "取消" in refused.json["error"]["message"]
    assert titles(home.rows()["favourites"]) == ["办事指南：医保报销"]
    assert MAX_PER_OWNER >= 100


def test_the_card_and_the_playback_agree_on_where_to_resume(home):
    zhang = home.members[0]
    home.client.put(f"/api/v1/items/{home.videos[0]}/position", json={"position_s": 100}, headers=home.box)
    home.clock.advance(hours=1)
    # An hour later the household watched on to 700 s, and only the watch report reached the server (a resume
    # point lost with a power cut; or another box of theirs before they moved to this one).
    home.watch("later", home.videos[0], 10, 10, 100, [zhang])
    card = home.rows([zhang])["recent"][0]
    detail = home.client.get(f"/api/v1/items/{home.videos[0]}", headers=home.box).json
    assert (card["resume_s"], detail["resume_position_s"]) == (700, 700)
    home.client.put(f"/api/v1/items/{home.videos[0]}/position", json={"position_s": 650}, headers=home.box)
    card = home.rows([zhang])["recent"][0]  # now the box's own point is the later: exact to the second
    detail = home.client.get(f"/api/v1/items/{home.videos[0]}", headers=home.box).json
    assert (card["resume_s"], detail["resume_position_s"]) == (650, 650)


def test_a_member_who_left_no_longer_sets_where_a_new_box_resumes(app, home):
    li = home.members[1]
    home.watch("a", home.videos[0], 20, 10, 0, [li])
    assert home.client.patch(f"/api/v1/admin/members/{li}", json={"active": False},
                             headers=home.admin).status_code == 200
    with app.app_context():
        _, token = pair_device(get_db(), home.clock.now, None, serial="SN-NEW")
        new_id = get_db().execute("SELECT max(id) FROM devices").fetchone()[0]
    home.client.put(f"/api/v1/admin/devices/{new_id}/household", json={"members": home.members[:1]},
                    headers=home.admin)
    detail = home.client.get(f"/api/v1/items/{home.videos[0]}", headers={"Authorization": f"Bearer {token}"})
    assert detail.json["resume_position_s"] == 0


def test_every_kept_id_is_listed_so_the_box_can_take_any_away(monkeypatch, home):
    monkeypatch.setattr("server.web.api.home_routes.ROW_LIMIT", 2)
    for item in (home.article, *home.videos):
        home.favourite(item, True)
        home.clock.advance(minutes=1)
    rows = home.rows()
    assert len(rows["favourites"]) == 2 and sorted(rows["favourite_ids"]) == sorted([home.article, *home.videos])


def test_adding_again_to_a_full_list_keeps_it_and_a_stale_member_list_writes_nowhere(home, monkeypatch):
    monkeypatch.setattr("server.catalogue.favourites.MAX_PER_OWNER", 1)
    assert home.favourite(home.article, True).status_code == 200
    assert home.favourite(home.article, True).status_code == 200  # kept already: not "too many"
    refused = home.favourite(home.videos[0], True, [999_999])
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_household"
    assert "999999" in refused.json["error"]["message"]
    assert home.favourite(home.article, False, [999_999]).status_code == 403
    assert home.rows()["favourite_ids"] == [home.article]


@pytest.mark.parametrize("raw", ["%C2%B2", "%D9%A3"])  # superscript two, Arabic-Indic three: digits, not ASCII
def test_digits_that_are_not_ascii_are_a_bad_id_not_a_crash(home, raw):
    for method, path in (("PUT", f"/api/v1/favourites/{raw}"), ("DELETE", f"/api/v1/favourites/{raw}"),
                         ("GET", f"/api/v1/items/{raw}")):
        answer = home.client.open(path, method=method, headers=home.box)
        assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_item_id", (method, answer.json)
