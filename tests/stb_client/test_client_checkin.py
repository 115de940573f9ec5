"""Check-in (签到) for real: an administrator marks a programme for check-in in the console (headless Chromium),
the TV client (libVLC, dummy output) shows the reminder, tunes in, shows "按确定键签到" at the programme's start,
OK through the HTTP remote checks the household in, and the console's 签到出席 shows it, by branch, with a
member who came in person marked by hand."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from server.accounts.organisations import add_organisation
from server.accounts.users import add_user
from server.broadcast import schedule
from server.records.households import assign_members
from server.records.members import EVERYTHING, add_member
from server.web.context import current_lineup, get_db, station
from stb_client.ui.render_checkin import BAND
from tests.conftest import pair_device
from tests.server.web.console.conftest import CHROMIUM, log_in, open_menu, ready
from tests.server.web.console.conftest import screenshot as page_screenshot
from tests.stb_client.conftest import publish_lecture, real_clock_app, tv_client
from tests.stb_client.test_client_headless import ARTIFACTS, press, screenshot, status, until
from tests.stb_client.test_client_study import shows
from tests.support.http_server import serve_in_thread
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
LEAD = timedelta(seconds=20)  # time enough to mark it in the console and start the TV before it begins


@pytest.fixture
def site(tmp_path, lecture_40s, channel_art):
    """A server on the real clock: channel art, a 40 s meeting recording scheduled (important) on channel 1 LEAD
    from now,
    an administrator, and a box whose household is 张三 (李四, same branch, watches elsewhere)."""
    media = tmp_path / "media"
    shutil.copytree(channel_art / "channels", media / "channels")
    now = datetime.now(UTC)
    app = real_clock_app(tmp_path, SECRET_KEY="checkin-test")
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        item = publish_lecture(db, lineup, media, lecture_40s, "主题党日学习会", board_id="dangjian")
        add_user(db, lineup, "admin", "password123", "admin", now, display_name="李管理员")
        top = add_organisation(db, "太平街道", "subdistrict")
        branch = add_organisation(db, "第一党支部", "branch", add_organisation(db, "东风社区", "community", top.id).id)
        device, token = pair_device(db, now, top.id)
        zhang = add_member(db, EVERYTHING, name="张三", branch_id=branch.id, now=now).id
        add_member(db, EVERYTHING, name="李四", branch_id=branch.id, now=now)
        assign_members(db, EVERYTHING, device, [zhang], now)
        entry = schedule.add_entry(db, lineup, channel=1, item_id=item, start=now + LEAD, important=True, now=now,
                                   zone=app.config["TIMEZONE"]).entries[0]
        station().keep_built(db, lineup, now)
    with serve_in_thread(app) as url:
        yield app, url, token, entry, tmp_path


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        opened = context.new_page()
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.set_default_timeout(20_000)
        yield opened
        browser.close()
    assert errors == []


def test_marked_in_the_console_checked_in_from_the_sofa_and_seen_in_the_console(site, page):
    app, url, token, entry, tmp_path = site
    # The administrator marks the programme for check-in on the schedule page (its start is left as it is).
    log_in(page, url, "admin")
    open_menu(page, "节目单")
    row = page.locator(f'tr[data-entry="{entry.id}"]')
    row.locator('select[name="checkin"]').select_option("15")
    with page.expect_navigation():
        row.locator("form.entry-edit button[type=submit]").click()
    ready(page)
    marked = page.locator(f'tr[data-entry="{entry.id}"]')
    assert "签到" in marked.inner_text() and marked.locator("text=出席情况").count() == 1
    with app.app_context():
        stored = schedule.get_entry(get_db(), entry.id)
    assert stored.checkin_minutes == 15 and stored.start == entry.start  # not moved to the minute shown

    assert datetime.now(UTC) < entry.start - timedelta(seconds=5), "LEAD too short for the console's part"
    with tv_client(app, token, tmp_path / "stb", ARTIFACTS) as remote:
        # On Home, the important programme's reminder says it takes check-ins; OK tunes to it.
        reminder = until(remote, lambda s: "重要直播：主题党日学习会" in s["texts"], "the reminder on Home")
        assert any("可签到" in line for line in reminder["texts"])
        press(remote, "ok")
        until(remote, lambda s: s["view"] == "live" and s["channel"] == 1, "channel 1")
        left = (entry.start - datetime.now(UTC)).total_seconds()
        prompt = wait_for(lambda: "按确定键签到" in (s := status(remote)).get("texts", ()) and s, left + 15,
                          "the prompt at the programme's start")
        assert datetime.now(UTC) >= entry.start - timedelta(seconds=1)
        assert "按确定键签到" in prompt["osd"]  # over the picture, through libVLC's marquee
        # The band sits at the bottom once the channel banner (10 s after tuning) has gone; on a busy machine the
        # programme can start before that, with the band at the top meanwhile.
        wait_for(lambda: screenshot(remote, "checkin-prompt") and shows("checkin-prompt", BAND, (960, 1080 - 54 - 20)),
                 15, "the band at the bottom")
        assert not shows("checkin-prompt", BAND, (960, 540)), "the centre of the picture stays clear"
        press(remote, "ok")
        done = until(remote, lambda s: any(line.startswith("签到成功：张三") for line in s["texts"]),
                     "the confirmation")
        assert "按确定键签到" not in done["texts"]
        screenshot(remote, "checkin-done")

    # The console: 签到出席 lists the programme; its page shows 张三 checked in on the TV, and 李四, who came
    # in person, is marked by hand.
    open_menu(page, "签到出席")
    listed = page.locator(f'tr[data-entry="{entry.id}"]')
    assert listed.locator("td.checked-in").inner_text() == "1" and listed.locator("td.absent").inner_text() == "1"
    with page.expect_navigation():
        listed.locator("text=查看").click()
    ready(page)
    zhang = page.locator('tr[data-member]', has_text="张三")
    assert zhang.get_attribute("data-presence") == "checked_in" and "在电视上签到" in zhang.inner_text()
    li = page.locator('tr[data-member]', has_text="李四")
    assert li.get_attribute("data-presence") == "absent"
    li.locator("button.mark").click()  # console.js PUTs the mark, then reloads the page
    page.locator('tr[data-member][data-presence="checked_in"]', has_text="李四").wait_for()
    ready(page)
    assert "admin 于" in page.locator('tr[data-member]', has_text="李四").inner_text()
    assert page.inner_text("#count-checked-in") == "2" and page.inner_text("#count-absent") == "0"
    page_screenshot(page, "attendance")
