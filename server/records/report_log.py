"""Who exported which report, and when: every export of the participation report is written down here, and the
report page shows the latest ones of the organisations its reader may see."""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from server.core.db import write_transaction
from server.core.timestamps import format_utc
from server.records.members import Scope
from server.records.reports import Period


def log_export(db: Database, username: str, org_id: int | None, org_name: str, period: Period, fmt: str,
               table: str | None, now: datetime) -> None:
    """Write down one export (before its file is sent: an export that is not logged is not sent)."""
    with write_transaction(db):
        db.execute("""INSERT INTO report_exports (username, org_id, org_name, period_kind, period_value, format,
                      table_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                   [username, org_id, org_name, period.kind, period.value(), fmt, table, format_utc(now)])


def recent_exports(db: Database, scope: Scope, limit: int = 20) -> list:
    """The latest exports of reports on organisations in scope (the whole site's only for whole-site readers)."""
    return db.execute(
        f"""WITH RECURSIVE {scope.cte()}
            SELECT e.* FROM report_exports e
            WHERE e.org_id IN (SELECT id FROM scope) OR (e.org_id IS NULL AND :scope_org IS NULL)
            ORDER BY e.id DESC LIMIT :limit""", {**scope.params(), "limit": limit}).fetchall()
