"""The box's API client against the real server on a loopback port."""

from __future__ import annotations

import socket
import threading

import pytest

from server.accounts.devices import approve_device
from server.catalogue.items import create_item
from server.web.context import clock, get_db
from stb_client import main as stb_main
from stb_client.link.server_api import ApiError, ServerApi, Unreachable


@pytest.fixture
def fast_polling(app):
    app.config["PAIRING_POLL_INTERVAL"] = 0.05


def approve_when_pending(app, serial: str, org_id=None) -> threading.Thread:
    """Approve the box's code as soon as it appears, as an administrator would."""
    def run():
        with app.app_context():
            db = get_db()
            for _ in range(400):
                row = db.execute("SELECT pairing_code FROM devices WHERE serial = ? AND state = 'pending'",
                                 [serial]).fetchone()
                if row:
                    approve_device(db, row[0], org_id, clock())
                    return
                threading.Event().wait(0.025)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_pairing_over_http_then_browsing(app, live_server, fast_polling, ctx):
    db, lineup = ctx
    create_item(db, lineup, kind="article", board_id="banshi", title="办事指南", state="published",
                body_markdown="带上身份证。")
    api = ServerApi(live_server)
    registration = api.register("SN-HTTP", "客厅", "0.1.0")
    assert api.poll_token(registration["device_code"])["status"] == "pending"
    approve_when_pending(app, "SN-HTTP").join()
    assert api.poll_token(registration["device_code"])["status"] == "approved"
    assert api.token
    boards = {b["id"]: b for b in api.boards()}
    assert boards["banshi"]["item_count"] == 1
    [item] = api.board_items("banshi")["items"]
    assert api.item(item["id"])["text"] == "带上身份证。"


def test_unchanged_catalogue_is_served_from_the_box_cache(live_server, device_token):
    api = ServerApi(live_server, device_token)
    first = api.boards()
    assert api.last_was_cached is False
    assert api.boards() == first and api.last_was_cached is True
    api.board_items("daode")
    api.board_items("daode")
    assert api.last_was_cached is True


def test_server_errors_arrive_as_api_errors(live_server, device_token):
    api = ServerApi(live_server, device_token)
    with pytest.raises(ApiError) as raised:
        api.board_items("nosuch")
    assert (raised.value.status, raised.value.code) == (404, "unknown_board")
    assert "nosuch" in raised.value.message
    with pytest.raises(ApiError) as raised:
        ServerApi(live_server, "wrong").boards()
    assert raised.value.status == 401


def test_unreachable_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable):
        ServerApi(f"http://127.0.0.1:{port}", "t", timeout_s=2).boards()


def test_keting_stb_pairs_and_lists(app, live_server, fast_polling, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KETING_STB_STATE", str(tmp_path / "state"))
    assert stb_main.main(["--server", live_server, "boards"]) == 1
    assert "keting-stb pair" in capsys.readouterr().err
    approver = approve_when_pending(app, "SN-CLI")
    assert stb_main.main(["--server", live_server, "pair", "--serial", "SN-CLI", "--wait", "20"]) == 0
    approver.join()
    out = capsys.readouterr().out
    assert "配对码" in out and "配对成功" in out
    assert (tmp_path / "state" / "token").stat().st_mode & 0o777 == 0o600
    assert stb_main.main(["--server", live_server, "boards"]) == 0
    assert "1  基层党建  (0)" in capsys.readouterr().out
    assert stb_main.main(["--server", live_server, "items", "nosuch"]) == 1
    assert "nosuch" in capsys.readouterr().err
