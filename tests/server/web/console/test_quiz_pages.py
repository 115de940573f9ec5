"""The video's page in the console edits its quiz (随堂测验): the questions shown in their fields, saved and imported
through the API with the console session; an editor of another board sees neither page nor quiz."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.accounts.users import add_user
from server.records.quizzes import QuestionDraft, replace_questions
from server.web.context import current_lineup, get_db
from tests.server.web.console.test_member_pages import logged_in
from tests.support.fake_vod import add_video


@pytest.fixture
def video(app, clock) -> int:
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        add_user(db, lineup, "editor", "password123", "editor", clock.now, boards=("dangke",))
        add_user(db, lineup, "other", "password123", "editor", clock.now, boards=("wenyu",))
        item = add_video(db, lineup, Path(app.config["MEDIA_ROOT"]), board_id="dangke", title="党课", seconds=60)
        replace_questions(db, item, [QuestionDraft("党的宗旨？", ("为人民服务", "发展经济", "保卫国家"), 2, "党章。")],
                          clock.now)
    return item


def test_the_video_page_shows_its_questions_in_fields_with_the_right_answer_chosen(app, video):
    client, _ = logged_in(app, "editor")
    body = client.get(f"/console/items/{video}").get_data(as_text=True)
    assert "随堂测验" in body and "党的宗旨？</textarea>" in body
    assert 'value="为人民服务"' in body and 'value="保卫国家"' in body
    assert '<option value="2" selected>C</option>' in body
    assert "console/quiz.js" in body and 'id="quiz-template"' in body


def test_the_console_session_saves_and_imports_and_another_board_s_editor_cannot(app, video):
    client, csrf = logged_in(app, "editor")
    saved = client.put(f"/api/v1/editor/items/{video}/quiz", headers=csrf,
                       json={"questions": [{"text": "新题目", "options": ["对", "错"], "correct": 0}]})
    assert saved.status_code == 200 and [q["text"] for q in saved.json["questions"]] == ["新题目"]
    imported = client.post(f"/api/v1/editor/items/{video}/quiz/import?filename=q.csv&apply=1", headers=csrf,
                           data="题目,选项A,选项B,正确答案\n导入的题目,甲,乙,B\n".encode())
    assert imported.status_code == 200 and imported.json["questions"][0]["correct"] == 1
    assert client.put(f"/api/v1/editor/items/{video}/quiz", json={"questions": []}).status_code == 400  # no CSRF
    other, other_csrf = logged_in(app, "other")
    assert other.get(f"/console/items/{video}").status_code == 404
    assert other.put(f"/api/v1/editor/items/{video}/quiz", headers=other_csrf,
                     json={"questions": []}).status_code == 404
