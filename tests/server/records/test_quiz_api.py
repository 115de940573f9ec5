"""Quizzes through the API: editors replace a video's questions (typed or from a spreadsheet) on their own boards
only, boxes fetch a quiz and send attempts for the members watching, hostile attempts are refused in words, and
the report's summary reads per lecture and the questions most often missed."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from server.accounts.organisations import add_organisation
from server.catalogue.items import create_item
from server.records.members import Scope
from server.records.quizzes import quiz_summary
from server.web.context import current_lineup, get_db
from tests.conftest import editor_token, pair_device
from tests.support.fake_vod import add_video

QUESTIONS = [
    {"text": "中国共产党的根本宗旨是什么？", "options": ["全心全意为人民服务", "发展经济", "保卫国家"], "correct": 0,
     "explanation": "党章总纲写明：全心全意为人民服务。"},
    {"text": "党的最高理想和最终目标是？", "options": ["小康社会", "实现共产主义"], "correct": 1},
    {"text": "党员每月应当按时做什么？", "options": ["交纳党费", "写日记", "看电影", "旅游"], "correct": 0},
]


@dataclass
class Site:
    client: object
    app: object
    clock: object
    editor: dict
    other_editor: dict
    box: dict
    other_box: dict
    video: int
    article: int
    members: list[int]
    branch: int

    def put(self, questions, headers=None, item=None):
        return self.client.put(f"/api/v1/editor/items/{item or self.video}/quiz", json={"questions": questions},
                               headers=headers or self.editor)

    def quiz(self, headers=None) -> dict:
        answer = self.client.get(f"/api/v1/items/{self.video}/quiz", headers=headers or self.box)
        assert answer.status_code == 200, answer.json
        return answer.json

    def attempt(self, choices, members=None, **extra):
        questions = self.quiz()["questions"]
        answers = [{"question_id": q["id"], "choice": c, "revision": q["revision"]}
                   for q, c in zip(questions, choices, strict=False)]
        body = {"item_id": self.video, "member_ids": self.members if members is None else members,
                "answers": answers, **extra}
        return self.client.post("/api/v1/quiz/attempts", json=body, headers=self.box)


@pytest.fixture
def site(app, client, clock) -> Site:
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        top = add_organisation(db, "太平街道", "subdistrict")
        dongfeng = add_organisation(db, "东风社区", "community", top.id)
        branch = add_organisation(db, "第一党支部", "branch", dongfeng.id)
        _, token = pair_device(db, clock.now, dongfeng.id)
        other_device, other_token = pair_device(db, clock.now, dongfeng.id, serial="SN-OTHER")
        admin = editor_token(db, lineup, clock.now, username="admin", role="admin")
        editor = editor_token(db, lineup, clock.now, username="dangke_editor", boards=("dangke", "dangjian"))
        other = editor_token(db, lineup, clock.now, username="other_editor", boards=("jiaoyu",))
        video = add_video(db, lineup, Path(app.config["MEDIA_ROOT"]), board_id="dangke", title="党课：初心",
                          seconds=600)
        article = create_item(db, lineup, kind="article", board_id="dangjian", title="通知", body_markdown="正文")
    admin_headers = {"Authorization": f"Bearer {admin}"}
    members = [client.post("/api/v1/admin/members", json={"name": name, "branch_id": branch.id},
                           headers=admin_headers).json["id"] for name in ("张三", "李四", "王五")]
    device_id = client.get("/api/v1/admin/devices", headers=admin_headers).json
    ids = {d["serial"]: d["id"] for d in device_id["devices"]}
    assert client.put(f"/api/v1/admin/devices/{ids['SN-TEST']}/household", json={"members": members[:2]},
                      headers=admin_headers).status_code == 200
    assert client.put(f"/api/v1/admin/devices/{other_device}/household", json={"members": members[2:]},
                      headers=admin_headers).status_code == 200
    return Site(client, app, clock, {"Authorization": f"Bearer {editor}"}, {"Authorization": f"Bearer {other}"},
                {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {other_token}"}, video, article,
                members, branch.id)


def test_an_editor_types_questions_and_the_box_reads_them_with_answers_and_explanations(site):
    answer = site.put(QUESTIONS)
    assert answer.status_code == 200, answer.json
    assert [q["text"] for q in answer.json["questions"]] == [q["text"] for q in QUESTIONS]
    quiz = site.quiz()
    first = quiz["questions"][0]
    assert first["options"] == QUESTIONS[0]["options"] and first["correct"] == 0
    assert first["explanation"] == "党章总纲写明：全心全意为人民服务。" and first["revision"] == 1
    assert quiz["results"] == []
    assert site.client.get(f"/api/v1/editor/items/{site.video}/quiz", headers=site.editor).json == answer.json


def test_only_editors_of_the_item_s_board_change_its_quiz(site):
    assert site.put(QUESTIONS, headers=site.other_editor).status_code == 404
    assert site.client.get(f"/api/v1/editor/items/{site.video}/quiz", headers=site.other_editor).status_code == 404
    assert site.put(QUESTIONS, headers=site.box).status_code == 401
    assert site.put(QUESTIONS, item=site.article).status_code == 422  # articles take no quiz
    assert site.quiz()["questions"] == []


@pytest.mark.parametrize(("question", "words"), [
    ({"text": "", "options": ["甲", "乙"], "correct": 0}, "第1题“题目”没有填写"),
    ({"text": "题", "options": ["甲", ""], "correct": 0}, "第1题“选项B”没有填写"),
    ({"text": "题", "options": ["甲", "乙", "", "丁"], "correct": 0}, "第1题“选项D”有内容，但选项C是空的"),
    ({"text": "题", "options": ["甲", "乙", ""], "correct": 2}, "答案是 C，但选项C是空的"),
    ({"text": "题" * 201, "options": ["甲", "乙"], "correct": 0}, "最多 200 个字"),
    ({"text": "题\x07", "options": ["甲", "乙"], "correct": 0}, "控制字符"),
])
def test_a_wrong_question_is_refused_naming_the_question_the_part_and_what_to_do(site, question, words):
    answer = site.put([question])
    assert answer.status_code == 422 and words in answer.json["error"]["message"], answer.json


@pytest.mark.parametrize("questions", [
    "x", [1], [{"text": "题", "options": ["甲"], "correct": 0}],
    [{"text": "题", "options": ["甲", "乙"], "correct": 2}],
    [{"text": "题", "options": ["甲", "乙"], "correct": True}], [{"text": "题", "options": ["甲", 2], "correct": 0}],
    [{"text": "题", "options": ["甲", "乙"], "correct": 0, "evil": 1}],
    [{"text": "题", "options": ["甲", "乙"], "correct": 0, "id": 2 ** 70}],
    [{"text": f"题{n}", "options": ["甲", "乙"], "correct": 0} for n in range(21)],
])
def test_malformed_questions_are_refused_and_change_nothing(site, questions):
    site.put(QUESTIONS)
    answer = site.put(questions)
    assert 400 <= answer.status_code < 500 and answer.json["error"]["message"]
    assert len(site.quiz()["questions"]) == 3


def test_an_attempt_is_stored_for_each_member_watching_with_best_score_and_count(site):
    site.put(QUESTIONS)
    first = site.attempt([0, 0, 0])
    assert first.status_code == 201, first.json
    assert (first.json["score"], first.json["total"]) == (2, 3) and first.json["refused"] == []
    assert [(m["member_id"], m["attempts"], m["best_score"]) for m in first.json["members"]] == [
        (site.members[0], 1, 2), (site.members[1], 1, 2)]
    second = site.attempt([0, 1, 0], members=site.members[:1])
    assert second.json["score"] == 3
    third = site.attempt([1, 0, 1], members=site.members[:1])
    assert third.json["members"] == [{"member_id": site.members[0], "attempts": 3, "best_score": 3, "best_total": 3}]
    results = {r["member_id"]: r for r in site.quiz()["results"]}
    assert results[site.members[1]]["attempts"] == 1 and results[site.members[1]]["best_score"] == 2


def test_members_of_other_households_get_nothing(site):
    site.put(QUESTIONS)
    mixed = site.attempt([0, 1, 0], members=[site.members[0], site.members[2]])
    assert [m["member_id"] for m in mixed.json["members"]] == [site.members[0]]
    assert site.attempt([0, 1, 0], members=[site.members[2]]).status_code == 422


@pytest.mark.parametrize("body", [
    {"item_id": "x"}, {"member_ids": "1"}, {"member_ids": []}, {"member_ids": [True]}, {"member_ids": [2 ** 64]},
    {"member_ids": list(range(1, 11))}, {"answers": []}, {"answers": "x"}, {"answers": [{"question_id": 1}]},
    {"answers": [{"question_id": 1, "choice": 4}]}, {"answers": [{"question_id": 1, "choice": -1}]},
    {"answers": [{"question_id": 1, "choice": False}]}, {"answers": [{"question_id": 1, "choice": 0, "x": 1}]},
    {"answers": [{"question_id": 1, "choice": 0}] * 21},
])
def test_hostile_attempts_are_refused_in_words_and_store_nothing(site, body):
    site.put(QUESTIONS)
    quiz = site.quiz()
    base = {"item_id": site.video, "member_ids": site.members[:1],
            "answers": [{"question_id": q["id"], "choice": 0} for q in quiz["questions"]]}
    answer = site.client.post("/api/v1/quiz/attempts", json={**base, **body}, headers=site.box)
    assert 400 <= answer.status_code < 500 and answer.json["error"]["message"], answer.json
    assert site.quiz()["results"] == []


def test_a_duplicate_answer_and_an_item_the_box_cannot_see_are_refused(site):
    site.put(QUESTIONS)
    question = site.quiz()["questions"][0]["id"]
    twice = [{"question_id": question, "choice": 0}, {"question_id": question, "choice": 1}]
    answer = site.client.post("/api/v1/quiz/attempts", json={"item_id": site.video, "member_ids": site.members[:1],
                                                             "answers": twice}, headers=site.box)
    assert answer.status_code == 400 and "只能回答一次" in answer.json["error"]["message"]
    hidden = site.client.post("/api/v1/quiz/attempts", json={"item_id": 999, "member_ids": site.members[:1],
                                                             "answers": twice[:1]}, headers=site.box)
    assert hidden.status_code == 404
    assert site.client.get("/api/v1/items/999/quiz", headers=site.box).status_code == 404


def test_questions_edited_since_the_box_fetched_them_count_as_wrong_and_a_replaced_quiz_is_refused(site):
    site.put(QUESTIONS)
    old = site.quiz()["questions"]
    changed = [{**QUESTIONS[0], "id": old[0]["id"], "correct": 1}, QUESTIONS[1], QUESTIONS[2]]
    assert site.put(changed).status_code == 200
    now = site.quiz()["questions"]
    assert [q["id"] for q in now] == [q["id"] for q in old]  # kept: by id, and by the same text
    assert [q["revision"] for q in now] == [2, 1, 1]
    answers = [{"question_id": q["id"], "choice": c, "revision": q["revision"]} for q, c in zip(old, [0, 1, 0],
                                                                                                strict=True)]
    answer = site.client.post("/api/v1/quiz/attempts", json={"item_id": site.video, "member_ids": site.members[:1],
                                                             "answers": answers}, headers=site.box)
    assert (answer.json["score"], answer.json["total"]) == (2, 3)
    assert [(r["index"], r["code"]) for r in answer.json["refused"]] == [(0, "answer_question_changed")]
    site.put([{"text": "全新的题目", "options": ["对", "错"], "correct": 0}])
    stale = site.client.post("/api/v1/quiz/attempts", json={"item_id": site.video, "member_ids": site.members[:1],
                                                            "answers": answers}, headers=site.box)
    assert stale.status_code == 409 and "重新打开测验" in stale.json["error"]["message"]


def test_a_partial_attempt_counts_the_questions_left_out_as_wrong(site):
    site.put(QUESTIONS)
    answer = site.attempt([0])
    assert (answer.json["score"], answer.json["total"]) == (1, 3)


def spreadsheet(rows, fmt="xlsx") -> bytes:
    if fmt == "csv":
        return "\n".join(",".join(row) for row in rows).encode("gb18030")
    book = Workbook()
    for row in rows:
        book.active.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


HEADER = ["题目", "选项A", "选项B", "选项C", "选项D", "正确答案", "解析"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_spreadsheet_is_previewed_then_imported(site, fmt):
    data = spreadsheet([["第一课随堂测验"], HEADER,
                        ["党的根本宗旨？", "为人民服务", "发展经济", "", "", "a", "党章总纲"],
                        ["", "", "", "", "", "", ""], ["党员应当？", "交纳党费", "旅游", "看电影", "", "Ａ", ""]], fmt)
    url = f"/api/v1/editor/items/{site.video}/quiz/import?filename=quiz.{fmt}"
    preview = site.client.post(url, data=data, headers=site.editor)
    assert preview.status_code == 200 and not preview.json["applied"], preview.json
    assert [(q["line"], q["correct"]) for q in preview.json["questions"]] == [(3, 0), (5, 0)]
    assert site.quiz()["questions"] == []
    applied = site.client.post(url + "&apply=1", data=data, headers=site.editor)
    assert applied.status_code == 200 and applied.json["applied"]
    assert [q["options"] for q in site.quiz()["questions"]] == [["为人民服务", "发展经济"],
                                                               ["交纳党费", "旅游", "看电影"]]


def test_a_spreadsheet_with_a_wrong_row_changes_nothing_and_says_row_column_value_and_what_to_do(site):
    site.put(QUESTIONS)
    data = spreadsheet([HEADER, ["好题目", "甲", "乙", "", "", "A", ""], ["坏题目", "甲", "乙", "", "", "E", ""],
                        ["好题目", "甲", "乙", "", "", "B", ""]])
    answer = site.client.post(f"/api/v1/editor/items/{site.video}/quiz/import?filename=q.xlsx&apply=1", data=data,
                              headers=site.editor)
    assert answer.status_code == 422 and "没有导入任何题目" in answer.json["error"]["message"]
    messages = [e["message"] for e in answer.json["errors"]]
    assert messages[0] == "第3行“正确答案”：“E” 不是有效的答案。请填写一个字母 A、B、C 或 D。"
    assert "第4行“题目”与第2行的题目相同" in messages[1]
    assert [q["text"] for q in site.quiz()["questions"]] == [q["text"] for q in QUESTIONS]


@pytest.mark.parametrize(("data", "filename", "words"), [
    (b"x", "quiz.xls", "不能作为测验题目导入"), (b"", "quiz.csv", "题目文件是空的"),
    ("名字,分数\n张三,1\n".encode(), "quiz.csv", "没有找到表头"),
    (b"PK\x03\x04junk", "q.xlsx", "无法读取这个 .xlsx 文件"),
])
def test_an_unreadable_quiz_file_is_refused_in_words(site, data, filename, words):
    answer = site.client.post(f"/api/v1/editor/items/{site.video}/quiz/import?filename={filename}", data=data,
                              headers=site.editor)
    assert answer.status_code == 422 and words in answer.json["error"]["message"], answer.json


def test_another_board_s_editor_cannot_import(site):
    data = spreadsheet([HEADER, ["题", "甲", "乙", "", "", "A", ""]])
    answer = site.client.post(f"/api/v1/editor/items/{site.video}/quiz/import?filename=q.xlsx&apply=1", data=data,
                              headers=site.other_editor)
    assert answer.status_code == 404


def test_the_report_summary_per_lecture_and_the_questions_most_often_missed(site):
    site.put(QUESTIONS)
    site.attempt([0, 0, 0], members=site.members[:1])  # 2/3
    site.attempt([0, 1, 0], members=site.members[:1])  # 3/3: 张三's best
    site.attempt([1, 0, 0], members=site.members[1:2])  # 1/3
    with site.app.app_context():
        db = get_db()
        zone = ZoneInfo("Asia/Shanghai")
        today = site.clock.now.astimezone(zone).date()
        summary = quiz_summary(db, Scope(None), today, today, zone)
        empty = quiz_summary(db, Scope(None), date(2020, 1, 1), date(2020, 1, 31), zone)
        other_branch = add_organisation(db, "第二党支部", "branch",
                                        db.execute("SELECT parent_id FROM organisations WHERE id = ?",
                                                   [site.branch]).fetchone()[0])
        elsewhere = quiz_summary(db, Scope(other_branch.id), today, today, zone)
    [lecture] = summary.lectures
    assert (lecture.item_id, lecture.title, lecture.takers, lecture.attempts) == (site.video, "党课：初心", 2, 3)
    assert lecture.average_best == pytest.approx((1 + 1 / 3) / 2)
    missed = [(m.text, m.wrong, m.answers) for m in summary.missed]
    assert missed == [(QUESTIONS[1]["text"], 2, 3), (QUESTIONS[0]["text"], 1, 3)]
    assert summary.missed[0].wrong_share == pytest.approx(2 / 3) and summary.missed[0].lecture == "党课：初心"
    assert empty.lectures == () and empty.missed == ()
    assert elsewhere.lectures == ()
