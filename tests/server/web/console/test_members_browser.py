"""The member pages in real headless Chromium against a real `keting serve`: an administrator imports a roster
file (with a bad row shown in the preview), then puts the new members in a box's household."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from openpyxl import Workbook

from server import create_app
from server.accounts.organisations import add_organisation
from server.web.context import get_db
from tests.conftest import pair_device
from tests.server.web.console.conftest import log_in, open_menu, ready, screenshot

pytestmark = pytest.mark.slow


def roster_file(path):
    """A small roster as a branch would keep it: two good rows and one with a bad phone (spreadsheet row 4)."""
    book = Workbook()
    sheet = book.active
    for row in (("姓名", "党支部", "手机号"), ("周建国", "东风社区/第一支部", "13800000011"),
                ("吴秀兰", "第一支部", "138 0000 0012"), ("郑明", "第一支部", "12345")):
        sheet.append(row)
    book.save(path)
    return path


def test_an_administrator_imports_a_roster_and_sets_a_household(console_server, console_settings, new_page,
                                                                 tmp_path):
    app = create_app(console_settings, clock=lambda: datetime.now(UTC))
    with app.app_context():
        db = get_db()
        top = add_organisation(db, "幸福街道", "subdistrict")
        east = add_organisation(db, "东风社区", "community", top.id)
        add_organisation(db, "第一支部", "branch", east.id)
        device_id, _ = pair_device(db, datetime.now(UTC), serial="SN-MEMBERS")
    page = new_page()
    log_in(page, console_server, "admin")
    open_menu(page, "党员")
    assert "学时规则" in page.inner_text("#study-rules")
    page.set_input_files("#roster-file", str(roster_file(tmp_path / "党员名册.xlsx")))
    page.click("#roster-preview")
    error = page.wait_for_selector("#roster-result ul.roster-errors li")
    assert error.inner_text().startswith("第4行") and "12345" in error.inner_text()
    assert "新增 2 人" in page.inner_text("#roster-result .roster-counts")
    assert "周建国" in page.inner_text("#roster-result ul.roster-new")
    assert page.is_visible("#roster-apply")
    screenshot(page, "members-import-preview")
    with page.expect_navigation():
        page.click("#roster-apply")
    ready(page)
    assert "新增 2 人" in page.wait_for_selector("#flash:has-text('导入完成')").inner_text()
    table = page.inner_text("table.members")
    assert "周建国" in table and "吴秀兰" in table and "13800000012" in page.input_value(
        "tr:has-text('吴秀兰') input[name='phone']")
    screenshot(page, "members-list")

    open_menu(page, "机顶盒")
    page.click(f'tr[data-device="{device_id}"] button.household-edit')
    assert page.input_value("#household-device") == str(device_id)
    page.select_option("#household-members", label=["周建国", "吴秀兰"])
    with page.expect_navigation():
        page.click("#household-save")
    ready(page)
    cell = page.inner_text(f'tr[data-device="{device_id}"] td.household')
    assert "周建国" in cell and "吴秀兰" in cell and "谁在看" in cell
    screenshot(page, "devices-household")

    open_menu(page, "党员")
    with page.expect_navigation():
        page.click("table.members a:has-text('周建国')")
    assert "测试机顶盒" in page.inner_text("#member-boxes") and "目标 32 学时" in page.inner_text("#year-total")
    screenshot(page, "member-record")
