"""The reducer's quiz screens (随堂测验): one question per screen, answered with the digit keys.

Pure like the other halves. A video's quiz is fetched when the video opens; when the video plays to its end
and has a quiz, the quiz follows at once (the green key starts it earlier, from the player or from the
video's row on its board). Each question shows its options numbered 1-4; a digit answers, and the right
answer and the explanation are shown until OK (or Right) goes on. After the last question the score
("答对 2/3 题"). Back leaves at any time.

What is stored: the attempt is sent the moment the last question is answered, for the members watching
(those chosen in "谁在看", or the only member); an attempt left with Back before that is not stored at all,
so a half-answered quiz never lowers anyone's record. Offline the attempt is lost, and the score screen
says so (the quiz itself comes from the offline cache when it was fetched before).
"""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui import watch
from stb_client.ui.keys import Key
from stb_client.ui.model import (
    FetchQuiz,
    QuizLoaded,
    QuizRun,
    QuizSaved,
    Screen,
    SendQuizAttempt,
    State,
    View,
)
from stb_client.ui.stack import pop, push, say

Effects = tuple


def has_quiz(state: State, item_id: int | None) -> bool:
    """Whether the video `item_id` is known to have a quiz (fetched when it opened)."""
    quiz = state.quizzes.get(item_id) if item_id is not None else None
    return quiz is not None and bool(quiz.questions)


def start(state: State, item_id: int) -> tuple[State, Effects]:
    """Open the quiz of video `item_id` over the screen shown (questions from the last fetch, else when they come)
    for the members watching."""
    quiz = state.quizzes.get(item_id)
    questions = quiz.questions if quiz is not None and quiz.questions else None
    run = QuizRun(item_id, watch.credited_members(state), questions)
    return replace(push(state, Screen(View.QUIZ, item_id=item_id)), quiz=run), (FetchQuiz(item_id),)


def after_video(state: State, item_id: int) -> tuple[State, Effects]:
    """A video played to its end (its player already closed): its quiz, when it has one."""
    if not has_quiz(state, item_id):
        return state, ()
    return start(state, item_id)


def _run_shown(state: State) -> QuizRun | None:
    run = state.quiz
    if state.screen.view is not View.QUIZ or run is None or run.item_id != state.screen.item_id:
        return None
    return run


def on_key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    """A digit answers the question shown; OK or Right goes on from an answer; Back leaves (see the docstring)."""
    run = _run_shown(state)
    if key is Key.BACK:
        return replace(pop(state), quiz=None), ()
    if run is None or run.questions is None:
        return state, ()
    if run.finished:
        return (replace(pop(state), quiz=None), ()) if key is Key.OK else (state, ())
    question = run.questions[run.index]
    if not run.answered and key.digit is not None and 1 <= key.digit <= len(question.options):
        run = replace(run, choices=(*run.choices, key.digit - 1))
        effects: Effects = ()
        if len(run.choices) == len(run.questions) and run.members:
            answers = tuple((q.id, choice, q.revision) for q, choice in zip(run.questions, run.choices, strict=True))
            effects = (SendQuizAttempt(run.item_id, run.members, answers),)
        return replace(state, quiz=run), effects
    if run.answered and key in (Key.OK, Key.RIGHT):
        return replace(state, quiz=replace(run, index=run.index + 1)), ()
    return state, ()


def on_loaded(state: State, event: QuizLoaded, now: float) -> tuple[State, Effects]:
    """A quiz arrived: kept; a quiz screen waiting for it gets its questions, or closes when there are none."""
    state = replace(state, quizzes={**state.quizzes, event.quiz.item_id: event.quiz})
    run = _run_shown(state)
    if run is None or run.item_id != event.quiz.item_id or run.questions is not None:
        return state, ()
    if not event.quiz.questions:
        return say(replace(pop(state), quiz=None), "stb.quiz_none", now), ()
    return replace(state, quiz=replace(run, questions=event.quiz.questions)), ()


def on_saved(state: State, event: QuizSaved, now: float) -> tuple[State, Effects]:
    """The server took the attempt (or it could not be sent): the score screen says which."""
    run = state.quiz
    if run is None or run.item_id != event.item_id:
        return state, ()
    return replace(state, quiz=replace(run, saved=event.saved)), ()
