"""The console's participation report page (学习报表) against the hand-computed fixture of test_reports.py:
headline figures, scope, drill down, members behind, escaped names in tables and charts, empty charts,
bad periods in words, and console downloads that are logged under the user's name."""

from __future__ import annotations

import html
import io
import re

import pytest
from openpyxl import load_workbook

from server.accounts.organisations import add_organisation
from server.accounts.users import add_user, set_organisation
from server.core.db import connect
from server.web.console.report_charts import Bar, cut, horizontal_bars, vertical_bars
from server.web.context import current_lineup, get_db
from tests.server.records.test_reports import org  # noqa: F401  (the hand-computed fixture)
from tests.server.web.console.test_member_pages import logged_in

NOVEMBER = "period=month&value=2026-11"


@pytest.fixture
def ctx(app):
    """The fixture's database on a connection of its own (no app context stays open across the requests, see
    test_console_auth.py); the org fixture asks for (db, lineup)."""
    db = connect(app.config["DATABASE"])
    yield db, None
    db.conn.close()


@pytest.fixture
def site(app, clock, org):  # noqa: F811
    """The fixture's organisations and members, a whole-site administrator, one limited to 东风社区, an editor."""
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        add_user(db, lineup, "admin", "password123", "admin", clock.now)
        add_user(db, lineup, "east", "password123", "admin", clock.now)
        set_organisation(db, "east", org.east, clock.now)
        add_user(db, lineup, "editor", "password123", "editor", clock.now, boards=("dangke",))
    return org


def section(body: str, section_id: str) -> str:
    found = re.search(rf'<(section|figure|dl)[^>]*id="{section_id}"[^>]*>(.*?)</\1>', body, re.S)
    assert found, section_id
    return found[2]


