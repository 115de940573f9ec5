"""The roster file (党员花名册): what Excel, WPS and hand-made CSVs give is read, refused in words, written back."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

from keting_i18n import text
from server.core.errors import UserError
from server.records import roster
from server.records.roster import (
    MAX_ROSTER_BYTES,
    ROSTER_COLUMNS,
    ParsedRoster,
    RosterRow,
    RowError,
    read_roster,
    write_roster,
)

HEADER = list(ROSTER_COLUMNS)


def xlsx(*rows: list[object], sheets: dict[str, list[list[object]]] | None = None, active: int = 0) -> bytes:
    """A workbook whose first sheet holds `rows` (further sheets by title in `sheets`)."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for title, more in (sheets or {}).items():
        extra = workbook.create_sheet(title)
        for row in more:
            extra.append(row)
    workbook.active = active
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def csv_file(*rows: list[str], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    output = io.StringIO(newline="")
    csv.writer(output, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return output.getvalue().encode(encoding)


def refused(data: bytes, filename: str) -> UserError:
    with pytest.raises(UserError) as caught:
        read_roster(data, filename)
    assert caught.value.status == 422
    caught.value.message()  # every refusal renders from the catalogue
    return caught.value


def rendered(error: RowError) -> str:
    """The error as a person reads it, rendered with the catalogue's own function."""
    return text(error.message_id, **dict(error.params))


def only_error(parsed: ParsedRoster) -> RowError:
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


# --- reading -------------------------------------------------------------------------------------------------


def test_xlsx_with_a_title_row_shuffled_columns_and_aliases():
    data = xlsx(
        ["东风社区第一党支部党员花名册"],
        ["制表日期：2026年3月"],
        ["序号", "联系电话", "所在党支部", " 党员姓名*", "\u3000状 态\u3000", "编号", "备注"],
        [1, "138 0013 8000", " 第一党支部 ", "张三", "正常", "DF-001", "组长"],
        [2, None, "第一党支部", "\u3000李四\u3000", "注销", None, None],
        [3, "+86 139-0013-9000", "第二党支部", "王五", None, "DF-003"],
    )
    parsed = read_roster(data, "花名册.xlsx")
    assert parsed.errors == ()
    assert parsed.rows == (
        RosterRow(4, "张三", "第一党支部", "13800138000", "DF-001", True),
        RosterRow(5, "李四", "第一党支部", "", "", False),
        RosterRow(6, "王五", "第二党支部", "13900139000", "DF-003", True),
    )


@pytest.mark.parametrize("header", [["姓名", "党支部", "手机号", "党员编号", "状态"],
                                    ["名字", "支部", "手机", "编号", "状态*"],
                                    ["党员姓名", "所在党支部", "电话", "党员编号*", "状态"]])
def test_every_alias_of_every_column(header):
    parsed = read_roster(xlsx(header, ["张三", "第一党支部", "13800138000", "7", "停用"]), "a.xlsx")
    assert parsed.rows == (RosterRow(2, "张三", "第一党支部", "13800138000", "7", False),)


def test_numeric_phone_and_member_number_cells_become_their_digits():
    data = xlsx(HEADER,
                ["张三", "第一党支部", 13800138000, 1001],
                ["李四", "第一党支部", 13800138001.0, 1002.0],
                ["王五", "第一党支部", 85551234, None])
    parsed = read_roster(data, "a.xlsx")
    assert parsed.errors == ()
    assert [(row.phone, row.member_no) for row in parsed.rows] == [
        ("13800138000", "1001"), ("13800138001", "1002"), ("85551234", "")]


def test_other_cell_types_are_read_as_text():
    parsed = read_roster(xlsx(HEADER, ["张三", datetime(2026, 3, 1)]), "a.xlsx")
    assert parsed.rows[0].branch == "2026-03-01 00:00:00"


def test_the_sheet_with_the_header_is_found_behind_an_instructions_sheet():
    data = xlsx(["填写说明：每名党员一行"], sheets={"花名册": [HEADER, ["张三", "第一党支部"]]})
    assert read_roster(data, "a.xlsx").rows == (RosterRow(2, "张三", "第一党支部"),)


def test_the_active_sheet_comes_first():
    data = xlsx(HEADER, ["旧表", "第一党支部"], sheets={"新": [HEADER, ["张三", "第一党支部"]]}, active=1)
    assert [row.name for row in read_roster(data, "a.xlsx").rows] == ["张三"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_utf8_with_and_without_bom_and_in_gb18030(encoding):
    data = csv_file(["党支部花名册", "", ""], ["姓名", "党支部", "手机号"], ["张三", "第一党支部", "13800138000"],
                    ["", "", ""], ["李四", "第二党支部", ""], encoding=encoding)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # the fallback is really exercised
    parsed = read_roster(data, "名册.CSV")
    assert parsed.errors == ()
    assert parsed.rows == (RosterRow(3, "张三", "第一党支部", "13800138000"), RosterRow(5, "李四", "第二党支部"))


def test_tab_separated_csv():
    data = csv_file(["姓名", "党支部", "状态"], ["张三", "第一党支部", "停用"], delimiter="\t")
    assert read_roster(data, "a.csv").rows == (RosterRow(2, "张三", "第一党支部", active=False),)


def test_csv_cells_starting_with_equals_are_plain_text():
    data = csv_file(["姓名", "党支部"], ["=1+1", '=HYPERLINK("http://x","y")'])
    assert read_roster(data, "a.csv").rows == (RosterRow(2, "=1+1", '=HYPERLINK("http://x","y")'),)


def test_empty_rows_and_rows_with_only_ignored_columns_are_skipped():
    data = xlsx(["序号", "姓名", "党支部"], [1, "张三", "第一党支部"], [], [None, None, None], [2, "", "  "],
                [3, "李四", "第一党支部"])
    parsed = read_roster(data, "a.xlsx")
    assert parsed.errors == ()
    assert [(row.line, row.name) for row in parsed.rows] == [(2, "张三"), (6, "李四")]


def test_short_csv_rows_leave_the_missing_columns_empty():
    data = csv_file(["姓名", "党支部", "手机号", "状态"], ["张三", "第一党支部"])
    assert read_roster(data, "a.csv").rows == (RosterRow(2, "张三", "第一党支部"),)


@pytest.mark.parametrize("phone, digits", [("13800138000", "13800138000"), ("138-0013-8000", "13800138000"),
                                           ("+86 138 0013 8000", "13800138000"), ("010-12345678", "01012345678"),
                                           ("0571 8888 888", "05718888888"), ("8555123", "8555123")])
def test_phones_and_landlines_are_kept_as_digits(phone, digits):
    parsed = read_roster(csv_file(HEADER, ["张三", "第一党支部", phone]), "a.csv")
    assert parsed.rows[0].phone == digits


# --- row errors ----------------------------------------------------------------------------------------------

ROW_ERRORS = [
    # (name, branch, phone, member_no, status), column, message id, value shown
    (("", "第一党支部", "", "", ""), "姓名", "roster.name_empty", ""),
    (("张三", "", "", "", ""), "党支部", "roster.branch_empty", ""),
    (("张" * 51, "第一党支部", "", "", ""), "姓名", "roster.name_too_long", "张" * 51),
    (("张\x01三", "第一党支部", "", "", ""), "姓名", "roster.control_character", "张\x01三"),
    (("张三\n李四", "第一党支部", "", "", ""), "姓名", "roster.control_character", "张三\n李四"),
    (("张三", "第一\x07支部", "", "", ""), "党支部", "roster.control_character", "第一\x07支部"),
    (("张三", "第一党支部", "12345", "", ""), "手机号", "roster.bad_phone", "12345"),
    (("张三", "第一党支部", "1380013800a", "", ""), "手机号", "roster.bad_phone", "1380013800a"),
    (("张三", "第一党支部", "1380013800012", "", ""), "手机号", "roster.bad_phone", "1380013800012"),
    (("张三", "第一党支部", "１３８００１３８０００", "", ""), "手机号", "roster.bad_phone", "１３８００１３８０００"),
    (("张三", "第一党支部", "", "A/01", ""), "党员编号", "roster.bad_member_no", "A/01"),
    (("张三", "第一党支部", "", "编号一", ""), "党员编号", "roster.bad_member_no", "编号一"),
    (("张三", "第一党支部", "", "A" * 33, ""), "党员编号", "roster.bad_member_no", "A" * 33),
    (("张三", "第一党支部", "", "", "退休"), "状态", "roster.bad_status", "退休"),
]


@pytest.mark.parametrize("cells, column, message_id, value", ROW_ERRORS, ids=[case[2] for case in ROW_ERRORS])
def test_every_row_error_names_row_column_and_value(cells, column, message_id, value):
    data = csv_file(["花名册"], HEADER, ["赵六", "第一党支部"], list(cells))
    parsed = read_roster(data, "a.csv")
    assert [row.name for row in parsed.rows] == ["赵六"]  # the faulty row is left out
    error = only_error(parsed)
    assert (error.line, error.column, error.message_id) == (4, column, message_id)
    message = rendered(error)
    assert "第4行" in message and value in message
    if column:
        assert f"“{column}”" in message
    assert message == error.message()


def test_bad_status_lists_the_accepted_values():
    message = rendered(only_error(read_roster(csv_file(HEADER, ["张三", "第一党支部", "", "", "退休"]), "a.csv")))
    assert all(word in message for word in ("在册", "停用", "正常", "迁出", "去世", "注销"))


def test_every_fault_of_a_row_is_reported():
    parsed = read_roster(csv_file(HEADER, ["", "", "12", "x y", "?"]), "a.csv")
    assert parsed.rows == ()
    assert [error.column for error in parsed.errors] == ["姓名", "党支部", "手机号", "党员编号", "状态"]
    assert {error.line for error in parsed.errors} == {2}


def test_a_member_number_twice_is_an_error_on_the_second_naming_the_first():
    data = csv_file(HEADER, ["张三", "第一党支部", "", "DF-001"], ["李四", "第一党支部"],
                    ["王五", "第二党支部", "", "df-001"])
    parsed = read_roster(data, "a.csv")
    assert [row.name for row in parsed.rows] == ["张三", "李四"]
    error = only_error(parsed)
    assert (error.line, error.column, error.message_id) == (4, "党员编号", "roster.duplicate_member_no")
    assert dict(error.params)["first_line"] == 2
    message = rendered(error)
    assert "第4行" in message and "第2行" in message and "df-001" in message


def test_the_same_name_and_branch_twice_without_numbers_is_an_error_on_the_second():
    data = csv_file(HEADER, ["张三", "第一党支部"], ["张三", "第二党支部"], ["张三", "第一党支部", "13800138000"])
    parsed = read_roster(data, "a.csv")
    assert [row.line for row in parsed.rows] == [2, 3]
    error = only_error(parsed)
    assert (error.line, error.column, error.message_id) == (4, "", "roster.duplicate_member")
    message = rendered(error)
    assert "第4行" in message and "第2行" in message and "张三" in message and "第一党支部" in message


def test_the_same_name_and_branch_with_a_member_number_are_two_members():
    data = csv_file(HEADER, ["张三", "第一党支部", "", "1"], ["张三", "第一党支部", "", "2"], ["张三", "第一党支部"])
    parsed = read_roster(data, "a.csv")
    assert parsed.errors == ()
    assert [row.member_no for row in parsed.rows] == ["1", "2", ""]


# --- whole-file refusals -------------------------------------------------------------------------------------

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def test_an_old_xls_file_is_refused_saying_to_save_it_as_xlsx():
    error = refused(OLE, "花名册.xls")
    assert error.message_id == "roster.bad_extension"
    assert ".xls" in error.message() and ".xlsx" in error.message() and ".csv" in error.message()


@pytest.mark.parametrize("filename", ["花名册.txt", "花名册", "花名册.xlsx.exe", ""])
def test_other_extensions_are_refused(filename):
    assert refused("姓名,党支部\n".encode(), filename).message_id == "roster.bad_extension"


@pytest.mark.parametrize("filename", ["花名册.xlsx", "花名册.csv"])
def test_a_password_protected_file_is_refused_saying_to_remove_the_password(filename):
    error = refused(OLE, filename)
    assert error.message_id == "roster.encrypted"
    assert "密码" in error.message()


@pytest.mark.parametrize("data", [bytes(range(256)) * 8, b"PK\x03\x04" + bytes(range(256)) * 8],
                         ids=["random", "zip-magic-then-garbage"])
def test_bytes_that_are_no_workbook_are_refused(data):
    error = refused(data, "花名册.xlsx")
    assert error.message_id == "roster.unreadable_xlsx"
    assert "另存为" in error.message()


def test_a_zip_that_is_no_workbook_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    assert refused(archive.getvalue(), "花名册.xlsx").message_id == "roster.unreadable_xlsx"


def test_a_workbook_with_a_broken_sheet_is_refused():
    # openpyxl reads a sheet lazily: the failure comes while rows are read, not when the file is opened.
    source = zipfile.ZipFile(io.BytesIO(xlsx(HEADER, ["张三", "第一党支部"])))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        for name in source.namelist():
            data = source.read(name)
            z.writestr(name, data.replace(b"</sheetData>", b"<row") if name == "xl/worksheets/sheet1.xml" else data)
    assert refused(broken.getvalue(), "a.xlsx").message_id == "roster.unreadable_xlsx"


def test_a_truncated_workbook_is_refused():
    data = xlsx(HEADER, ["张三", "第一党支部"])
    assert refused(data[: len(data) // 2], "a.xlsx").message_id == "roster.unreadable_xlsx"


@pytest.mark.parametrize("filename", ["a.xlsx", "a.csv"])
def test_a_file_over_the_size_limit_is_refused_naming_the_limit(filename):
    error = refused(b"a" * (MAX_ROSTER_BYTES + 1), filename)
    assert error.message_id == "roster.too_big"
    assert str(MAX_ROSTER_BYTES // 2**20) in error.message()


def test_a_file_at_the_size_limit_is_read():
    head = "姓名,党支部\r\n张三,第一党支部\r\n".encode()
    blank = b" " * 98 + b"\r\n"  # rows of spaces: empty once stripped
    data = head + blank * ((MAX_ROSTER_BYTES - len(head)) // len(blank))
    assert MAX_ROSTER_BYTES - len(blank) < len(data) <= MAX_ROSTER_BYTES
    assert len(read_roster(data, "a.csv").rows) == 1


def test_rows_past_excel_s_last_row_are_refused(monkeypatch):
    # A file of nothing but empty rows would otherwise cost seconds per million.
    monkeypatch.setattr(roster, "_LAST_SHEET_ROW", 10)
    assert read_roster(csv_file(HEADER, ["张三", "第一党支部"], *[[]] * 8), "a.csv").rows
    assert refused(csv_file(HEADER, ["张三", "第一党支部"], *[[]] * 9), "a.csv").message_id == "roster.too_many_rows"


@pytest.mark.parametrize("filename", ["a.xlsx", "a.csv"])
def test_an_empty_file_is_refused(filename):
    assert refused(b"", filename).message_id == "roster.empty"


def test_no_header_row_is_refused_naming_the_two_required_columns():
    for data, filename in [(xlsx(["姓名", "支部名称"], ["张三", "第一党支部"]), "a.xlsx"),
                           (csv_file(["名单"], ["张三", "第一党支部"]), "a.csv"),
                           (xlsx(*[["说明"]] * 10, HEADER, ["张三", "第一党支部"]), "a.xlsx")]:
        error = refused(data, filename)
        assert error.message_id == "roster.no_header"
        assert "“姓名”" in error.message() and "“党支部”" in error.message()


def test_the_header_may_be_on_the_tenth_row():
    data = xlsx(*[["说明"]] * 9, HEADER, ["张三", "第一党支部"])
    assert read_roster(data, "a.xlsx").rows == (RosterRow(11, "张三", "第一党支部"),)


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(monkeypatch):
    monkeypatch.setattr(roster, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (2 * 1024 * 1024))
    data = archive.getvalue()
    assert len(data) < 10 * 1024  # small on disk, big inflated
    error = refused(data, "a.xlsx")
    assert error.message_id == "roster.unzipped_too_big"
    assert "1 MB" in error.message()


def test_a_real_workbook_is_under_the_unzipped_limit():
    assert read_roster(xlsx(HEADER, ["张三", "第一党支部"]), "a.xlsx").rows


def test_a_binary_file_named_csv_is_refused():
    error = refused(xlsx(HEADER, ["张三", "第一党支部"]), "花名册.csv")
    assert error.message_id == "roster.not_text_csv"


def test_a_csv_in_no_known_encoding_is_refused():
    assert refused(b"\xff\xfe\xff\xfe\x81\x30", "a.csv").message_id == "roster.bad_encoding"


def test_a_malformed_csv_is_refused():
    data = ("姓名,党支部\n张三," + "x" * (csv.field_size_limit() + 10)).encode()
    assert refused(data, "a.csv").message_id == "roster.unreadable_csv"


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(roster, "MAX_ROSTER_ROWS", 3)
    rows = [[f"党员{i}", "第一党支部"] for i in range(3)]
    assert len(read_roster(csv_file(HEADER, *rows, [], []), "a.csv").rows) == 3
    error = refused(csv_file(HEADER, *rows, ["党员9", "第一党支部"]), "a.csv")
    assert error.message_id == "roster.too_many_rows"
    assert "3" in error.message()


# --- writing -------------------------------------------------------------------------------------------------

ROWS = (
    RosterRow(0, "张三", "第一党支部", "13800138000", "DF-001"),
    RosterRow(0, "李四", "第一党支部", "01012345678", "", active=False),
    RosterRow(0, "=HYPERLINK(\"http://evil\",\"点我\")", "+第二党支部", "", "-001"),
    RosterRow(0, "@王五", "第二党支部", "", "0042"),
)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_is_exact(fmt):
    parsed = read_roster(write_roster(ROWS, fmt), "x." + fmt)
    assert parsed.errors == ()
    assert parsed.rows == tuple(replace(row, line=line) for line, row in enumerate(ROWS, start=2))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_of_no_rows(fmt):
    assert read_roster(write_roster([], fmt), "x." + fmt) == ParsedRoster((), ())


def test_csv_export_is_utf8_with_bom_and_defuses_formulas():
    data = write_roster(ROWS, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[0] == HEADER
    assert lines[1] == ["张三", "第一党支部", "13800138000", "DF-001", "在册"]
    assert lines[2][4] == "停用"
    assert lines[3][:2] == ["'=HYPERLINK(\"http://evil\",\"点我\")", "'+第二党支部"]
    assert lines[3][3] == "'-001" and lines[4][0] == "'@王五"
    assert not any(cell.startswith(tuple("=+-@")) for line in lines for cell in line)


def test_xlsx_export_is_text_cells_with_a_bold_frozen_header():
    workbook = load_workbook(io.BytesIO(write_roster(ROWS, "xlsx")))  # not data_only: formulas would show
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == HEADER
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert [sheet.column_dimensions[c].width for c in "ABCDE"] == [12, 24, 16, 16, 8]
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value is not None)
    assert sheet["C3"].value == "01012345678" and sheet["D5"].value == "0042"  # leading zeros kept
    assert sheet["A4"].value.startswith("'=") and sheet["B4"].value == "'+第二党支部"
    assert sheet["E3"].value == "停用"
    assert sheet.title == text("roster.sheet_title")


def test_write_roster_refuses_an_unknown_format():
    with pytest.raises(ValueError):
        write_roster(ROWS, "xls")
