"""The console's 签到出席 pages: the check-in programmes with their counts, one programme by branch with its
marks, escaped names, an administrator's scope, and the schedule page's check-in choice."""

from __future__ import annotations

from datetime import timedelta

from server.accounts.users import set_organisation
from server.web.context import current_lineup, get_db
from tests.conftest import editor_token
from tests.server.records.test_checkin import _org_of, site  # noqa: F401  (the check-in fixture)
from tests.server.web.console.test_member_pages import logged_in
from tests.server.web.console.test_report_pages import words


def test_the_list_and_a_programme_by_branch_with_names_escaped(app, site):  # noqa: F811
    entry = site.schedule(checkin=True)
    hostile = site.client.post("/api/v1/admin/members", headers=site.admin, json={
        "name": "<img src=x onerror=alert(1)>", "branch_id": site.branch}).json["id"]
    site.clock.advance(hours=1, minutes=2)
    site.check_in(entry["id"], site.members[:1])
    client, csrf = logged_in(app, "admin")
    listing = client.get("/console/attendance").get_data(as_text=True)
    row = listing.split(f'data-entry="{entry["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "主题党日：学习会" in row and '<td class="checked-in">1</td>' in row and '<td class="absent">3</td>' in row
    page = client.get(f"/console/attendance/{entry['id']}").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    text = words(page)
    assert "第一党支部" in text and "已签到 1，看了未签到 0，未参加 2" in text and "在电视上签到" in text
    assert f'data-member="{hostile}" data-presence="absent"' in page
    assert page.count('class="mark"') == 3  # everyone not checked in can be marked (the programme started)
    marked = client.put(f"/api/v1/admin/checkins/{entry['id']}/members/{hostile}", headers=csrf)
    assert marked.status_code == 201
    page = client.get(f"/console/attendance/{entry['id']}").get_data(as_text=True)
    assert "admin 于" in words(page) and "撤销补记" in words(page)


def test_a_scoped_administrator_sees_only_their_branches_and_upcoming_ones_take_no_marks(app, site):  # noqa: F811
    entry = site.schedule(checkin=20)
    with app.app_context():
        editor_token(get_db(), current_lineup(), site.clock.now, username="east", role="admin")
        set_organisation(get_db(), "east", _org_of(site.branch), site.clock.now)
    client, _ = logged_in(app, "east")
    page = client.get(f"/console/attendance/{entry['id']}").get_data(as_text=True)
    assert "王五" not in page and "张三" in page and "第二党支部" not in page
    assert 'class="mark"' not in page  # not started yet
    listing = words(client.get("/console/attendance").get_data(as_text=True))
    assert "尚未开播" in listing
    assert client.get("/console/attendance/999").status_code == 404


def test_the_schedule_page_offers_the_check_in_window_and_tags_the_programme(app, site):  # noqa: F811
    entry = site.schedule(checkin=True)
    client, _ = logged_in(app, "admin")
    week = (site.clock.now + timedelta(hours=1)).date().isoformat()
    page = client.get(f"/console/schedule?week={week}").get_data(as_text=True)
    assert "开播后 15 分钟内可签到（默认）" in page and '<option value="0" selected>不签到</option>' in page
    row = page.split(f'data-entry="{entry["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "签到" in words(row) and f'/console/attendance/{entry["id"]}' in row
    assert 'data-initial="' in row  # an unchanged start is not sent back (it is shown to the minute)
