"""The participation report through the administrator API: scope, periods in words, and exports that are logged
and add up."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from server.accounts.users import set_organisation
from server.web.context import current_lineup, get_db
from tests.conftest import editor_token
from tests.server.records.test_reports import org  # noqa: F401  (the hand-computed fixture)


@pytest.fixture
def api(app, client, clock, org):  # noqa: F811
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        site = editor_token(db, lineup, clock.now, username="site", role="admin")
        east = editor_token(db, lineup, clock.now, username="east", role="admin")
        set_organisation(db, "east", org.east, clock.now)
        editor = editor_token(db, lineup, clock.now, username="editor", role="editor")
    return {"site": {"Authorization": f"Bearer {site}"}, "east": {"Authorization": f"Bearer {east}"},
            "editor": {"Authorization": f"Bearer {editor}"}, "org": org, "client": client}


def test_the_report_answers_the_hand_computed_month(api):
    answer = api["client"].get(f"/api/v1/admin/reports?org={api['org'].top}&period=month&value=2026-11",
                               headers=api["site"])
    assert answer.status_code == 200, answer.json
    report = answer.json
    assert report["period"] == {"kind": "month", "value": "2026-11", "first": "2026-11-01", "last": "2026-11-30",
                                "label": "2026年11月"}
    assert report["total"]["members"] == 4 and report["total"]["participation"] == 0.5
    assert report["total"]["period_s"] == 4050 and report["lesson_s"] == 2700
    assert [lec["title"] for lec in report["lectures"]] == ["党课一", "党课二"]
    assert len(report["below_target"]) == 4


def test_an_administrator_of_one_community_sees_it_and_nothing_above_or_beside_it(api):
    client, sites = api["client"], api["org"]
    own = client.get("/api/v1/admin/reports?period=year&value=2026", headers=api["east"]).json
    assert own["organisation"]["name"] == "东风社区" and own["total"]["members"] == 3
    for other in (sites.top, sites.west, "all"):
        refused = client.get(f"/api/v1/admin/reports?org={other}", headers=api["east"])
        assert refused.status_code == 404 and str(other) in refused.json["error"]["message"]
    assert client.get(f"/api/v1/admin/reports?org={sites.branch_1}", headers=api["east"]).status_code == 200
    assert client.get("/api/v1/admin/reports", headers=api["editor"]).status_code == 403


@pytest.mark.parametrize(("query", "says"), [
    ("period=week", "week"), ("period=month&value=2026-13", "2026-13"), ("org=abc", "abc"),
    ("org=999999", "999999"), ("format=pdf", "pdf"), ("format=csv&table=secrets", "secrets"),
    ("org=%C2%B2", "²"), ("org=%E2%91%A0", "①"), ("period=year&value=9999", "9999"),
    ("period=custom&value=1969-12-31..1970-01-02", "1969-12-31"),
])
def test_bad_questions_are_refused_in_words(api, query, says):
    client = api["client"]
    if "format" in query:
        refused = client.post(f"/api/v1/admin/reports/export?{query}", headers=api["site"])
    else:
        refused = client.get(f"/api/v1/admin/reports?{query}", headers=api["site"])
    assert refused.status_code in (400, 404) and says in refused.json["error"]["message"], refused.json


def test_an_export_is_a_post_so_a_link_elsewhere_cannot_make_one_in_someones_name(api, app):
    assert api["client"].get("/api/v1/admin/reports/export", headers=api["site"]).status_code == 405
    with app.app_context():
        assert get_db().execute("SELECT count(*) FROM report_exports").fetchone()[0] == 0


def test_the_workbook_has_a_sheet_per_table_whose_totals_add_up_and_the_export_is_logged(api, app):
    answer = api["client"].post(f"/api/v1/admin/reports/export?org={api['org'].top}&period=month&value=2026-11",
                                headers=api["site"])
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames == ["按支部", "按社区", "党员", "课程", "签到", "随堂测验", "易错题"]
    branches = book["按支部"]
    assert branches["A1"].value == "太平街道 2026年11月"
    assert [c.value for c in branches[2]][:4] == ["社区", "党支部", "在册党员", "参学人数"]
    rows = list(branches.iter_rows(min_row=3, values_only=True))
    body, totals = rows[:-1], rows[-1]
    assert totals[0] == "合计" and totals[2] == sum(r[2] for r in body) == 4
    assert totals[5] == pytest.approx(sum(r[5] for r in body)) == pytest.approx(4050 / 2700)
    assert branches.column_dimensions["B"].width == 18 and branches.freeze_panes == "A3"
    with app.app_context():
        logged = get_db().execute("SELECT username, org_name, period_value, format FROM report_exports").fetchall()
    assert [tuple(r) for r in logged] == [("site", "太平街道", "2026-11", "xlsx")]


def test_a_csv_is_one_table_with_its_totals_excel_opens_as_chinese(api):
    answer = api["client"].post("/api/v1/admin/reports/export?format=csv&table=members&period=month&value=2026-11",
                                headers=api["east"])
    assert answer.status_code == 200 and answer.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["社区", "党支部", "姓名"]
    assert {r[2] for r in rows[1:-1]} == {"张一", "张二", "李一", "李二"} and rows[-1][0] == "合计"
    assert rows[-1][4] == f"{(3150 + 900) / 2700:.2f}"  # the inactive 李二's 1,800 s are listed, not counted
