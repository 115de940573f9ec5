"""The quiz on the TV (随堂测验): after a video's end or with the green key, one question per screen answered with a
digit, the answer and explanation, the score; the attempt sent once complete, nothing on Back; screens that pass
render_model's checks for elderly eyes."""

from __future__ import annotations

import pytest

from stb_client.ui.keys import Key
from stb_client.ui.layout import HEIGHT, WIDTH
from stb_client.ui.model import (
    ConnectionChanged,
    FetchQuiz,
    Household,
    ItemDetail,
    ItemLoaded,
    Member,
    PlaybackEnded,
    Quiz,
    QuizLoaded,
    QuizQuestion,
    QuizSaved,
    SendQuizAttempt,
    State,
    Stop,
    View,
)
from stb_client.ui.render_model import render
from tests.stb_client.ui.test_navigation import BOARDS, CHANNELS, ITEMS, Remote
from tests.stb_client.ui.test_render_model import assert_readable

VIDEO = 101  # 节目2 on every board: "5", "2" opens it
DETAIL = ItemDetail(VIDEO, "video", "党课：不忘初心", "http://s/v.m3u8", None, 0, 600)
QUIZ = Quiz(VIDEO, (
    QuizQuestion(11, 1, "中国共产党的根本宗旨是什么？", ("全心全意为人民服务", "发展经济", "保卫国家"), 0,
                 "党章总纲写明：全心全意为人民服务。"),
    QuizQuestion(12, 2, "党的最高理想和最终目标是？", ("小康社会", "实现共产主义"), 1),
    QuizQuestion(13, 1, "党员每月应当按时做什么？", ("交纳党费", "写日记", "看电影", "旅游"), 0, "按月交纳党费。"),
))
ONE = Household((Member(7, "张三"),))


def watched(household: Household = ONE, quiz: Quiz = QUIZ) -> Remote:
    """A video of the only member's household played, its quiz fetched, then its end."""
    remote = Remote(State(boards=BOARDS, channels=CHANNELS, items={b.id: ITEMS for b in BOARDS}, household=household))
    remote.press("5", "2")
    assert remote.last(FetchQuiz) == FetchQuiz(VIDEO)
    return remote.send(ItemLoaded(DETAIL), QuizLoaded(quiz), PlaybackEnded())


def test_the_quiz_follows_the_end_of_a_video_that_has_one():
    remote = watched()
    assert remote.view is View.QUIZ and remote.state.quiz.questions == QUIZ.questions
    assert remote.last(Stop) is not None
    assert [s.view for s in remote.state.stack] == [View.HOME, View.BOARD, View.QUIZ]


def test_a_video_without_a_quiz_ends_on_its_board_as_before():
    remote = watched(quiz=Quiz(VIDEO))
    assert remote.view is View.BOARD and remote.state.quiz is None


def test_digits_answer_ok_goes_on_and_the_attempt_is_sent_when_the_last_is_answered():
    remote = watched().press("9")  # no such option: nothing happens
    assert not remote.state.quiz.answered
    remote.press("1")
    assert remote.state.quiz.answered and remote.state.quiz.choices == (0,)
    remote.press("2")  # an answer shown: digits do nothing until OK
    assert remote.state.quiz.choices == (0,)
    remote.press(Key.OK, "1", Key.RIGHT, "1")
    assert remote.last(SendQuizAttempt) == SendQuizAttempt(VIDEO, (7,), ((11, 0, 1), (12, 0, 2), (13, 0, 1)))
    remote.press(Key.OK)
    assert remote.state.quiz.finished
    frame = render(remote.state, remote.now, "19:28")
    assert "答对 2/3 题" in [label.text for label in frame.labels]
    remote.send(QuizSaved(VIDEO, True))
    assert any("成绩已记入学习档案：张三" in label.text for label in render(remote.state, remote.now, "19:28").labels)
    remote.press(Key.OK)
    assert remote.view is View.BOARD and remote.state.quiz is None


def test_back_leaves_at_any_time_and_an_unfinished_attempt_is_not_sent():
    remote = watched().press("1", Key.OK, "2", Key.BACK)
    assert remote.view is View.BOARD and remote.state.quiz is None
    assert remote.last(SendQuizAttempt) is None


def test_the_green_key_starts_the_quiz_from_the_player_and_from_the_board():
    remote = Remote(State(boards=BOARDS, channels=CHANNELS, items={b.id: ITEMS for b in BOARDS}, household=ONE))
    remote.press("5", "2").send(ItemLoaded(DETAIL), QuizLoaded(QUIZ)).press(Key.GREEN)
    assert remote.view is View.QUIZ and remote.last(Stop) is not None and remote.state.playback is None
    remote.press(Key.BACK)
    assert remote.view is View.BOARD
    remote.press(Key.GREEN)  # 节目2 keeps the focus: its quiz again, fetched afresh
    assert remote.view is View.QUIZ and remote.last(FetchQuiz) == FetchQuiz(VIDEO)


