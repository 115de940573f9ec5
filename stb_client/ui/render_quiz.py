"""The quiz screens (随堂测验) as frames: a question with its numbered options, its answer with the explanation,
the score; and the green key's hint over a video that has a quiz.

Pure, with the sizes of the rest of the client (read at 3 m by elderly eyes): the question in 56 px, options in
52 px behind their digit, no focus ring (a digit answers, nothing is moved to).
"""

from __future__ import annotations

from collections.abc import Callable

from stb_client.ui.canvas import FOCUS, HINT_PX, PANEL, ROW_W, ROW_X, SOFT, WHITE, Canvas
from stb_client.ui.layout import HEIGHT, SAFE_X, SAFE_Y, TITLE_PX, WIDTH
from stb_client.ui.model import QuizQuestion, QuizRun, Screen, State
from stb_client.ui.quiz_nav import has_quiz

Text = Callable[..., str]
RIGHT = "#1B5E20"  # the right option after an answer: white on it 7.9:1
WRONG = "#8E1B1B"  # the option chosen, when wrong: white on it 8.6:1
OPTION_TOP, OPTION_H, OPTION_GAP = 420, 110, 16


def quiz_screen(canvas: Canvas, state: State, screen: Screen, now: float, t: Text) -> None:
    """The quiz on screen: loading, a question, its answer, or the score."""
    canvas.label(SAFE_X, SAFE_Y, t("stb.quiz_title"), TITLE_PX)
    detail = state.details.get(screen.item_id)
    if detail is not None:
        canvas.label(SAFE_X + 320, SAFE_Y + 16, detail.title, 44, SOFT, max_width=WIDTH - 2 * SAFE_X - 320 - 220)
    run = state.quiz
    if run is None or run.questions is None:
        canvas.label(SAFE_X, 300, t("stb.loading"), 48)
        return
    if run.finished:
        _score(canvas, state, run, t)
        return
    question = run.questions[run.index]
    canvas.label(SAFE_X, 170, t("stb.quiz_progress", number=run.index + 1, total=len(run.questions)), 44, FOCUS)
    canvas.label(SAFE_X, 240, question.text, 56, max_width=WIDTH - 2 * SAFE_X, wrap=True)
    if run.answered:
        _answer(canvas, run, question, t)
    else:
        for index, option in enumerate(question.options):
            _option(canvas, index, option, PANEL)
        canvas.label(SAFE_X, HEIGHT - SAFE_Y - HINT_PX, t("stb.quiz_answer_hint", last=len(question.options)),
                     HINT_PX, SOFT)


def _option(canvas: Canvas, index: int, option: str, colour: str, row: int | None = None) -> None:
    y = OPTION_TOP + (index if row is None else row) * (OPTION_H + OPTION_GAP)
    canvas.box(ROW_X, y, ROW_W, OPTION_H, colour)
    canvas.label(ROW_X + 30, y + 20, str(index + 1), 64, FOCUS if colour == PANEL else WHITE, colour)
    canvas.label(ROW_X + 130, y + 28, option, 52, behind=colour, max_width=ROW_W - 170)


def _answer(canvas: Canvas, run: QuizRun, question: QuizQuestion, t: Text) -> None:
    """Right or wrong: the right option (and the one chosen, when wrong), then the explanation."""
    chosen = run.choices[run.index]
    right = chosen == question.correct
    rows = [(question.correct, RIGHT)] if right else [(chosen, WRONG), (question.correct, RIGHT)]
    for row, (index, colour) in enumerate(sorted(rows)):
        _option(canvas, index, question.options[index], colour, row)
    y = OPTION_TOP + len(rows) * (OPTION_H + OPTION_GAP) + 10
    verdict = t("stb.quiz_right") if right else t("stb.quiz_wrong", answer=question.correct + 1)
    canvas.label(SAFE_X, y, verdict, 56, FOCUS)
    if question.explanation:
        canvas.label(SAFE_X, y + 90, question.explanation, 40, max_width=WIDTH - 2 * SAFE_X, wrap=True)
    last = run.index == len(run.questions) - 1
    canvas.label(SAFE_X, HEIGHT - SAFE_Y - HINT_PX, t("stb.quiz_last_hint") if last else t("stb.quiz_next_hint"),
                 HINT_PX, SOFT)


def _score(canvas: Canvas, state: State, run: QuizRun, t: Text) -> None:
    """"答对 2/3 题" in large type, and whether it reached the member's record."""
    right = sum(1 for q, choice in zip(run.questions or (), run.choices, strict=False) if choice == q.correct)
    canvas.label(SAFE_X, 300, t("stb.quiz_score", score=right, total=len(run.questions or ())), 120, FOCUS)
    if not run.members:
        words = t("stb.quiz_no_members")
    elif run.saved:
        names = "、".join(m.name for m in state.household.members if m.id in run.members)
        words = t("stb.quiz_saved", names=names)
    elif run.saved is False or state.offline:
        words = t("stb.quiz_not_saved")
    else:
        words = t("stb.quiz_saving")
    canvas.label(SAFE_X, 520, words, 48, max_width=WIDTH - 2 * SAFE_X, wrap=True)
    canvas.label(SAFE_X, HEIGHT - SAFE_Y - HINT_PX, t("stb.quiz_done_hint"), HINT_PX, SOFT)


def quiz_key_hint(canvas: Canvas, state: State, screen: Screen, y: int, t: Text) -> None:
    """Over a playing video's controls, on the right: the green key starts its quiz (when it has one)."""
    if has_quiz(state, screen.item_id):
        canvas.label(WIDTH - SAFE_X, y, t("stb.quiz_key"), 44, FOCUS, PANEL, align="right")
