"""Quizzes (随堂测验): an editor's single-choice questions on a video, members' attempts at them, and what the
participation report reads back.

A question has 2 to 4 options, exactly one correct, and an optional explanation the TV shows after each
answer. Editors replace an item's questions as a whole (typed in the console, or a spreadsheet through
quiz_import.py); a question kept across a replacement (same id, or same text) keeps its id and its history,
and its `revision` goes up when its text, options or correct answer change. A question taken away is kept
with `removed_at`, so old answers and the report still read its text.

Scoring an attempt (`record_attempt`), defined so that a box cannot improve a score by what it leaves out:
the total is the number of the item's current questions; an answer counts when its question is current and,
if the box names the revision it showed, that revision is the current one; every other answer is refused
(listed, not stored) and, like a question not answered, counts as wrong. An attempt in which no answer
counts (the quiz was replaced meanwhile) is refused whole (409): the box fetches the quiz again. Each member
watching gets the attempt; members not of the box's household are left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from keting_i18n import text as message_text
from server.core.db import write_transaction
from server.core.errors import NotFound, UserError
from server.core.timestamps import format_utc
from server.records.households import viewers
from server.records.members import UNPRINTABLE, Scope, is_row_id

MAX_QUESTIONS = 20  # one sitting on the sofa; the schema's CHECK says the same
MIN_OPTIONS, MAX_OPTIONS = 2, 4  # answered with the digit keys 1-4
MAX_TEXT_CHARS = 200
MAX_OPTION_CHARS = 100
MAX_EXPLANATION_CHARS = 500
MAX_MEMBERS = 9  # a household's most
LETTERS = "ABCD"
# The words a question's parts go by, in the console's form and the spreadsheet's columns alike.
TEXT_COLUMN = "题目"
OPTION_COLUMNS = tuple(f"选项{letter}" for letter in LETTERS)
CORRECT_COLUMN = "正确答案"
EXPLANATION_COLUMN = "解析"


@dataclass(frozen=True)
class QuestionDraft:
    """A question as an editor gives it (checked): `correct` is the index of the right option."""

    text: str
    options: tuple[str, ...]
    correct: int
    explanation: str = ""
    id: int | None = None  # the question it changes, when the editor's form names one


@dataclass(frozen=True)
class Question:
    """A current question of an item's quiz, as editors and boxes read it."""

    id: int
    item_id: int
    position: int
    text: str
    options: tuple[str, ...]
    correct: int
    explanation: str
    revision: int


@dataclass(frozen=True)
class Problem:
    """What is wrong with one part of a question: the column it is in, a message id and its parameters."""

    column: str
    message_id: str
    params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class MemberResult:
    """A member's attempts at one quiz: how many, and the best score (the best share right; the later on a tie)."""

    member_id: int
    attempts: int
    best_score: int
    best_total: int


@dataclass(frozen=True)
class Attempt:
    """An attempt as scored and stored: the score, the refused answers (index, message id, params), and each
    member's results since."""

    score: int
    total: int
    refused: tuple[tuple[int, str, dict], ...]
    results: tuple[MemberResult, ...]


# ---- questions --------------------------------------------------------------------------------------------

def _question(row) -> Question:
    return Question(row["id"], row["item_id"], row["position"], row["text"], tuple(json.loads(row["options"])),
                    row["correct"], row["explanation"], row["revision"])


def questions(db: Database, item_id: int) -> tuple[Question, ...]:
    """The item's current questions, in order (none: the item has no quiz)."""
    return tuple(_question(row) for row in db.execute(
        "SELECT * FROM quiz_questions WHERE item_id = ? AND removed_at IS NULL ORDER BY position", [item_id]))


