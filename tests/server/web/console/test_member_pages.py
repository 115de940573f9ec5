"""The console's member pages (list, record, export), households on the box page, study entries in the schedule
and organisation limits on the accounts page, through a logged-in console session."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.accounts.organisations import add_organisation
from server.accounts.users import add_user, set_organisation
from server.records import households, members
from server.web.context import current_lineup, get_db
from tests.conftest import pair_device
from tests.support.fake_vod import add_video, write_slates


def csrf_from(page) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))[1]


def logged_in(app, username: str):
    """A test client with a console session for `username`, and the CSRF header its API calls need."""
    client = app.test_client()
    token = csrf_from(client.get("/console/login"))
    answer = client.post("/console/login", data={"username": username, "password": "password123",
                                                 "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client, {"X-CSRFToken": csrf_from(client.get("/console/library"))}


@pytest.fixture
def site(app, clock):
    """Two communities with a branch each, a member in each branch, a whole-site administrator, one limited
    to 东风社区, and an editor. (No app context stays open across requests: see test_console_auth.py.)"""
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        top = add_organisation(db, "幸福街道", "subdistrict", now=clock.now)
        east = add_organisation(db, "东风社区", "community", top.id, clock.now)
        red = add_organisation(db, "红旗社区", "community", top.id, clock.now)
        first = add_organisation(db, "第一支部", "branch", east.id, clock.now)
        second = add_organisation(db, "第二支部", "branch", red.id, clock.now)
        zhang = members.add_member(db, members.EVERYTHING, name="张三", branch_id=first.id, phone="13800000001",
                                   member_no="DF-001", now=clock.now)
        li = members.add_member(db, members.EVERYTHING, name="李四", branch_id=second.id, now=clock.now)
        add_user(db, lineup, "admin", "password123", "admin", clock.now)
        add_user(db, lineup, "limited", "password123", "admin", clock.now)
        set_organisation(db, "limited", east.id, clock.now)
        add_user(db, lineup, "editor", "password123", "editor", clock.now, boards=("dangke",))
    return {"east": east.id, "first": first.id, "second": second.id, "zhang": zhang.id, "li": li.id}


def test_a_limited_administrator_sees_only_the_members_under_their_organisation(app, site):
    client, _ = logged_in(app, "limited")
    page = client.get("/console/members")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "张三" in body and "李四" not in body
    assert "东风社区/第一支部" in body and "红旗社区/第二支部" not in body  # the branch filter and the add form
    assert 'href="/console/members"' in client.get("/console/library").get_data(as_text=True)  # in the menu
    assert client.get(f"/console/members/{site['li']}").status_code == 404
    assert "李四" not in client.get("/api/v1/admin/members/export?format=csv").get_data(as_text=True)
    # The whole-site administrator sees both, and filters by branch, state and search.
    admin, _ = logged_in(app, "admin")
    everyone = admin.get("/console/members").get_data(as_text=True)
    assert "张三" in everyone and "李四" in everyone and "共 2 人" in everyone
    assert "张三" not in admin.get(f"/console/members?branch={site['second']}").get_data(as_text=True)
    assert "李四" not in admin.get("/console/members?q=1380000").get_data(as_text=True)
    assert "共 0 人" in admin.get("/console/members?state=inactive").get_data(as_text=True)


def test_an_editor_is_refused_the_member_pages_and_does_not_see_the_menu_entry(app, site):
    client, _ = logged_in(app, "editor")
    assert 'href="/console/members"' not in client.get("/console/library").get_data(as_text=True)
    assert client.get("/console/members").status_code == 403
    assert client.get(f"/console/members/{site['zhang']}").status_code == 403
    assert client.get("/api/v1/admin/members/export").status_code == 403


def test_members_are_added_changed_and_deactivated_through_the_api_the_page_posts_to(app, site):
    client, csrf = logged_in(app, "admin")
    page = client.get("/console/members").get_data(as_text=True)
    assert 'data-api="/api/v1/admin/members"' in page and f'data-api="/api/v1/admin/members/{site["zhang"]}"' in page
    added = client.post("/api/v1/admin/members", json={"name": "王五", "branch_id": site["first"],
                                                       "phone": "13900000002", "member_no": ""}, headers=csrf)
    assert added.status_code == 201, added.json
    changed = client.patch(f"/api/v1/admin/members/{added.json['id']}", json={"phone": "13900000003",
                                                                              "member_no": "DF-002"}, headers=csrf)
    assert changed.status_code == 200 and changed.json["member_no"] == "DF-002"
    assert client.patch(f"/api/v1/admin/members/{added.json['id']}", json={"active": False},
                        headers=csrf).status_code == 200
    assert "王五" not in client.get("/console/members").get_data(as_text=True)  # 在册 by default
    inactive = client.get("/console/members?state=inactive").get_data(as_text=True)
    assert "王五" in inactive and "恢复在册" in inactive and "13900000003" in inactive


def test_the_record_page_shows_the_lesson_and_the_month_s_study_hours(app, site, clock):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        video = add_video(db, lineup, Path(app.config["MEDIA_ROOT"]), board_id="dangke", title="党课：学习测试",
                          seconds=600)
        device_id, token = pair_device(db, clock.now, serial="SN-HOME")
        db.execute("UPDATE devices SET name = '张家客厅' WHERE id = ?", [device_id])
        households.assign_members(db, members.EVERYTHING, device_id, [site["zhang"]], clock.now)
    now = clock.now.timestamp()
    box = app.test_client()
    reported = box.post("/api/v1/watch", headers={"Authorization": f"Bearer {token}"}, json={"intervals": [
        {"key": "k1", "item_id": video, "from_s": 0, "to_s": 600, "started_at": now - 700, "ended_at": now - 100,
         "members": [site["zhang"]]}]})
    assert reported.status_code == 200 and reported.json["accepted"] == 1, reported.json
    client, _ = logged_in(app, "limited")
    page = client.get(f"/console/members/{site['zhang']}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "张三 的学习档案" in body and "张家客厅" in body
    # 600 s of a 45-minute 学时 is 0.22, all in November (the clock's month); target 32.
    assert "已学 0.22 学时，目标 32 学时（1%）" in body
    november = re.search(r'<tr data-month="11">(.*?)</tr>', body, re.S)[1]
    assert "11 月" in november and "0.22 学时" in november
    assert "0 学时" in re.search(r'<tr data-month="10">(.*?)</tr>', body, re.S)[1]
    lesson = re.search(r"<tr><td>党课：学习测试</td>(.*?)</tr>", body, re.S)[1]
    assert "视频" in lesson and "10:00 / 10:00" in lesson and "是" in lesson and "2026-11-23 09:58" in lesson
    last_year = client.get(f"/console/members/{site['zhang']}?year=2025").get_data(as_text=True)
    assert "2025 年学时" in last_year and "已学 0 学时" in last_year and "2026 年 →" in last_year
    # The list says he has a household.
    row = re.search(rf'<tr data-member="{site["zhang"]}".*?</tr>', client.get("/console/members").get_data(
        as_text=True), re.S)[0]
    assert "<td>有</td>" in row


def test_the_export_links_give_a_real_workbook_and_a_csv(app, site):
    client, _ = logged_in(app, "admin")
    page = client.get("/console/members").get_data(as_text=True)
    links = re.findall(r'href="(/api/v1/admin/members/export\?format=\w+)"', page)
    assert links == ["/api/v1/admin/members/export?format=xlsx", "/api/v1/admin/members/export?format=csv"]
    workbook = client.get(links[0])
    assert workbook.status_code == 200 and "attachment" in workbook.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    cells = {str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None}
    assert {"姓名", "党支部", "张三", "李四", "13800000001", "DF-001"} <= cells
    csv_text = client.get(links[1]).data.decode("utf-8-sig")
    assert "张三" in csv_text and "李四" in csv_text


def test_the_import_preview_and_apply_work_on_the_session(app, site):
    client, csrf = logged_in(app, "admin")
    rows = "姓名,党支部,手机号\n赵六,东风社区/第一支部,13700000001\n钱七,第一支部,12\n"
    preview = client.post("/api/v1/admin/members/import?filename=名单.csv", data=rows.encode(),
                          headers={**csrf, "Content-Type": "application/octet-stream"})
    assert preview.status_code == 200 and preview.json["new"] == 1 and not preview.json["applied"]
    assert preview.json["errors"][0]["message"].startswith("第3行")
    applied = client.post("/api/v1/admin/members/import?filename=名单.csv&apply=1", data=rows.encode(),
                          headers={**csrf, "Content-Type": "application/octet-stream"})
    assert applied.json["created"] == 1 and "赵六" in client.get("/console/members").get_data(as_text=True)
    page = client.get("/console/members").get_data(as_text=True)
    assert 'id="roster-file"' in page and "console/members.js" in page and "学时规则" in page
    assert "45 分钟计 1 学时。" in page and "每位党员每年的目标是 32 学时。" in page


def test_the_box_page_lists_households_and_offers_the_members_in_scope(app, site, clock):
    with app.app_context():
        device_id, _ = pair_device(get_db(), clock.now, site["east"], serial="SN-BOX")
    client, csrf = logged_in(app, "admin")
    page = client.get("/console/devices").get_data(as_text=True)
    assert "未设置" in page and 'id="household-members"' in page and "console/households.js" in page
    assert f'<option value="{site["zhang"]}">张三（DF-001）</option>' in page
    assert '<optgroup label="红旗社区/第二支部">' in page
    saved = client.put(f"/api/v1/admin/devices/{device_id}/household",
                       json={"members": [site["zhang"], site["li"]]}, headers=csrf)
    assert saved.status_code == 200, saved.json
    page = client.get("/console/devices").get_data(as_text=True)
    row = re.search(rf'<tr data-device="{device_id}".*?</tr>', page, re.S)[0]
    assert f'data-members="{site["zhang"]},{site["li"]}"' in row and "张三" in row and "李四" in row
    assert "谁在看" in row
    # An administrator of 东风社区 sees only 张三, and is told about the other.
    limited, _ = logged_in(app, "limited")
    row = re.search(rf'<tr data-device="{device_id}".*?</tr>',
                    limited.get("/console/devices").get_data(as_text=True), re.S)[0]
    assert "张三" in row and "李四" not in row and "另有 1 位不在您的管理范围内" in row


def test_a_study_programme_is_scheduled_from_the_console_and_tagged(app, site, clock):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        write_slates(Path(app.config["MEDIA_ROOT"]), lineup)
        lesson = add_video(db, lineup, Path(app.config["MEDIA_ROOT"]), board_id="dangke", title="学习党课",
                           seconds=1200)
    client, csrf = logged_in(app, "admin")
    form = client.get("/console/schedule?channel=1").get_data(as_text=True)
    assert form.count('name="study"') == 1 and "学习节目（计学时）" in form
    created = client.post("/api/v1/admin/schedule", headers=csrf, json={
        "channel": 1, "item_id": lesson, "start": (clock.now + timedelta(hours=2)).isoformat(), "study": True})
    assert created.status_code == 201 and created.json["entries"][0]["study"] is True
    page = client.get("/console/schedule?channel=1").get_data(as_text=True)
    row = re.search(r'<tr data-entry="\d+">.*?</tr>', page, re.S)[0]
    assert '<span class="tag study">学习</span>' in row and re.search(r'name="study"\s+checked', row)


def test_accounts_show_and_change_an_administrator_s_organisation_limit(app, site):
    client, csrf = logged_in(app, "admin")
    page = client.get("/console/accounts").get_data(as_text=True)
    limited_row = re.search(r'<tr data-account="limited">.*?</tr>', page, re.S)[0]
    assert "<span>东风社区</span>" in limited_row and 'data-api="/api/v1/admin/users/limited/org"' in limited_row
    own_row = re.search(r'<tr data-account="admin">.*?</tr>', page, re.S)[0]
    assert "<span>整个街道</span>" in own_row and "/org" not in own_row
    lifted = client.put("/api/v1/admin/users/limited/org", json={"org_id": None}, headers=csrf)
    assert lifted.status_code == 200 and lifted.json["org_id"] is None
    assert client.put("/api/v1/admin/users/admin/org", json={"org_id": site["east"]},
                      headers=csrf).json["error"]["code"] == "org_self"
    assert client.put("/api/v1/admin/users/limited/org", json={"org_id": 999},
                      headers=csrf).status_code == 404
    assert client.put("/api/v1/admin/users/limited/org", json={"org_id": site["east"]},
                      headers=csrf).json["org_id"] == site["east"]
    # Someone limited may not change limits, their own or others'.
    limited, limited_csrf = logged_in(app, "limited")
    refused = limited.put("/api/v1/admin/users/admin/org", json={"org_id": site["east"]}, headers=limited_csrf)
    assert refused.status_code == 403 and "整个街道" in refused.json["error"]["message"]
    assert "/org" not in limited.get("/console/accounts").get_data(as_text=True)
