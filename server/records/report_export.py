"""The participation report as files for the committee: an .xlsx workbook (a sheet per table, bold frozen
headers, set widths, numbers as numbers, a totals row) and a .csv of one table.

Every text cell from the database goes through `roster.spreadsheet_text` (a name
starting with "=" is not a formula). Headings come from the message catalogue.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from openpyxl import Workbook
from openpyxl.styles import Font

from keting_i18n import text
from server.records.reports import GroupLine, Report
from server.records.roster import spreadsheet_text

TABLES = ("branches", "communities", "members", "lectures", "checkins", "quizzes", "missed")


class ExportFormat(StrEnum):
    """The report's file formats (report_exports.format)."""

    XLSX = "xlsx"
    CSV = "csv"


FORMATS = tuple(fmt.value for fmt in ExportFormat)
LESSONS = "0.00"
PERCENT = "0.0%"
KIND_WORDS = {"video": "report.kind_video", "programme": "report.kind_programme"}


@dataclass(frozen=True)
class Column:
    """A column: its heading's message id, width (characters), number format (None: text)."""

    heading: str
    width: int
    number_format: str | None = None


@dataclass(frozen=True)
class Table:
    """One table of the report: columns, rows and the totals row (None: no totals)."""

    title: str
    columns: tuple[Column, ...]
    rows: list[list]
    totals: list | None


def _group_row(line: GroupLine, lesson_s: float, with_community: bool) -> list:
    cells = [spreadsheet_text(line.community)] if with_community else []
    return [*cells, spreadsheet_text(line.name), line.members, line.participants, line.participation,
            line.period_s / lesson_s, line.per_member_s / lesson_s, line.below_target]


_GROUP_COLUMNS = (Column("report.col_members", 10, "0"), Column("report.col_participants", 10, "0"),
                  Column("report.col_participation", 10, PERCENT), Column("report.col_lessons", 12, LESSONS),
                  Column("report.col_lessons_per_member", 12, LESSONS), Column("report.col_below_target", 12, "0"))


