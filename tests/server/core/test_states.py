"""Each state column has one enum in code, and the enum and the schema's CHECK list agree."""

from __future__ import annotations

import re

import pytest

from server.accounts.devices import DeviceState
from server.accounts.login_guard import Scope
from server.accounts.organisations import OrgKind
from server.accounts.users import Role
from server.broadcast.playout import RowKind
from server.broadcast.schedule import EntryState
from server.catalogue.items import ItemKind, ItemState
from server.core.db import connect
from server.core.migrations import migrate
from server.ingest.transcode_jobs import JobState
from server.records.attendance import AttendanceHow
from server.records.report_export import ExportFormat
from server.records.reports import PeriodKind
from server.records.watch_log import SubjectKind

ENUMS = {
    ("organisations", "kind"): OrgKind,
    ("items", "kind"): ItemKind,
    ("items", "state"): ItemState,
    ("devices", "state"): DeviceState,
    ("users", "role"): Role,
    ("transcode_jobs", "state"): JobState,
    ("schedule_entries", "state"): EntryState,
    ("playout", "kind"): RowKind,
    ("login_failures", "scope"): Scope,
    ("study_subjects", "kind"): SubjectKind,
    ("report_exports", "period_kind"): PeriodKind,
    ("report_exports", "format"): ExportFormat,
    ("attendance", "how"): AttendanceHow,
}
# `name TEXT ... CHECK (name IN ('a', 'b'))`: a text column limited to a list of words.
_TEXT_CHECK = re.compile(r"(\w+) TEXT[^,]*?CHECK \(\1 IN \(((?:'[^']*'(?:,\s*)?)+)\)\)")


def text_checks(db) -> dict[tuple[str, str], set[str]]:
    """Every (table, column) of the migrated schema whose values a CHECK limits to a list of words."""
    found = {}
    for table, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"):
        for column, values in _TEXT_CHECK.findall(sql):
            found[(table, column)] = set(re.findall(r"'([^']*)'", values))
    return found


@pytest.fixture(scope="module")
def checks(tmp_path_factory):
    db = connect(tmp_path_factory.mktemp("states") / "k.db")
    migrate(db)
    yield text_checks(db)
    db.close()


def test_every_checked_column_has_an_enum(checks):
    assert set(checks) == set(ENUMS), "a state column without an enum (or an enum without its CHECK)"


@pytest.mark.parametrize("column", sorted(ENUMS), ids=lambda c: ".".join(c))
def test_the_enum_matches_the_check_list(checks, column):
    assert {member.value for member in ENUMS[column]} == checks[column]


def test_the_reader_finds_a_check_list():
    """The pattern reads the schema's own way of writing a CHECK (else the tests above prove nothing)."""
    sql = "CREATE TABLE t (state TEXT NOT NULL DEFAULT 'a' CHECK (state IN ('a', 'b')), n INTEGER CHECK (n IN (0, 1)))"
    assert _TEXT_CHECK.findall(sql) == [("state", "'a', 'b'")]
