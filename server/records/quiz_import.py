"""A quiz from a spreadsheet (.xlsx or .csv): one question per row under a header of 题目, 选项A-选项D, 正确答案
and 解析, read with the roster's machinery (roster.read_sheet) and checked row by row with the console's rules
(quizzes.draft_problems). Pure: no database; the caller replaces the item's questions only when no row is wrong,
so a failed import changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from keting_i18n import text
from server.core.errors import UserError
from server.records.quizzes import (
    CORRECT_COLUMN,
    EXPLANATION_COLUMN,
    MAX_QUESTIONS,
    OPTION_COLUMNS,
    TEXT_COLUMN,
    QuestionDraft,
    draft_of,
    draft_problems,
)
from server.records.roster import HEADER_SEARCH_ROWS, FileWords, RowError, below_header, read_sheet

MAX_QUIZ_BYTES = 1024 * 1024  # twenty questions are a few KB; a template with pictures stays well under this
QUIZ_WORDS = FileWords(bad_extension="quiz_import.bad_extension", too_big="quiz_import.too_big",
                       empty="quiz_import.empty", unzipped_too_big="quiz_import.unzipped_too_big")
COLUMNS = (TEXT_COLUMN, *OPTION_COLUMNS, CORRECT_COLUMN, EXPLANATION_COLUMN)
_HEADER_ALIASES = {
    "题目": TEXT_COLUMN, "题干": TEXT_COLUMN, "问题": TEXT_COLUMN,
    **{alias: column for column in OPTION_COLUMNS for alias in (column, column[-1])},
    "正确答案": CORRECT_COLUMN, "答案": CORRECT_COLUMN, "正确选项": CORRECT_COLUMN,
    "解析": EXPLANATION_COLUMN, "答案解析": EXPLANATION_COLUMN, "说明": EXPLANATION_COLUMN,
}
_REQUIRED = (TEXT_COLUMN, OPTION_COLUMNS[0], OPTION_COLUMNS[1], CORRECT_COLUMN)
_SPACES = re.compile(r"\s+")
_ROWS_LOOKED_AT = 1000  # past this many rows below the header a file is no quiz of MAX_QUESTIONS questions


@dataclass(frozen=True)
class ParsedQuiz:
    """The questions of a quiz file (with the row each came from), and what is wrong with the other rows."""

    questions: tuple[tuple[int, QuestionDraft], ...]
    errors: tuple[RowError, ...]


def read_quiz(data: bytes, filename: str) -> ParsedQuiz:
    """Parse an uploaded quiz file (.xlsx or .csv, by `filename`) into questions and row errors; a file that cannot
    be read, has no header or holds more than MAX_QUESTIONS questions raises UserError (422)."""
    parsed = read_sheet(data, filename, _parse, words=QUIZ_WORDS, max_bytes=MAX_QUIZ_BYTES)
    if parsed is None:
        raise UserError("quiz_import.no_header", status=422, rows=HEADER_SEARCH_ROWS,
                        columns="、".join(f"“{column}”" for column in _REQUIRED))
    if len(parsed.questions) + len({e.line for e in parsed.errors}) > MAX_QUESTIONS:
        raise UserError("quiz_import.too_many", status=422, max=MAX_QUESTIONS)
    return parsed


def _header(cells: tuple[str, ...]) -> dict[str, int] | None:
    """Column -> position when `cells` is the header row (it names at least the required columns)."""
    columns: dict[str, int] = {}
    for position, cell in enumerate(cells):
        column = _HEADER_ALIASES.get(_SPACES.sub("", cell).rstrip("*＊").upper())  # 选项a is 选项A
        if column is not None and column not in columns:
            columns[column] = position
    return columns if all(column in columns for column in _REQUIRED) else None


def _parse(rows: Iterator[tuple[str, ...]]) -> ParsedQuiz | None:
    """Questions and errors below the header row; None when the first HEADER_SEARCH_ROWS rows hold no header."""
    header = below_header(rows, _header)
    if header is None:
        return None
    columns, numbered = header
    found: list[tuple[int, QuestionDraft]] = []
    errors: list[RowError] = []
    texts: dict[str, int] = {}
    for line, cells in numbered:
        if line > HEADER_SEARCH_ROWS + _ROWS_LOOKED_AT:
            raise UserError("quiz_import.too_many", status=422, max=MAX_QUESTIONS)
        values = {column: cells[position] if position < len(cells) else "" for column, position in columns.items()}
        if not any(values.values()):
            continue  # empty rows, and a template's pre-numbered 序号 column alone
        options = [values.get(column, "") for column in OPTION_COLUMNS]
        problems = draft_problems(values[TEXT_COLUMN], options, values[CORRECT_COLUMN],
                                  values.get(EXPLANATION_COLUMN, ""))
        first = texts.setdefault(values[TEXT_COLUMN], line) if values[TEXT_COLUMN] else line
        if first != line:
            errors.append(_error(line, TEXT_COLUMN, "quiz_import.duplicate_text", first_line=first))
        errors += [_error(line, p.column, p.message_id, **dict(p.params)) for p in problems]
        if not problems and first == line:
            found.append((line, draft_of(values[TEXT_COLUMN], options, values[CORRECT_COLUMN],
                                         values.get(EXPLANATION_COLUMN, ""))))
    return ParsedQuiz(tuple(found), tuple(errors))


def _error(line: int, column: str, message_id: str, **params: object) -> RowError:
    """A row error whose message names the row and the column (`where`), the value and what to do."""
    where = text("quiz_import.where_row", line=line, column=column)
    return RowError(line, column, message_id, tuple({"line": line, "column": column, "where": where,
                                                     **params}.items()))