def words(fragment: str) -> str:
    """The text of an HTML fragment, tags out and entities read, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_the_whole_site_s_month_shows_the_hand_computed_figures_tables_and_charts(app, site):
    client, _ = logged_in(app, "admin")
    answer = client.get(f"/console/reports?{NOVEMBER}")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200, body
    assert 'href="/console/reports"' in body  # in the menu
    assert '<h2 class="report-subject" id="report-subject">全街道　2026年11月</h2>' in body
    headline = words(section(body, "headline"))
    # 张一 and 张二 of 4 active members studied (李二 is inactive); 4,050 s / 4 = 0.375 学时 each;
    # all four are behind the month's target so far (the clock says 23 November): 23/365 of 32 学时 = 2.02 学时.
    assert "参学率 50%" in headline and "4 名在册党员中 2 人参加了学习" in headline
    assert "人均学时 0.38 学时" in headline and "合计 1.5 学时" in headline
    assert "未达进度 4 人" in headline and "本期目标 2.02 学时" in headline
    communities = words(section(body, "report-communities"))
    assert "东风社区 3 2 66.7% 1.5 0.5 3" in communities and "向阳社区 1 0 0% 0 0 1" in communities
    assert "合计 4 2 50% 1.5 0.38 4" in communities
    lectures = words(section(body, "report-lectures"))
    assert "党课一 视频 30 2 1 50%" in lectures and "党课二 视频 45 1 0 0%" in lectures
    everyone = words(section(body, "report-members"))
    assert "二支部 李二 停用 0.67 0.67" in everyone and "一支部 张一 在册 1.17 1.5 未达到" in everyone
    # The three charts: inline SVG images named in Chinese, values written at the bars.
    branches = section(body, "chart-branches")
    assert 'role="img"' in branches and "<title>各党支部学时</title>" in branches
    assert 'aria-label="各党支部学时：一支部 1.5；二支部 0；三支部 0"' in branches
    assert ">1.5</text>" in branches and ">一支部</text>" in branches
    weeks = section(body, "chart-weeks")
    assert [label for label in re.findall(r">(\d+/\d+)</text>", weeks)] == [
        "11/1", "11/2", "11/9", "11/16", "11/23", "11/30"]
    assert ">0.67</text>" in weeks and ">0.83</text>" in weeks  # 1,800 s and 2,250 s
    months = section(body, "chart-months")
    assert ">2026-11</text>" in months and ">50%</text>" in months
    assert all(int(size) >= 18 for size in re.findall(r'font-size="(\d+)"', branches + weeks + months))


def test_a_community_administrator_sees_their_community_and_nothing_above_or_beside(app, site):
    client, csrf = logged_in(app, "east")
    body = client.get(f"/console/reports?{NOVEMBER}").get_data(as_text=True)
    assert "东风社区　2026年11月" in body and "向阳社区" not in body and "全街道" not in body
    select = re.search(r'<select name="org">(.*?)</select>', body, re.S)[1]
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == ["东风社区", "东风社区/一支部", "东风社区/二支部"]
    for other in (site.top, site.west, site.branch_3, "all"):
        refused = client.get(f"/console/reports?org={other}&{NOVEMBER}")
        assert refused.status_code == 404 and f"找不到组织 {other}" in refused.get_data(as_text=True)
        assert client.post(f"/console/reports/export?org={other}&{NOVEMBER}", headers=csrf).status_code == 404


def test_a_branch_drills_down_to_its_own_report_and_members_behind_link_to_their_record(app, site):
    client, _ = logged_in(app, "admin")
    body = client.get(f"/console/reports?{NOVEMBER}").get_data(as_text=True)
    link = f'href="/console/reports?org={site.branch_1}&amp;period=month&amp;value=2026-11"'
    assert f"{link}>一支部</a>" in body
    behind = section(body, "report-behind")
    assert "未达进度的党员（4 人）" in body
    assert [name for _, name in re.findall(r'href="/console/members/(\d+)">([^<]+)</a>', behind)] == [
        "李一", "王一", "张二", "张一"]  # the furthest behind first
    assert f'href="/console/members/{site.ids["李一"]}"' in behind
    branch = client.get(f"/console/reports?org={site.branch_1}&{NOVEMBER}").get_data(as_text=True)
    assert "一支部　2026年11月" in branch and "参学率 100%" in words(section(branch, "headline"))
    assert "李一" not in branch and f'<option value="{site.branch_1}" selected>' in branch


def test_names_from_the_database_are_escaped_in_the_tables_and_the_charts(app, site):
    with app.app_context():
        db = get_db()
        db.execute("UPDATE organisations SET name = ? WHERE id = ?", ["<b>&", site.branch_2])
        db.execute("UPDATE organisations SET name = ? WHERE id = ?", ['<script>alert("x")</script>一二三四五六七',
                                                                      site.branch_3])
        db.conn.commit()
    client, _ = logged_in(app, "admin")
    body = client.get(f"/console/reports?{NOVEMBER}").get_data(as_text=True)
    assert "<b>&" not in body and "<script>alert" not in body
    assert "&lt;b&gt;&amp;</a>" in section(body, "report-branches")
    chart = section(body, "chart-branches")
    assert ">&lt;b&gt;&amp;</text>" in chart and "二支部" not in chart
    # Cut to ten characters, the tenth "…"; the whole name is in the bar's <title>, escaped.
    assert ">&lt;script&gt;a…</text>" in chart
    assert "<title>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;一二三四五六七 0</title>" in chart


def test_an_organisation_without_members_draws_empty_charts_that_say_so(app, site, clock):
    with app.app_context():
        empty = add_organisation(get_db(), "新建社区", "community", site.top, clock.now).id
    client, _ = logged_in(app, "admin")
    answer = client.get(f"/console/reports?org={empty}&{NOVEMBER}")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "参学率 0%" in words(section(body, "headline"))
    for chart in ("chart-branches", "chart-weeks", "chart-months"):
        svg = section(body, chart)
        assert "暂无数据</text>" in svg and "<rect" in svg and "chart-bar" not in svg


def test_empty_and_zero_data_draw_no_bars_and_divide_by_nothing():
    assert "暂无数据" in horizontal_bars([], "空", "zh_CN")
    assert "暂无数据" in vertical_bars([Bar("11/1", 0.0, "0")], "空", "zh_CN")
    assert "暂无数据" in vertical_bars([], "空", "zh_CN", scale=1.0)
    assert cut("一二三四五六七八九十") == "一二三四五六七八九十"
    assert cut("一二三四五六七八九十一") == "一二三四五六七八九…"
    # A year's weeks are drawn narrow with their texts upright, still 18 px; a quarter's stand side by side.
    year = vertical_bars([Bar(f"{n}/1", n, str(n)) for n in range(1, 54)], "一年", "zh_CN")
    assert re.search(r'width="(\d+)"', year)[1] == str(2 * 24 + 53 * 22) and year.count("rotate(-90") == 2 * 53
    assert {int(size) for size in re.findall(r'font-size="(\d+)"', year)} == {18}
    quarter = vertical_bars([Bar(f"{n}/1", n, str(n)) for n in range(1, 15)], "一季", "zh_CN")
    assert re.search(r'width="(\d+)"', quarter)[1] == str(2 * 24 + 14 * 72) and "rotate" not in quarter


@pytest.mark.parametrize(("query", "says"), [
    ("period=month&value=2026-13", "月份“2026-13”不可用"),
    ("period=week", "统计周期“week”不可用"),
    ("period=custom&value=2026-02-10..2026-01-05", "结束不能早于开始"),
    ("org=abc", "组织编号“abc”不可用"),
])
def test_a_bad_question_is_answered_on_the_page_in_words(app, site, query, says):
    client, _ = logged_in(app, "admin")
    answer = client.get(f"/console/reports?{query}")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert says in words(re.search(r'<p class="error" role="alert" id="report-error">(.*?)</p>', body, re.S)[1])
    assert 'id="report-form"' in body and "headline" not in body


def test_console_downloads_are_logged_under_the_user_s_name_and_shown_as_recent(app, site):
    client, csrf = logged_in(app, "east")
    assert "还没有人导出过报表" in client.get("/console/reports").get_data(as_text=True)
    assert client.post(f"/console/reports/export?org={site.east}&{NOVEMBER}").status_code == 400  # no CSRF token
    book = client.post("/console/reports/export", data={"org": site.east, "period": "month", "value": "2026-11",
                                                        "format": "xlsx"}, headers=csrf)
    assert book.status_code == 200 and book.headers["Content-Disposition"].endswith('.xlsx"')
    assert load_workbook(io.BytesIO(book.data)).sheetnames == ["按支部", "按社区", "党员", "课程", "签到", "随堂测验",
                                                               "易错题"]
    table = client.post(f"/console/reports/export?org={site.east}&{NOVEMBER}&format=csv&table=members",
                        headers=csrf)
    assert table.status_code == 200 and "张一" in table.data.decode("utf-8-sig")
    with app.app_context():
        logged = [tuple(r) for r in get_db().execute(
            "SELECT username, org_name, period_value, format, table_name FROM report_exports ORDER BY id")]
    assert logged == [("east", "东风社区", "2026-11", "xlsx", None), ("east", "东风社区", "2026-11", "csv", "members")]
    recent = words(section(client.get("/console/reports").get_data(as_text=True), "recent-exports"))
    assert "2026-11-23 10:00 east 东风社区 2026年11月，CSV（党员）" in recent  # newest first, Beijing time
    assert "东风社区 2026年11月，Excel（全部表格）" in recent
    # The page's own links lead there, with the same organisation and period.
    page = client.get(f"/console/reports?{NOVEMBER}").get_data(as_text=True)
    assert page.count('action="/console/reports/export"') == 2 and 'name="table"' in page
    assert f'name="org" value="{site.east}"' in page and 'name="value" value="2026-11"' in page
    assert client.post(f"/console/reports/export?{NOVEMBER}&format=pdf", headers=csrf).status_code == 400
    assert client.get(f"/console/reports/export?{NOVEMBER}").status_code == 405  # a link cannot export


def test_the_print_link_shows_the_print_layout(app, site):
    client, _ = logged_in(app, "admin")
    body = client.get(f"/console/reports?{NOVEMBER}&print=1").get_data(as_text=True)
    assert 'class="report print-view"' in body and "Ctrl+P" in body and "console/reports.css" in body
    assert 'href="/console/reports?org=all&amp;period=month&amp;value=2026-11&amp;print=1"' in client.get(
        f"/console/reports?{NOVEMBER}").get_data(as_text=True)


def test_editors_are_refused_the_report_and_do_not_see_the_menu_entry(app, site):
    client, csrf = logged_in(app, "editor")
    assert 'href="/console/reports"' not in client.get("/console/library").get_data(as_text=True)
    assert client.get("/console/reports").status_code == 403
    assert client.post(f"/console/reports/export?{NOVEMBER}", headers=csrf).status_code == 403
    with app.app_context():
        assert get_db().execute("SELECT count(*) FROM report_exports").fetchone()[0] == 0