def tables(report: Report, lesson_s: float, lang: str) -> dict[str, Table]:
    """Every table of the report, by name (TABLES), ready for a sheet or a CSV file."""
    total = report.total
    totals_name = text("report.totals", lang=lang)
    group_totals = [total.members, total.participants, total.participation, total.period_s / lesson_s,
                    total.per_member_s / lesson_s, total.below_target]
    active = [m for m in report.members if m.active]
    return {
        "branches": Table("report.sheet_branches", (Column("report.col_community", 16), Column("report.col_branch", 18),
                                                    *_GROUP_COLUMNS),
                          [_group_row(b, lesson_s, True) for b in report.branches], [totals_name, "", *group_totals]),
        "communities": Table("report.sheet_communities", (Column("report.col_community", 16), *_GROUP_COLUMNS),
                             [_group_row(c, lesson_s, False) for c in report.communities],
                             [totals_name, *group_totals]),
        "members": Table(
            "report.sheet_members",
            (Column("report.col_community", 16), Column("report.col_branch", 18), Column("report.col_name", 12),
             Column("report.col_state", 8), Column("report.col_period_lessons", 12, LESSONS),
             Column("report.col_year_lessons", 12, LESSONS), Column("report.col_target_lessons", 12, LESSONS),
             Column("report.col_reached", 10)),
            [[spreadsheet_text(m.community), spreadsheet_text(m.branch), spreadsheet_text(m.name),
              text("report.active" if m.active else "report.inactive", lang=lang), m.period_s / lesson_s,
              m.year_s / lesson_s, report.target_s / lesson_s,
              "" if not m.active else text("report.reached" if m.period_s >= report.target_s else "report.behind",
                                           lang=lang)]
             for m in report.members],
            [totals_name, "", text("report.count_active", lang=lang, count=len(active)), "",
             sum(m.period_s for m in active) / lesson_s, sum(m.year_s for m in active) / lesson_s, "",
             text("report.count_behind", lang=lang, count=total.below_target)]),
        "lectures": Table(
            "report.sheet_lectures",
            (Column("report.col_lecture", 30), Column("report.col_kind", 8), Column("report.col_minutes", 10, "0"),
             Column("report.col_viewers", 10, "0"), Column("report.col_finished", 10, "0"),
             Column("report.col_completion", 10, PERCENT)),
            [[spreadsheet_text(lecture.title), text(KIND_WORDS[lecture.kind], lang=lang),
              round(lecture.duration_s / 60), lecture.viewers, lecture.finished,
              lecture.finished / lecture.viewers if lecture.viewers else 0.0] for lecture in report.lectures],
            None),
        "checkins": Table(
            "report.sheet_checkins",
            (Column("report.col_programme", 30), Column("report.col_start", 17), Column("report.col_members", 10, "0"),
             Column("report.col_checked_in", 10, "0"), Column("report.col_marked", 10, "0"),
             Column("report.col_watched_only", 12, "0"), Column("report.col_absent", 10, "0"),
             Column("report.col_checkin_rate", 10, PERCENT)),
            [[spreadsheet_text(c.title), c.start_local, c.members, c.checked_in, c.manual, c.watched, c.absent, c.rate]
             for c in report.checkins],
            None),
        "quizzes": Table(
            "report.sheet_quizzes",
            (Column("report.col_lecture", 30), Column("report.col_takers", 10, "0"),
             Column("report.col_attempts", 10, "0"), Column("report.col_average_best", 12, PERCENT)),
            [[spreadsheet_text(q.title), q.takers, q.attempts, q.average_best] for q in report.quizzes], None),
        "missed": Table(
            "report.sheet_missed",
            (Column("report.col_question", 40), Column("report.col_lecture", 30), Column("report.col_answers", 10, "0"),
             Column("report.col_wrong", 10, "0"), Column("report.col_wrong_share", 10, PERCENT)),
            [[spreadsheet_text(q.text), spreadsheet_text(q.lecture), q.answers, q.wrong, q.wrong_share]
             for q in report.missed], None),
    }


def xlsx_bytes(report: Report, lesson_s: float, lang: str, heading: str) -> bytes:
    """The whole report as a workbook: a sheet per table, `heading` (organisation and period) in each title."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table in tables(report, lesson_s, lang).values():
        sheet = workbook.create_sheet(text(table.title, lang=lang)[:31])
        sheet.append([spreadsheet_text(heading)])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([text(column.heading, lang=lang) for column in table.columns])
        for row in [*table.rows, *([table.totals] if table.totals else [])]:
            sheet.append(row)
        for index, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=2, column=index).column_letter
            sheet.column_dimensions[letter].width = column.width
            sheet.cell(row=2, column=index).font = bold
            if column.number_format:
                for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                    cell.number_format = column.number_format
        if table.totals:
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        sheet.freeze_panes = "A3"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def csv_bytes(report: Report, lesson_s: float, lang: str, table_name: str) -> bytes:
    """One table as CSV in UTF-8 with a BOM (Excel opens it as Chinese), numbers rounded as the sheet shows them."""
    table = tables(report, lesson_s, lang)[table_name]
    shown: list[Callable[[object], object]] = [_formatter(column) for column in table.columns]
    output = io.StringIO(newline="")
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow([text(column.heading, lang=lang) for column in table.columns])
    for row in [*table.rows, *([table.totals] if table.totals else [])]:
        writer.writerow([show(value) for show, value in zip(shown, row, strict=True)])
    return output.getvalue().encode("utf-8-sig")


def _formatter(column: Column) -> Callable[[object], object]:
    def show(value: object) -> object:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return value
        if column.number_format == PERCENT:
            return f"{100 * value:.1f}%"
        if column.number_format == LESSONS:
            return f"{value:.2f}"
        return value
    return show
