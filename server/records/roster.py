"""The party-member roster file (党员花名册): read from an uploaded .xlsx or .csv, written back in the same format.

Branches keep their roster in Excel, so the file is whatever Excel or WPS saved: a title row above the
header, columns in any order under a few customary names, phones stored as numbers, CSV in GBK. This
module turns the bytes into rows plus row errors a person can act on, and writes rows back so that a
file downloaded here uploads unchanged. It is pure: no database; the caller matches rows against members
and branches.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from keting_i18n import text
from server.core.errors import UserError

ROSTER_COLUMNS = ("姓名", "党支部", "手机号", "党员编号", "状态")
MAX_ROSTER_BYTES = 5 * 1024 * 1024
MAX_ROSTER_ROWS = 20000
# An .xlsx is a zip: a few KB can inflate to gigabytes. openpyxl trusts the archive, so the declared
# sizes are summed before it opens anything (zipfile stops inflating a member at its declared size,
# so the declared total bounds what can actually come out).
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024  # 20,000 rows of five short columns are a few MB unzipped
MAX_COLUMNS = 64  # a roster's columns are among the first few; a cell at column XFD must not cost 16,384 per row
# Branches put a title, a date or a note above the header; ten rows is generous for that.
HEADER_SEARCH_ROWS = 10
# Excel's last row (2**20).
_LAST_SHEET_ROW = 1_048_576
MAX_NAME_CHARS = 50
MAX_MEMBER_NO_CHARS = 32

_NAME, _BRANCH, _PHONE, _MEMBER_NO, _STATUS = ROSTER_COLUMNS
# Header text (after normalising) -> the column it means. The aliases are what branches' own sheets use.
_HEADER_ALIASES = {
    "姓名": _NAME, "党员姓名": _NAME, "名字": _NAME,
    "党支部": _BRANCH, "所在党支部": _BRANCH, "支部": _BRANCH,
    "手机号": _PHONE, "手机": _PHONE, "联系电话": _PHONE, "电话": _PHONE,
    "党员编号": _MEMBER_NO, "编号": _MEMBER_NO,
    "状态": _STATUS,
}
_ACTIVE, _INACTIVE = "在册", "停用"
# Status cell -> active. Empty means 在册: most rosters have no status column at all.
_STATUS_VALUES = {"": True, _ACTIVE: True, "正常": True, _INACTIVE: False, "迁出": False, "去世": False, "注销": False}
_WIDTHS = {_NAME: 12, _BRANCH: 24, _PHONE: 16, _MEMBER_NO: 16, _STATUS: 8}

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection); such values are
# written behind an apostrophe, which reading removes again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")  # full-width too: WPS may read them
_XLSX_MAGIC = b"PK\x03\x04"
# Password-protected .xlsx files (and old .xls files) are OLE compound documents, not zips.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
# Whatever a broken .xlsx makes openpyxl, zipfile or the XML parser raise (SyntaxError covers
# ElementTree's ParseError). Our own UserError is none of these, so it passes through.
_BROKEN_XLSX = (zipfile.BadZipFile, zlib.error, InvalidFileException, KeyError, ValueError, TypeError, IndexError,
                AttributeError, OSError, EOFError, RuntimeError, SyntaxError)

_SPACES = re.compile(r"\s+")
_PHONE_NOISE = re.compile(r"[\s\-－—–]")
_PHONE_FORM = re.compile(r"[0-9]{7,12}")
_MEMBER_NO_FORM = re.compile(r"[A-Za-z0-9-]+")
# Every C0 and C1 control (tab and newline included: a name never holds them), DEL, and the two
# non-characters XML cannot carry.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff]")


@dataclass(frozen=True)
class RosterRow:
    """One member as the roster file gives them."""

    line: int  # the row number as the spreadsheet shows it (1-based, counting the header and title rows)
    name: str
    branch: str
    phone: str = ""  # digits only: spaces, dashes and a +86 prefix are removed
    member_no: str = ""
    active: bool = True


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row, in words: row, column, the value and what to do.

    `params` holds everything the message needs, `line` and `column` included, so
    text(message_id, **dict(params)) renders it wherever the error travels.
    """

    line: int
    column: str  # the Chinese column name ("" for the whole row)
    message_id: str
    params: tuple[tuple[str, object], ...] = ()

    def message(self, lang: str = "zh_CN") -> str:
        """The error's catalogue message in `lang`, with its parameters filled in."""
        return text(self.message_id, lang=lang, **dict(self.params))


@dataclass(frozen=True)
class ParsedRoster:
    """The rows of a roster file that are fine, and what is wrong with the others."""

    rows: tuple[RosterRow, ...]
    errors: tuple[RowError, ...]