def test_a_quiz_opened_before_it_arrived_shows_when_it_comes_or_closes_when_there_is_none():
    remote = Remote(State(boards=BOARDS, channels=CHANNELS, items={b.id: ITEMS for b in BOARDS}, household=ONE))
    remote.press("5", Key.DOWN, Key.GREEN)
    assert remote.view is View.QUIZ and remote.state.quiz.questions is None
    remote.send(QuizLoaded(QUIZ))
    assert remote.state.quiz.questions == QUIZ.questions
    empty = Remote(State(boards=BOARDS, channels=CHANNELS, items={b.id: ITEMS for b in BOARDS}, household=ONE))
    empty.press("5", Key.DOWN, Key.GREEN).send(QuizLoaded(Quiz(VIDEO)))
    assert empty.view is View.BOARD and empty.state.message.message_id == "stb.quiz_none"


def test_a_family_is_asked_who_is_watching_before_a_quiz_from_the_board_and_all_get_the_attempt():
    family = Household((Member(7, "张三"), Member(8, "李四")))
    remote = Remote(State(boards=BOARDS, channels=CHANNELS, items={b.id: ITEMS for b in BOARDS}, household=family))
    remote.send(QuizLoaded(QUIZ)).press("5", Key.DOWN, Key.GREEN)
    assert remote.view is View.VIEWERS
    remote.press("3")  # 全家一起
    assert remote.view is View.QUIZ and remote.state.quiz.members == (7, 8)
    remote.press("1", Key.OK, "2", Key.OK, "1")
    assert remote.last(SendQuizAttempt).members == (7, 8)


def test_a_box_without_a_household_shows_the_quiz_and_sends_nothing():
    remote = watched(household=Household()).press("1", Key.OK, "2", Key.OK, "1", Key.OK)
    assert remote.state.quiz.finished and remote.last(SendQuizAttempt) is None
    assert any("成绩不记录" in label.text for label in render(remote.state, remote.now, "19:28").labels)


def test_offline_the_score_screen_says_the_attempt_was_lost():
    remote = watched().press("1", Key.OK, "2", Key.OK, "1", Key.OK).send(ConnectionChanged(False))
    assert any("没有记录上" in label.text for label in render(remote.state, remote.now, "19:28").labels)


def quiz_screens() -> dict[str, Remote]:
    return {"question": watched(), "right": watched().press("1"), "wrong": watched().press("3"),
            "four_options": watched().press("1", Key.OK, "2", Key.OK),
            "score": watched().press("1", Key.OK, "2", Key.OK, "1", Key.OK),
            "loading": Remote(State(boards=BOARDS, items={b.id: ITEMS for b in BOARDS})).press("5", Key.DOWN,
                                                                                             Key.GREEN),
            "player_hint": Remote(State(boards=BOARDS, items={b.id: ITEMS for b in BOARDS})).press("5", "2").send(
                ItemLoaded(DETAIL), QuizLoaded(QUIZ))}


SCREENS = quiz_screens()


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_quiz_screens_pass_the_checks_for_elderly_eyes(name):
    remote = SCREENS[name]
    frame = render(remote.state, remote.now, "19:28")
    assert_readable(frame)
    for box in frame.boxes:
        assert box.x >= 0 and box.x + box.w <= WIDTH and box.y + box.h <= HEIGHT


def test_the_question_and_its_numbered_options_are_large_and_the_answer_shows_the_explanation():
    question = render(SCREENS["question"].state, 0, "19:28")
    texts = {label.text: label for label in question.labels}
    assert texts["中国共产党的根本宗旨是什么？"].size >= 56 and texts["第 1 题，共 3 题"]
    assert [texts[str(n)].size for n in (1, 2, 3)] == [64, 64, 64] and "4" not in texts
    assert "全心全意为人民服务" in texts and "按数字键 1–3 作答，“返回”键跳过测验" in texts
    wrong = {label.text for label in render(SCREENS["wrong"].state, 0, "19:28").labels}
    assert {"答错了。正确答案是 1", "党章总纲写明：全心全意为人民服务。", "保卫国家"} <= wrong
    assert "答对了！" in {label.text for label in render(SCREENS["right"].state, 0, "19:28").labels}
    remote = SCREENS["player_hint"]
    assert "绿键 随堂测验" in {label.text for label in render(remote.state, remote.now, "19:28").labels}
