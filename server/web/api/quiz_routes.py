"""Quizzes (随堂测验): editors read and replace a video's questions (typed, or imported from a spreadsheet); boxes
fetch a quiz and send the attempts of the members watching."""

from __future__ import annotations

from flask import jsonify, request

from keting_i18n import text
from server.catalogue.visibility import Viewer, visible_item
from server.core.errors import NotFound
from server.records import quiz_import, quizzes
from server.records.households import viewers
from server.records.members import is_row_id
from server.records.roster import RowError
from server.web.api import bp
from server.web.api.auth import current_device, require_device
from server.web.api.editor_auth import current_user, require_editor
from server.web.context import clock, current_lineup, get_db
from server.web.params import body_limit, flag_arg, json_body


def question_json(question: quizzes.Question) -> dict:
    """A current question as editors and boxes read it (`correct`: the index of the right option, 0 is A)."""
    return {"id": question.id, "position": question.position, "revision": question.revision, "text": question.text,
            "options": list(question.options), "correct": question.correct, "explanation": question.explanation}


def result_json(result: quizzes.MemberResult) -> dict:
    """A member's attempts at a quiz and best score."""
    return {"member_id": result.member_id, "attempts": result.attempts, "best_score": result.best_score,
            "best_total": result.best_total}


def _row_error_json(error: RowError) -> dict:
    return {"line": error.line, "column": error.column, "code": error.message_id.rsplit(".", 1)[-1],
            "message": text(error.message_id, **dict(error.params))}


def _quiz_json(item_id: int) -> dict:
    return {"item_id": item_id, "questions": [question_json(q) for q in quizzes.questions(get_db(), item_id)]}


# ---- editors ----------------------------------------------------------------------------------------------

@bp.get("/editor/items/<int:item_id>/quiz")
@require_editor
def editor_quiz(item_id: int):
    """A video's questions, in order; 404 for an item on a board the caller may not edit."""
    quizzes.check_item(get_db(), item_id, current_user().may_edit)
    return jsonify(_quiz_json(item_id))


@bp.put("/editor/items/<int:item_id>/quiz")
@require_editor
def replace_quiz(item_id: int):
    """Body {"questions": [{id?, text, options, correct, explanation?}]}: the video's questions from now on, in this
    order ([] removes the quiz). A question named by id (or with the same text) keeps its history."""
    db = get_db()
    quizzes.check_item(db, item_id, current_user().may_edit)
    drafts = quizzes.drafts_from_json(json_body().get("questions"))
    quizzes.replace_questions(db, item_id, drafts, clock())
    return jsonify(_quiz_json(item_id))


@bp.post("/editor/items/<int:item_id>/quiz/import")
@body_limit(quiz_import.MAX_QUIZ_BYTES + 1)
@require_editor
def import_quiz(item_id: int):
    """Body: the spreadsheet's bytes, ?filename=题目.xlsx (or .csv). Without ?apply=1 a preview; with it, the file's
    questions replace the video's, but only when no row is wrong (422 with every row's error otherwise)."""
    db = get_db()
    quizzes.check_item(db, item_id, current_user().may_edit)
    parsed = quiz_import.read_quiz(request.get_data(cache=False), request.args.get("filename", ""))
    errors = [_row_error_json(e) for e in parsed.errors]
    applied = flag_arg("apply")
    if applied and errors:
        # The API's error shape, with every row's error beside it (a failed import changes nothing).
        return jsonify({"error": {"code": "has_errors", "message": text("quiz_import.has_errors", count=len(errors))},
                        "errors": errors}), 422
    if applied:
        quizzes.replace_questions(db, item_id, [draft for _, draft in parsed.questions], clock())
        return jsonify({"applied": True, **_quiz_json(item_id), "errors": []})
    return jsonify({"applied": False, "item_id": item_id, "errors": errors,
                    "questions": [{"line": line, "text": d.text, "options": list(d.options), "correct": d.correct,
                                   "explanation": d.explanation} for line, d in parsed.questions]})


# ---- boxes ------------------------------------------------------------------------------------------------

def _visible_video(item_id: int):
    row = visible_item(get_db(), current_lineup(), Viewer(org_id=current_device().org_id, now=clock()), item_id)
    if row is None:
        raise NotFound("api.unknown_item", value=item_id)
    return row


@bp.get("/items/<int:item_id>/quiz")
@require_device
def box_quiz(item_id: int):
    """The quiz of a video this box may see (no questions: none), with the right answers and explanations the TV
    shows after each answer, and the household's results so far."""
    _visible_video(item_id)
    db = get_db()
    household = [viewer.id for viewer in viewers(db, current_device().id)]
    return jsonify({**_quiz_json(item_id),
                    "results": [result_json(r) for r in quizzes.results(db, item_id, household)]})


@bp.post("/quiz/attempts")
@require_device
def quiz_attempt():
    """Body {item_id, member_ids, answers: [{question_id, choice (0 is A), revision?}]}: a finished attempt, scored
    and stored for each member named of this box's household (quizzes.py gives the rule); 201 with the score, the
    answers refused and each member's attempts and best score."""
    body = json_body()
    item_id = body.get("item_id")
    if not is_row_id(item_id):
        raise NotFound("api.unknown_item", value=str(item_id)[:20])
    _visible_video(item_id)
    attempt = quizzes.record_attempt(get_db(), current_device().id, item_id, body.get("member_ids"),
                                     body.get("answers"), clock())
    return jsonify({"item_id": item_id, "score": attempt.score, "total": attempt.total,
                    "refused": [{"index": index, "code": message_id.rsplit(".", 1)[-1],
                                 "message": text(message_id, **params)}
                                for index, message_id, params in attempt.refused],
                    "members": [result_json(r) for r in attempt.results]}), 201