def check_item(db: Database, item_id: int, may_edit: Callable[[str], bool] = lambda board_id: True):
    """The item whose quiz an editor changes: 404 when it does not exist or is on a board they may not edit (as
    for editing the item itself), 422 when it is no video."""
    row = db.execute("SELECT id, kind, board_id, title FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None or not may_edit(row["board_id"]):
        raise NotFound("item.not_found", id=item_id)
    if row["kind"] != "video":
        raise UserError("quiz.not_video", status=422, id=item_id)
    return row


def draft_problems(text: str, options: Sequence[str], correct: str, explanation: str) -> list[Problem]:
    """Everything wrong with a question typed as text: the question, options A-D ("" for none), the correct
    answer's letter and the explanation. Shared by the console's form and the spreadsheet import."""
    problems: list[Problem] = []

    def check_text(column: str, value: str, limit: int, empty_id: str | None) -> None:
        if not value:
            if empty_id:
                problems.append(Problem(column, empty_id))
        elif UNPRINTABLE.search(value.replace("\n", "")):
            problems.append(Problem(column, "quiz.control_character", (("value", value[:40]),)))
        elif len(value) > limit:
            problems.append(Problem(column, "quiz.too_long", (("value", value[:40] + "…"), ("max", limit))))
    check_text(TEXT_COLUMN, text, MAX_TEXT_CHARS, "quiz.text_empty")
    filled = [bool(option) for option in options]
    for index, (column, option) in enumerate(zip(OPTION_COLUMNS, options, strict=False)):
        check_text(column, option, MAX_OPTION_CHARS, "quiz.option_empty" if index < MIN_OPTIONS else None)
        if option and index > 0 and not filled[index - 1]:
            problems.append(Problem(column, "quiz.option_gap", (("before", OPTION_COLUMNS[index - 1]),)))
    check_text(EXPLANATION_COLUMN, explanation, MAX_EXPLANATION_CHARS, None)
    letter = correct.strip().upper().translate(_FULL_WIDTH)
    if letter not in LETTERS[:MAX_OPTIONS] or len(letter) != 1:
        problems.append(Problem(CORRECT_COLUMN, "quiz.bad_correct", (("value", correct[:20]),)))
    elif LETTERS.index(letter) >= len(options) or not options[LETTERS.index(letter)]:
        problems.append(Problem(CORRECT_COLUMN, "quiz.correct_is_empty",
                                (("value", letter), ("option", OPTION_COLUMNS[LETTERS.index(letter)]))))
    return problems


_FULL_WIDTH = str.maketrans("ＡＢＣＤ", "ABCD")


def draft_of(text: str, options: Sequence[str], correct: str, explanation: str,
             question_id: int | None = None) -> QuestionDraft:
    """The draft of a question `draft_problems` found nothing wrong with."""
    letter = correct.strip().upper().translate(_FULL_WIDTH)
    return QuestionDraft(text, tuple(option for option in options if option), LETTERS.index(letter), explanation,
                         question_id)


def drafts_from_json(raw: object) -> list[QuestionDraft]:
    """The editor API's {"questions": [{id?, text, options, correct (index), explanation?}]} as drafts; UserError
    (400 or 422) naming the question's number, the part and what to do for the first thing wrong."""
    if not isinstance(raw, list):
        raise UserError("quiz.bad_questions")
    if len(raw) > MAX_QUESTIONS:
        raise UserError("quiz.too_many", status=422, count=len(raw), max=MAX_QUESTIONS)
    drafts, texts = [], {}
    for number, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or not set(entry) <= {"id", "text", "options", "correct", "explanation"}:
            raise UserError("quiz.bad_question", number=number)
        question_id, text, options = entry.get("id"), entry.get("text", ""), entry.get("options")
        correct, explanation = entry.get("correct"), entry.get("explanation") or ""
        if (question_id is not None and not is_row_id(question_id)) or not isinstance(text, str) \
                or not isinstance(explanation, str) or not isinstance(options, list) \
                or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS or not all(isinstance(o, str) for o in options) \
                or not isinstance(correct, int) or isinstance(correct, bool) or not 0 <= correct < len(options):
            raise UserError("quiz.bad_question", number=number)
        cleaned = [option.strip() for option in options] + [""] * (MAX_OPTIONS - len(options))
        problems = draft_problems(text.strip(), cleaned, LETTERS[correct], explanation.strip())
        if problems:
            first = problems[0]
            raise UserError(first.message_id, status=422, where=_where_question(number, first.column),
                            **dict(first.params))
        draft = draft_of(text.strip(), cleaned, LETTERS[correct], explanation.strip(), question_id)
        if draft.text in texts:
            raise UserError("quiz.duplicate_text", status=422, where=_where_question(number, TEXT_COLUMN),
                            first=texts[draft.text])
        texts[draft.text] = number
        drafts.append(draft)
    return drafts


def _where_question(number: int, column: str) -> str:
    return message_text("quiz.where_question", number=number, column=column)


def replace_questions(db: Database, item_id: int, drafts: Sequence[QuestionDraft], now: datetime
                      ) -> tuple[Question, ...]:
    """Make `drafts` the item's questions, in this order, in one transaction. A draft naming a current question
    of the item by id changes it, else a current question with the same text is kept; a question whose text,
    options or correct answer change gets a new revision. Current questions not kept are removed (kept for the
    history). An id of another item's question is refused (422)."""
    if len(drafts) > MAX_QUESTIONS:
        raise UserError("quiz.too_many", status=422, count=len(drafts), max=MAX_QUESTIONS)
    stamp = format_utc(now)
    with write_transaction(db):
        current = {q.id: q for q in questions(db, item_id)}
        by_text = {q.text: q.id for q in current.values()}
        kept: list[int | None] = []  # per draft: the current question it keeps, or None (a new one)
        for number, draft in enumerate(drafts, start=1):
            if draft.id is not None and draft.id not in current:
                raise UserError("quiz.unknown_question", status=422, number=number, id=draft.id)
            question_id = draft.id if draft.id is not None else by_text.get(draft.text)
            kept.append(question_id if question_id not in kept else None)
        # Positions are unique among current questions only: every one is removed first, and those kept come
        # back one by one at their new places.
        db.execute("UPDATE quiz_questions SET removed_at = ? WHERE item_id = ? AND removed_at IS NULL",
                   [stamp, item_id])
        for position, (draft, question_id) in enumerate(zip(drafts, kept, strict=True), start=1):
            options = json.dumps(list(draft.options), ensure_ascii=False)
            if question_id is None:
                db.execute("""INSERT INTO quiz_questions (item_id, position, text, options, correct, explanation,
                              updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                           [item_id, position, draft.text, options, draft.correct, draft.explanation, stamp])
                continue
            old = current[question_id]
            changed = (old.text, old.options, old.correct) != (draft.text, draft.options, draft.correct)
            db.execute("""UPDATE quiz_questions SET position = ?, text = ?, options = ?, correct = ?, explanation = ?,
                          revision = revision + ?, updated_at = CASE WHEN ? THEN ? ELSE updated_at END,
                          removed_at = NULL WHERE id = ?""",
                       [position, draft.text, options, draft.correct, draft.explanation, int(changed),
                        int(changed or old.explanation != draft.explanation), stamp, question_id])
    return questions(db, item_id)


# ---- attempts ---------------------------------------------------------------------------------------------

def _checked_answers(raw: object) -> list[tuple[int, int, int | None]]:
    """The attempt's answers as (question id, choice, revision or None); 400 naming what is malformed."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_QUESTIONS:
        raise UserError("quiz.bad_answers", max=MAX_QUESTIONS)
    answers, seen = [], set()
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or not set(entry) <= {"question_id", "choice", "revision"}:
            raise UserError("quiz.bad_answer", index=index)
        question_id, choice, revision = entry.get("question_id"), entry.get("choice"), entry.get("revision")
        if not is_row_id(question_id) or not isinstance(choice, int) or isinstance(choice, bool) \
                or not 0 <= choice < MAX_OPTIONS or (revision is not None and not is_row_id(revision)):
            raise UserError("quiz.bad_answer", index=index)
        if question_id in seen:
            raise UserError("quiz.duplicate_answer", index=index, id=question_id)
        seen.add(question_id)
        answers.append((question_id, choice, revision))
    return answers


def score(current: Sequence[Question], answers: Sequence[tuple[int, int, int | None]]
          ) -> tuple[int, list[tuple[int, int, bool]], list[tuple[int, str, dict]]]:
    """Pure: the score of `answers` against the `current` questions, the answers that count (question id,
    choice, right) and those refused (index, message id, params). The module's docstring gives the rule."""
    by_id = {q.id: q for q in current}
    counted, refused = [], []
    for index, (question_id, choice, revision) in enumerate(answers):
        question = by_id.get(question_id)
        if question is None:
            refused.append((index, "quiz.answer_unknown_question", {"id": question_id}))
        elif revision is not None and revision != question.revision:
            refused.append((index, "quiz.answer_question_changed", {"id": question_id}))
        elif choice >= len(question.options):
            refused.append((index, "quiz.answer_no_such_option", {"id": question_id, "choice": choice + 1}))
        else:
            counted.append((question_id, choice, choice == question.correct))
    return sum(1 for _, _, right in counted if right), counted, refused


def record_attempt(db: Database, device_id: int, item_id: int, member_ids: object, raw_answers: object,
                   now: datetime) -> Attempt:
    """Score a box's attempt at the item's quiz and store it for each member named who is of the box's household
    (others are left out; none left: 422). The caller has checked that the box may see the item."""
    if not isinstance(member_ids, list) or not 1 <= len(member_ids) <= MAX_MEMBERS \
            or not all(is_row_id(m) for m in member_ids):
        raise UserError("quiz.bad_members", max=MAX_MEMBERS)
    answers = _checked_answers(raw_answers)
    with write_transaction(db):
        current = questions(db, item_id)
        if not current:
            raise NotFound("quiz.not_found", id=item_id)
        household = {viewer.id for viewer in viewers(db, device_id)}
        members = [m for m in dict.fromkeys(member_ids) if m in household]
        if not members:
            raise UserError("quiz.not_in_household", status=422)
        right, counted, refused = score(current, answers)
        if not counted:
            raise UserError("quiz.changed", status=409, error_code="quiz_changed")
        for member_id in members:
            attempt_id = db.execute(
                "INSERT INTO quiz_attempts (member_id, item_id, device_id, score, total, at) VALUES (?, ?, ?, ?, ?, ?)",
                [member_id, item_id, device_id, right, len(current), format_utc(now)]).lastrowid
            db.conn.executemany(
                "INSERT INTO quiz_answers (attempt_id, question_id, choice, correct) VALUES (?, ?, ?, ?)",
                [(attempt_id, q, choice, int(ok)) for q, choice, ok in counted])
        found = results(db, item_id, members)
    return Attempt(right, len(current), tuple(refused), found)


def results(db: Database, item_id: int, member_ids: Iterable[int]) -> tuple[MemberResult, ...]:
    """Each member's attempts at the item's quiz and best score (members who never took it: left out)."""
    rows = db.execute(
        """SELECT member_id, count(*) AS attempts,
                  (SELECT score || '/' || total FROM quiz_attempts b WHERE b.member_id = a.member_id
                   AND b.item_id = a.item_id ORDER BY b.score * 1.0 / b.total DESC, b.id DESC LIMIT 1) AS best
           FROM quiz_attempts a WHERE item_id = ? AND member_id IN (SELECT value FROM json_each(?))
           GROUP BY member_id ORDER BY member_id""", [item_id, json.dumps(list(member_ids))]).fetchall()
    found = []
    for row in rows:
        best_score, best_total = (int(part) for part in row["best"].split("/"))
        found.append(MemberResult(row["member_id"], row["attempts"], best_score, best_total))
    return tuple(found)


# ---- what the report reads --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LectureQuiz:
    """One lecture's quiz over a period: members who took it, their attempts, and their average best share right
    (0..1; each member's best attempt of the period)."""

    item_id: int
    title: str
    takers: int
    attempts: int
    average_best: float


@dataclass(frozen=True)
class MissedQuestion:
    """A question members got wrong: its text (as it reads now, or read when it was removed), its lecture, how
    many answers it had in the period and how many were wrong."""

    question_id: int
    item_id: int
    lecture: str
    text: str
    answers: int
    wrong: int

    @property
    def wrong_share(self) -> float:
        """The share of its answers that were wrong (0..1)."""
        return self.wrong / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class QuizSummary:
    """The quizzes of a scope's members over a period: per lecture, and the questions most often missed."""

    lectures: tuple[LectureQuiz, ...]
    missed: tuple[MissedQuestion, ...]


def quiz_summary(db: Database, scope: Scope, first: date, last: date, zone: ZoneInfo,
                 missed_limit: int = 10) -> QuizSummary:
    """The quizzes taken by the active members of `scope`'s branches (as the report counts members) from local
    day `first` to `last` (inclusive, in `zone`): per lecture, the members who took its quiz, their attempts and
    average best share right (most takers first); and up to `missed_limit` questions with the largest share of
    wrong answers (ties: more wrong answers first). Reads in the caller's transaction when there is one."""
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    params = {**scope.params(), "start": format_utc(start), "end": format_utc(end), "limit": missed_limit}
    mine = (f"WITH RECURSIVE {scope.cte()}, mine AS (SELECT m.id FROM members m JOIN scope s ON s.id = m.branch_id"
            " WHERE m.active), period AS (SELECT a.* FROM mine CROSS JOIN quiz_attempts a ON a.member_id = mine.id"
            " WHERE a.at >= :start AND a.at < :end)")
    lectures = tuple(LectureQuiz(row["item_id"], row["title"], row["takers"], row["attempts"], row["average"])
                     for row in db.execute(
        f"""{mine}, best AS (SELECT item_id, member_id, max(score * 1.0 / total) AS share, count(*) AS n
                             FROM period GROUP BY item_id, member_id)
            SELECT b.item_id, i.title, count(*) AS takers, sum(b.n) AS attempts, avg(b.share) AS average
            FROM best b JOIN items i ON i.id = b.item_id GROUP BY b.item_id
            ORDER BY takers DESC, i.title, b.item_id""", params))
    missed = tuple(MissedQuestion(row["id"], row["item_id"], row["title"], row["text"], row["answers"], row["wrong"])
                   for row in db.execute(
        # The answers are tallied per question first: the question and its lecture are read once each, not once
        # per answer.
        f"""{mine}, tally AS (SELECT x.question_id, count(*) AS answers, sum(1 - x.correct) AS wrong
                              FROM period a JOIN quiz_answers x ON x.attempt_id = a.id GROUP BY x.question_id)
            SELECT q.id, q.item_id, i.title, q.text, t.answers, t.wrong
            FROM tally t JOIN quiz_questions q ON q.id = t.question_id JOIN items i ON i.id = q.item_id
            WHERE t.wrong > 0 ORDER BY t.wrong * 1.0 / t.answers DESC, t.wrong DESC, q.id LIMIT :limit""", params))
    return QuizSummary(lectures, missed)
