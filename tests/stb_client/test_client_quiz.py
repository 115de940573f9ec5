"""The quiz for real: an editor attaches three questions to a lecture in the console (headless Chromium), the TV
client plays it in libVLC (dummy output) to its end, the quiz shows one question per screen, digit keys answer,
the score shows, the attempt reaches the server, and the participation report names the most-missed question."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.accounts.organisations import add_organisation
from server.accounts.users import add_user
from server.records.households import assign_members
from server.records.members import EVERYTHING, add_member
from server.web.context import current_lineup, get_db
from tests.conftest import pair_device
from tests.server.web.console.conftest import CHROMIUM, log_in, ready
from tests.stb_client.conftest import publish_lecture, real_clock_app, tv_client
from tests.stb_client.test_client_headless import ARTIFACTS, press, screenshot, status, until
from tests.support.http_server import serve_in_thread
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow


QUESTIONS = (("党的根本宗旨是什么？", ("全心全意为人民服务", "发展经济"), 0, "党章总纲写明。"),
             ("党员多久交一次党费？", ("每年", "每月", "每季度"), 1, ""),
             ("“三会一课”的“一课”是？", ("党课", "体育课", "音乐课", "美术课"), 0, ""))


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        opened = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.set_default_timeout(20_000)
        yield opened
        browser.close()
    assert errors == []


def attach_questions(page, url: str, item: int) -> None:
    """The editor types the three questions into the item page's 随堂测验 card and saves them."""
    log_in(page, url, "editor")
    page.goto(f"{url}/console/items/{item}")
    ready(page)
    for number, (text, options, correct, explanation) in enumerate(QUESTIONS):
        page.click("#quiz-add")
        fieldset = page.locator("#quiz-questions fieldset.quiz-question").nth(number)
        fieldset.locator('textarea[name="text"]').fill(text)
        for index, option in enumerate(options):
            fieldset.locator('input[name="option"]').nth(index).fill(option)
        fieldset.locator('select[name="correct"]').select_option(str(correct))
        fieldset.locator('textarea[name="explanation"]').fill(explanation)
    with page.expect_navigation():  # saved, then the page reloads with the questions as stored
        page.click('#quiz-form button[type="submit"]')
    ready(page)
    assert page.locator("#quiz-questions fieldset.quiz-question").count() == 3


@pytest.fixture
def quiz_box(tmp_path, lecture_40s, page):
    """A server on the real clock, a 40 s lecture given a 3-question quiz in the console, and a box whose household
    is 张三."""
    media = tmp_path / "media"
    now = datetime.now(UTC)
    app = real_clock_app(tmp_path)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        item = publish_lecture(db, lineup, media, lecture_40s, "支部党课")
        add_user(db, lineup, "editor", "password123", "editor", now, boards=("dangke",))
        add_user(db, lineup, "admin", "password123", "admin", now)
        top = add_organisation(db, "太平街道", "subdistrict")
        branch = add_organisation(db, "第一党支部", "branch", add_organisation(db, "东风社区", "community", top.id).id)
        device, token = pair_device(db, now, top.id)
        member = add_member(db, EVERYTHING, name="张三", branch_id=branch.id, now=now).id
        assign_members(db, EVERYTHING, device, [member], now)
    with serve_in_thread(app) as url:
        attach_questions(page, url, item)
        with tv_client(app, token, tmp_path / "stb", ARTIFACTS) as remote:
            yield remote, app, item, member, page, url


def test_a_quiz_attached_in_the_console_is_answered_on_the_tv_and_its_most_missed_question_reported(quiz_box):
    remote, app, item, member, page, url = quiz_box
    until(remote, lambda s: "正在看：张三" in s["texts"], "Home with the household")
    press(remote, "5", "1")
    until(remote, lambda s: s["view"] == "player" and s["displayed_pictures"] >= 10, "the lecture playing")
    # The controls shown as it starts carry the green key's hint: the quiz was fetched with the video.
    until(remote, lambda s: "绿键 随堂测验" in s["texts"], "the quiz key's hint")
    press(remote, "right")  # 30 s on: the last ten seconds play to the end
    first = wait_for(lambda: (s := status(remote))["view"] == "quiz" and s, 40, "the quiz after the lecture's end")
    assert {"随堂测验", "第 1 题，共 3 题", "党的根本宗旨是什么？", "全心全意为人民服务"} <= set(first["texts"])
    assert first["playback"] is None
    screenshot(remote, "quiz-question")
    press(remote, "1")
    until(remote, lambda s: "答对了！" in s["texts"] and "党章总纲写明。" in s["texts"], "the answer and why")
    screenshot(remote, "quiz-answer")
    press(remote, "ok", "3")  # wrong: 每季度
    until(remote, lambda s: "答错了。正确答案是 2" in s["texts"], "the right answer")
    press(remote, "ok", "1", "ok")
    done = until(remote, lambda s: "答对 2/3 题" in s["texts"] and "成绩已记入学习档案：张三" in s["texts"],
                 "the score, saved")
    assert done["view"] == "quiz"
    screenshot(remote, "quiz-score")
    with app.app_context():
        attempt = get_db().execute("SELECT member_id, item_id, score, total FROM quiz_attempts").fetchall()
        answers = get_db().execute("SELECT choice, correct FROM quiz_answers ORDER BY question_id").fetchall()
    assert [tuple(row) for row in attempt] == [(member, item, 2, 3)]
    assert [tuple(row) for row in answers] == [(0, 1), (2, 0), (0, 1)]
    press(remote, "ok")
    until(remote, lambda s: s["view"] == "board", "back on the board")
    # The administrator's report for this month: the quiz's one taker at 2/3, and the question missed first.
    admin = page.context.browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    log_in(admin, url, "admin")
    admin.goto(f"{url}/console/reports?period=month")
    ready(admin)
    quizzes = admin.inner_text("#report-quizzes")
    assert "支部党课" in quizzes and "66.7%" in quizzes
    missed = admin.locator("#report-missed tbody tr").first.inner_text()
    assert missed.split("\t")[0] == "党员多久交一次党费？" and missed.endswith("\t100%")
    admin.context.close()
