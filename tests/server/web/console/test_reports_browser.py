"""The participation report page in real headless Chromium against a real `keting serve`: an administrator
opens 学习报表, chooses a month, reads the figures and the three charts, downloads the workbook (whose totals
add up) and sees the page as it prints."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from server import create_app
from server.accounts.organisations import add_organisation
from server.core.db import write_transaction
from server.records.members import EVERYTHING, add_member
from server.web.context import get_db
from tests.server.web.console.conftest import log_in, open_menu, ready, screenshot

pytestmark = pytest.mark.slow


def seed(settings) -> None:
    """March 2025 in two communities: 周建国 studies 4,050 s, 吴秀兰 1,800 s, 郑明 nothing (2 of 3: 66.7%)."""
    app = create_app(settings, clock=lambda: datetime.now(UTC))
    now = datetime.now(UTC)
    with app.app_context():
        db = get_db()
        top = add_organisation(db, "红星街道", "subdistrict").id
        east = add_organisation(db, "东风社区", "community", top).id
        red = add_organisation(db, "红旗社区", "community", top).id
        first = add_organisation(db, "第一支部", "branch", east).id
        second = add_organisation(db, "第二支部", "branch", red).id
        ids = {name: add_member(db, EVERYTHING, name=name, branch_id=branch, now=now).id
               for name, branch in (("周建国", first), ("吴秀兰", first), ("郑明", second))}
        with write_transaction(db):
            db.conn.executemany("INSERT INTO study_subjects (subject, kind, ref_id, title, duration_s) "
                                "VALUES (?, ?, ?, ?, ?)", [("item:1", "video", 1, "学习党章", 2700.0)])
            db.conn.executemany("INSERT INTO study_credit (member_id, day, subject, seconds) VALUES (?, ?, ?, ?)", [
                (ids["周建国"], "2025-03-04", "item:1", 2700.0), (ids["周建国"], "2025-03-12", "item:1", 1350.0),
                (ids["吴秀兰"], "2025-03-20", "item:1", 1800.0)])


def test_an_administrator_reads_downloads_and_prints_the_month_s_report(console_server, console_settings, new_page,
                                                                        tmp_path):
    seed(console_settings)
    page = new_page()
    log_in(page, console_server, "admin")
    open_menu(page, "学习报表")
    page.select_option('#report-form select[name="period"]', "month")
    page.fill('#report-form input[name="value"]', "2025-03")
    with page.expect_navigation():
        page.click("#report-form button[type=submit]")
    ready(page)
    assert "value=2025-03" in page.url
    assert page.inner_text("#report-subject") == "全街道　2025年3月"
    assert "66.7%" in page.inner_text("#figure-participation")
    assert "0.72" in page.inner_text("#figure-per-member")  # 5,850 s / 3 members / 2,700 s
    assert "3" in page.inner_text("#figure-below")
    for chart in ("#chart-branches", "#chart-weeks", "#chart-months"):
        svg = page.locator(f"{chart} svg.chart")
        assert svg.is_visible() and svg.get_attribute("role") == "img"
        assert svg.bounding_box()["width"] >= 900 and svg.locator("rect.chart-bar").count() >= 1
    assert page.locator("#chart-weeks rect.chart-bar").count() == 6  # 3/1 (a Saturday), 3/3 ... 3/31
    assert "第一支部" in page.inner_text("#chart-branches") and "2.17" in page.inner_text("#chart-branches")
    screenshot(page, "reports")

    with page.expect_download() as downloading:
        page.click("#download-xlsx button")
    saved = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    assert saved.name == "report-all-2025-03.xlsx"
    book = load_workbook(saved)
    assert book.sheetnames == ["按支部", "按社区", "党员", "课程", "签到", "随堂测验", "易错题"]
    rows = list(book["按支部"].iter_rows(min_row=3, values_only=True))
    body, totals = rows[:-1], rows[-1]
    assert [row[1] for row in body] == ["第一支部", "第二支部"] and totals[0] == "合计"
    assert totals[2] == sum(row[2] for row in body) == 3 and totals[3] == sum(row[3] for row in body) == 2
    assert totals[5] == pytest.approx(sum(row[5] for row in body)) == pytest.approx(5850 / 2700)
    page.reload()
    ready(page)
    assert "admin" in page.inner_text("#recent-exports") and "Excel" in page.inner_text("#recent-exports")

    page.emulate_media(media="print")
    for hidden in ("header.top", "#report-form", "#report-downloads", "#recent-exports"):
        assert not page.is_visible(hidden), hidden
    assert page.is_visible("#chart-branches svg.chart") and page.is_visible("#report-branches table")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert page.evaluate("getComputedStyle(document.querySelector('#report-branches td')).color") == "rgb(0, 0, 0)"
    screenshot(page, "reports-print")
    page.emulate_media(media="screen")

    page.evaluate("window.print = () => { document.body.dataset.printed = '1'; }")  # no dialog in a test
    page.click("#print-link")  # opens the print dialog at once
    assert page.get_attribute("body", "data-printed") == "1"
    page.goto(page.evaluate("document.querySelector('#print-link').href"))  # without scripts: the print layout
    ready(page)
    assert not page.is_visible("header.top") and not page.is_visible("#report-form")
    assert page.is_visible("#chart-months svg.chart") and "Ctrl+P" in page.inner_text(".print-note")
