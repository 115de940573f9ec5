"""A real `keting serve` and Debian's Chromium (driven by Playwright, no browser download)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from server import create_app
from server.accounts.users import add_user
from server.web.context import current_lineup, get_db
from tests.conftest import REPO
from tests.support.clips import lecture_clip
from tests.support.http_server import keting_serve

ARTIFACTS = REPO / "test-artifacts" / "console"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def console_settings(tmp_path_factory) -> dict:
    """The settings of the module's `keting serve` (a test opens the same database with create_app)."""
    folder = tmp_path_factory.mktemp("console")
    return {"DATABASE": str(folder / "keting.sqlite3"), "MEDIA_ROOT": str(folder / "media"),
            "ORIGINALS_DIR": str(folder / "originals"), "SECRET_KEY": "browser-test-key",
            "SLATE_SECONDS": "2", "RECONCILE_INTERVAL": "2", "LIVE_INPUT_HOSTS": "127.0.0.1"}


@pytest.fixture(scope="module")
def console_server(console_settings):
    """`keting serve` on a fresh database with an editor (two boards) and an administrator."""
    settings = console_settings
    app = create_app(settings, clock=lambda: datetime.now(UTC))
    with app.app_context():
        add_user(get_db(), current_lineup(), "editor", "password123", "editor", datetime.now(UTC),
                 display_name="王编辑", boards=("dangke", "banshi"))
        add_user(get_db(), current_lineup(), "admin", "password123", "admin", datetime.now(UTC),
                 display_name="李管理员")
    with keting_serve(settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """A fresh browser profile per person (own cookies); its pages' script errors fail the test."""
    contexts, errors = [], []

    def make(viewport=(1366, 900)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(20_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == []


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return lecture_clip(tmp_path_factory.mktemp("clip") / "党课录像.mp4", seconds=4)


def ready(page) -> None:
    """Wait until console.js has wired the page (a click before that would submit a form natively)."""
    page.wait_for_selector("body[data-ready]", state="attached")


def log_in(page, url: str, username: str, password: str = "password123") -> None:
    page.goto(f"{url}/console/library")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{url}/console/library")
    ready(page)


def open_menu(page, name: str) -> None:
    """Follow a link of the console's menu and wait for the page to be ready."""
    with page.expect_navigation():  # waits for the new page's load, not the old one's
        page.click(f"header nav >> text={name}")
    ready(page)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wait_js(page, expression: str, deadline_s: float = 20.0, what: str = ""):
    """Poll a JavaScript expression until it is truthy (page.wait_for_function evaluates strings
    with eval, which the console's Content-Security-Policy rightly forbids)."""
    from tests.support.processes import wait_for

    return wait_for(lambda: page.evaluate(expression), deadline_s, what or expression)
