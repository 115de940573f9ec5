"""Shared fixtures: a fresh app per test on a temporary database and media folder,
a controllable clock, paired devices, and a real HTTP server on a loopback port."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server import create_app
from server.accounts.devices import approve_device, claim_token, register_device
from server.web.context import current_lineup, get_db
from tests.support.http_server import serve_in_thread

REPO = Path(__file__).resolve().parent.parent
# Clock slates are encoded in the background by every server a test starts; only the tests
# about them turn them on (their own config wins over the environment).
os.environ["KETING_SLATE_CLOCK_SECONDS"] = "0"


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC))


@pytest.fixture
def app(tmp_path, clock):
    return create_app({"DATABASE": str(tmp_path / "keting.sqlite3"), "MEDIA_ROOT": str(tmp_path / "media"),
                       "ORIGINALS_DIR": str(tmp_path / "originals"), "SECRET_KEY": "test-secret"}, clock=clock)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An app context, for calling domain functions directly: yields (db, lineup)."""
    with app.app_context():
        yield get_db(), current_lineup()


def pair_device(db, now: datetime, org_id: int | None = None, serial: str = "SN-TEST") -> tuple[int, str]:
    """Register, approve and claim a box through the real functions; return (id, token)."""
    registration = register_device(db, serial, "测试机顶盒", "test", now, 3600)
    device = approve_device(db, registration.pairing_code, org_id, now)
    return device.id, claim_token(db, registration.device_code, now).token


@pytest.fixture
def device_token(ctx, clock) -> str:
    db, _ = ctx
    return pair_device(db, clock.now)[1]


@pytest.fixture
def auth(device_token) -> dict[str, str]:
    return {"Authorization": f"Bearer {device_token}"}


def editor_token(db, lineup, now, username="editor", role="editor", boards=()) -> str:
    """An account and an API token for it, through the real functions."""
    from server.accounts.tokens import create_api_token
    from server.accounts.users import add_user

    add_user(db, lineup, username, "password123", role, now, boards=boards, all_boards=not boards)
    return create_api_token(db, username, "tests", now)


@pytest.fixture
def live_server(app):
    """The app on a real HTTP server at 127.0.0.1 on a free port; yields its base URL."""
    with serve_in_thread(app) as url:
        yield url