def read_roster(data: bytes, filename: str) -> ParsedRoster:
    """Parse an uploaded roster (.xlsx or .csv, by `filename`'s extension) into rows and row errors.

    A row with an error is left out of `rows`. A file that cannot be read at all raises UserError (422).
    """
    parsed = read_sheet(data, filename, _parse)
    if parsed is None:
        raise UserError("roster.no_header", status=422, rows=HEADER_SEARCH_ROWS, name_column=_NAME,
                        branch_column=_BRANCH)
    return parsed


def write_roster(rows: Iterable[RosterRow], fmt: str) -> bytes:
    """The rows as a roster file `fmt` ("xlsx" or "csv") that read_roster reads back unchanged."""
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown roster format {fmt!r}: use 'xlsx' or 'csv'")
    table = [list(ROSTER_COLUMNS)]
    # Characters a spreadsheet cannot hold go first, then formulas are defused: "\x01=cmd" must not become "=cmd".
    table += [[spreadsheet_text(value)
               for value in (row.name, row.branch, row.phone, row.member_no, _ACTIVE if row.active else _INACTIVE)]
              for row in rows]
    return _xlsx_bytes(table) if fmt == "xlsx" else _csv_bytes(table)


# --- reading -------------------------------------------------------------------------------------------------

Table = TypeVar("Table")


@dataclass(frozen=True)
class FileWords:
    """The message ids of a kind of spreadsheet's whole-file refusals: each names the file in its own words."""

    bad_extension: str = "roster.bad_extension"  # {filename}
    too_big: str = "roster.too_big"  # {mib}, {max_mib}
    empty: str = "roster.empty"
    encrypted: str = "roster.encrypted"
    unreadable_xlsx: str = "roster.unreadable_xlsx"
    unzipped_too_big: str = "roster.unzipped_too_big"  # {max_mib}
    not_text_csv: str = "roster.not_text_csv"
    bad_encoding: str = "roster.bad_encoding"
    unreadable_csv: str = "roster.unreadable_csv"


ROSTER_WORDS = FileWords()


def read_sheet(data: bytes, filename: str, parse: Callable[[Iterator[tuple[str, ...]]], Table | None], *,
               words: FileWords | None = None, max_bytes: int = MAX_ROSTER_BYTES) -> Table | None:
    """The first table `parse` finds in an uploaded .xlsx (its sheets, the one open when saved first) or .csv
    (comma-, else tab-separated; UTF-8 or GB18030), given every row as cleaned cell texts; None when it finds none.

    Other spreadsheets people upload (quizzes) are read the same way: a file that cannot be read at all raises
    UserError (422) with one of `words` (the roster's by default), so each kind of file is named in its own words.
    """
    words = words or ROSTER_WORDS
    fmt = _format_of(filename, words)
    if len(data) > max_bytes:
        raise UserError(words.too_big, status=422, mib=f"{len(data) / 2**20:.1f}", max_mib=max_bytes // 2**20)
    if not data:
        raise UserError(words.empty, status=422)
    if data.startswith(_OLE_MAGIC):
        raise UserError(words.encrypted, status=422)
    return _read_xlsx(data, parse, words) if fmt == "xlsx" else _read_csv(data, parse, words)


def _format_of(filename: str, words: FileWords) -> str:
    """The format the file name's extension gives (xlsx or csv); UserError for anything else, old .xls included."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ("xlsx", "csv"):
        raise UserError(words.bad_extension, status=422, filename=filename)
    return extension


def _read_xlsx(data: bytes, parse: Callable, words: FileWords):
    """The table `parse` finds in an .xlsx workbook; None when no sheet has one."""
    if not data.startswith(_XLSX_MAGIC):
        raise UserError(words.unreadable_xlsx, status=422)
    _refuse_zip_bomb(data, words)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _BROKEN_XLSX as exc:
        raise UserError(words.unreadable_xlsx, status=422) from exc
    try:
        # The sheet open when the file was saved first: that is the one the branch was looking at. The
        # others follow in case it was saved with an instructions sheet in front.
        sheets = list(workbook.worksheets)
        active = workbook.active
        if active in sheets:
            sheets.remove(active)
            sheets.insert(0, active)
        for sheet in sheets:
            parsed = parse(_xlsx_rows(sheet, words))
            if parsed is not None:
                return parsed
        return None
    finally:
        workbook.close()


def _refuse_zip_bomb(data: bytes, words: FileWords) -> None:
    """UserError when the archive would inflate past MAX_UNZIPPED_BYTES (or is no readable zip)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UserError(words.unreadable_xlsx, status=422) from exc
    if unzipped > MAX_UNZIPPED_BYTES:
        raise UserError(words.unzipped_too_big, status=422, max_mib=max(1, MAX_UNZIPPED_BYTES // 2**20))


def _xlsx_rows(sheet, words: FileWords) -> Iterator[tuple[str, ...]]:
    """Every row of a read-only sheet from row 1, cells as cleaned text (empty rows included, as ())."""
    # Some writers store a wrong size in the sheet; openpyxl would stop at it and lose rows.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    while True:
        # openpyxl parses lazily, so a broken sheet fails here rather than in load_workbook.
        try:
            values = next(rows)
        except StopIteration:
            return
        except _BROKEN_XLSX as exc:
            raise UserError(words.unreadable_xlsx, status=422) from exc
        yield tuple(_cell_text(value) for value in values)


def _cell_text(value: object) -> str:
    """A cell's value as the text a person typed: 13800138000.0 (Excel keeps numbers as floats) is 13800138000."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)
    return _cleaned(str(value))


def _cleaned(value: str) -> str:
    """`value` without surrounding (full-width, zero-width) spaces and without write_roster's formula guard."""
    value = value.strip().strip("\u200b\ufeff").strip()
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_STARTS:
        return value[1:]
    return value


def _read_csv(data: bytes, parse: Callable, words: FileWords):
    """The table `parse` finds in a comma- (or tab-) separated file; None when it finds none."""
    if b"\x00" in data:
        raise UserError(words.not_text_csv, status=422)
    content = _decoded(data, words)
    # Comma first; a file saved as "text (tab-separated)" has its header in one comma-less cell, so no
    # header is found and the tab reading gets its turn.
    for delimiter in (",", "\t"):
        parsed = parse(_csv_rows(content, delimiter, words))
        if parsed is not None:
            return parsed
    return None


def _decoded(data: bytes, words: FileWords) -> str:
    """The CSV's text: UTF-8 (with or without BOM), else GB18030 (what Excel in China saves as "CSV")."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UserError(words.bad_encoding, status=422) from exc


def _csv_rows(content: str, delimiter: str, words: FileWords) -> Iterator[tuple[str, ...]]:
    """Every record of the CSV text as cleaned cells; a cell starting with "=" stays plain text."""
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UserError(words.unreadable_csv, status=422) from exc
        yield tuple(_cleaned(cell) for cell in cells)


def _header_columns(cells: Sequence[str]) -> dict[str, int] | None:
    """Column name -> position when `cells` is a header row (it names 姓名 and 党支部), else None."""
    columns: dict[str, int] = {}
    for position, cell in enumerate(cells):
        column = _HEADER_ALIASES.get(_SPACES.sub("", cell).rstrip("*＊"))
        # Two columns for the same thing (手机 and 电话): the leftmost wins, as a person reads it.
        if column is not None and column not in columns:
            columns[column] = position
    return columns if _NAME in columns and _BRANCH in columns else None


def below_header(rows: Iterator[tuple[str, ...]], header: Callable[[tuple[str, ...]], dict | None]
                 ) -> tuple[dict, Iterator[tuple[int, tuple[str, ...]]]] | None:
    """The header's columns (`header` reads a row: its columns or None) and the numbered rows below it; None
    when none of the first HEADER_SEARCH_ROWS rows is a header (a title row or two above it are fine)."""
    numbered = enumerate(rows, start=1)
    for line, cells in numbered:
        columns = header(cells)
        if columns is not None:
            return columns, numbered
        if line >= HEADER_SEARCH_ROWS:
            return None
    return None


def _parse(rows: Iterator[tuple[str, ...]]) -> ParsedRoster | None:
    """Rows and errors below the header row; None when none of the first HEADER_SEARCH_ROWS rows is a header."""
    found = below_header(rows, _header_columns)
    if found is None:
        return None
    columns, numbered = found
    collected = _Collector()
    for line, cells in numbered:
        # Far past the largest roster the file was not made by a branch (Excel's last row at most); stopping
        # here bounds the time a file of nothing but empty rows can cost (seconds per million).
        if line > min(_LAST_SHEET_ROW, 5 * MAX_ROSTER_ROWS):
            raise UserError("roster.too_many_rows", status=422, max_rows=MAX_ROSTER_ROWS)
        if not any(cells):
            continue  # the cheap test first
        values = {column: cells[position] if position < len(cells) else "" for column, position in columns.items()}
        # A row where only ignored columns are filled (a template's pre-numbered 序号) is no member either.
        if not any(values.values()):
            continue
        if collected.count >= MAX_ROSTER_ROWS:
            raise UserError("roster.too_many_rows", status=422, max_rows=MAX_ROSTER_ROWS)
        collected.add(line, values)
    return ParsedRoster(rows=tuple(collected.rows), errors=tuple(collected.errors))


def _error(line: int, column: str, message_id: str, **params: object) -> RowError:
    """A RowError whose params carry the line and column too."""
    return RowError(line, column, message_id, tuple({"line": line, "column": column, **params}.items()))


class _Collector:
    """Checks rows one by one, remembering member numbers and names already seen to catch duplicates."""

    def __init__(self) -> None:
        self.rows: list[RosterRow] = []
        self.errors: list[RowError] = []
        self.count = 0
        # Member number (upper case: DF-001 and df-001 are one number typed twice) -> first line.
        self._numbers: dict[str, int] = {}
        self._unnumbered: dict[tuple[str, str], int] = {}  # (name, branch) without a number -> first line

    def add(self, line: int, values: dict[str, str]) -> None:
        """Check one non-empty row; it becomes a RosterRow or one or more RowErrors."""
        self.count += 1
        name, branch = values[_NAME], values[_BRANCH]
        errors = _text_errors(line, _NAME, name, "roster.name_empty")
        if len(name) > MAX_NAME_CHARS and not errors:
            errors.append(_error(line, _NAME, "roster.name_too_long", value=name, max=MAX_NAME_CHARS))
        errors += _text_errors(line, _BRANCH, branch, "roster.branch_empty")
        phone = _phone_digits(values.get(_PHONE, ""))
        if phone is None:
            errors.append(_error(line, _PHONE, "roster.bad_phone", value=values[_PHONE]))
        member_no = values.get(_MEMBER_NO, "")
        if member_no and (len(member_no) > MAX_MEMBER_NO_CHARS or not _MEMBER_NO_FORM.fullmatch(member_no)):
            errors.append(_error(line, _MEMBER_NO, "roster.bad_member_no", value=member_no, max=MAX_MEMBER_NO_CHARS))
        elif member_no:
            first = self._numbers.setdefault(member_no.upper(), line)
            if first != line:
                errors.append(_error(line, _MEMBER_NO, "roster.duplicate_member_no", value=member_no,
                                     first_line=first))
        elif name and branch:
            # Without a number, name and branch are all that tell two members apart.
            first = self._unnumbered.setdefault((name, branch), line)
            if first != line:
                errors.append(_error(line, "", "roster.duplicate_member", value=name, branch=branch,
                                     first_line=first))
        status = values.get(_STATUS, "")
        if status not in _STATUS_VALUES:
            errors.append(_error(line, _STATUS, "roster.bad_status", value=status,
                                 allowed=", ".join(value for value in _STATUS_VALUES if value)))
        if errors:
            self.errors += errors
            return
        self.rows.append(RosterRow(line, name, branch, phone or "", member_no, _STATUS_VALUES[status]))


def _text_errors(line: int, column: str, value: str, empty_id: str) -> list[RowError]:
    """The errors of a required text cell: empty, or holding control characters (a pasted line break)."""
    if not value:
        return [_error(line, column, empty_id)]
    if _CONTROLS.search(value):
        return [_error(line, column, "roster.control_character", value=value)]
    return []


def _phone_digits(value: str) -> str | None:
    """The phone as digits ("" when empty), or None when it is no phone number: 7 to 12 digits once spaces,
    dashes and a +86 prefix are gone (a mobile or a landline with its area code)."""
    if not value:
        return ""
    digits = _PHONE_NOISE.sub("", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits if _PHONE_FORM.fullmatch(digits) else None


# --- writing -------------------------------------------------------------------------------------------------


def _defused(value: str) -> str:
    """`value`, behind an apostrophe when a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def spreadsheet_text(value: str) -> str:
    """Text for a cell of an exported sheet: without the characters a workbook cannot hold, then defused (in this
    order: "\x01=cmd" must not become "=cmd")."""
    return _defused(ILLEGAL_CHARACTERS_RE.sub("", value))


def _xlsx_bytes(table: list[list[str]]) -> bytes:
    """The table as a workbook: bold frozen header, set widths, every cell text (phones keep leading zeros)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = text("roster.sheet_title")
    bold = Font(bold=True)
    for row in table:
        # openpyxl refuses control characters Excel cannot store; rows from the database should hold none,
        # but an export must not fail on one.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) for value in row])
    for row_cells in sheet.iter_rows():
        for cell in row_cells:
            cell.number_format = "@"  # text, so Excel shows 13800138000 as typed, not as 1.38E+10
    for cell in sheet[1]:
        cell.font = bold
    for cell, column in zip(sheet[1], ROSTER_COLUMNS, strict=True):
        sheet.column_dimensions[cell.column_letter].width = _WIDTHS[column]
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _csv_bytes(table: list[list[str]]) -> bytes:
    """The table as CSV in UTF-8 with a BOM: without it, Excel opens the file as GBK and garbles the Chinese."""
    output = io.StringIO(newline="")
    csv.writer(output, lineterminator="\r\n").writerows(table)
    return output.getvalue().encode("utf-8-sig")
