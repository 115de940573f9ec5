"""The real client, headless (SDL dummy video, libVLC dummy output), driven through its HTTP remote
against a real server on loopback; screenshots of each screen are kept in test-artifacts/stb/."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from server.catalogue.items import create_item
from server.web.context import clock, current_lineup, get_db
from tests.conftest import REPO, pair_device
from tests.support.fake_vod import add_video, prepare_channels
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
ARTIFACTS = REPO / "test-artifacts" / "stb"


@pytest.fixture
def client_process(app, clock, live_server, tmp_path):
    """A paired client process on the server's content; yields (remote URL, server URL)."""
    prepare_channels(app)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        media = Path(app.config["MEDIA_ROOT"])
        add_video(db, lineup, media, board_id="dangke", title="支部党课：不忘初心", seconds=1800)
        create_item(db, lineup, kind="article", board_id="gongkai", title="东风社区党务公开（第四季度）",
                    body_markdown="\n\n".join(f"第{n}条：社区党费收缴情况公示。" * 6 for n in range(30)),
                    state="published")
        _, token = pair_device(db, clock.now)
        from server.web.context import station
        station().keep_built(db, lineup, clock.now)
    state = tmp_path / "stb"
    state.mkdir()
    (state / "token").write_text(token + "\n")
    env = {**os.environ, "KETING_STB_STATE": str(state)}
    process = subprocess.Popen([sys.executable, "-m", "stb_client.main", "--server", live_server, "run", "--headless",
                                "--remote-port", "0", "--screenshot-dir", str(ARTIFACTS)], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline().strip()
        assert first.startswith("remote: "), first
        yield first.removeprefix("remote: ").rstrip("/")
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.returncode == 0


def status(remote: str) -> dict:
    return json.loads(urllib.request.urlopen(f"{remote}/status", timeout=5).read())


def press(remote: str, *keys: str) -> None:
    for key in keys:
        urllib.request.urlopen(urllib.request.Request(f"{remote}/keys/{key}", method="POST"), timeout=5)


def screenshot(remote: str, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    request = urllib.request.Request(f"{remote}/screenshot", data=path.name.encode(), method="POST")
    urllib.request.urlopen(request, timeout=15)
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24]) == (1920, 1080)
    return path


def until(remote: str, condition, what: str) -> dict:
    """Poll the client's status until `condition` holds (a status without the field yet: not yet)."""
    def check():
        current = status(remote)
        try:
            return condition(current) and current
        except KeyError:  # before the first frame the status is empty
            return None
    return wait_for(check, 15, what)


def test_every_screen_through_the_http_remote(client_process):
    remote = client_process
    home = until(remote, lambda s: s["ready"] and "支部党课" in s["texts"], "the Home screen with the boards")
    assert home["view"] == "home" and "19:30" not in home["texts"]
    screenshot(remote, "home")
    press(remote, "5")
    board = until(remote, lambda s: s["view"] == "board" and any("不忘初心" in t for t in s["texts"]), "board 5")
    assert board["board_id"] == "dangke"
    screenshot(remote, "board")
    press(remote, "back")
    assert until(remote, lambda s: s["view"] == "home", "Home again")["focus"] == 0
    press(remote, "2", "1")
    until(remote, lambda s: s["view"] == "article" and any("第 1/" in t for t in s["texts"]), "the article")
    screenshot(remote, "article")
    press(remote, "down")
    until(remote, lambda s: s["page"] == 1, "the second page")
    press(remote, "home", "menu")
    grid = until(remote, lambda s: s["view"] == "guide" and any("左右键" in t for t in s["texts"]), "the guide grid")
    assert any("党建频道" in t for t in grid["texts"])
    screenshot(remote, "guide")
    press(remote, "back", "ch_up")
    live = until(remote, lambda s: s["view"] == "live" and s["playback"], "live TV")
    assert live["playback"]["url"].endswith("/live/1/master.m3u8")
    screenshot(remote, "live")
    press(remote, "back_long")
    until(remote, lambda s: s["view"] == "home" and s["playback"] is None, "Home after a long Back")


def test_a_stream_that_cannot_play_shows_a_message_and_returns_to_the_menu(client_process):
    remote = client_process
    until(remote, lambda s: s["ready"], "Home")
    press(remote, "5", "1")  # a video whose segments do not exist: libVLC fails
    failed = until(remote, lambda s: s["view"] == "board" and any("无法播放" in t for t in s["texts"]),
                   "the message, back on the board")
    assert failed["playback"] is None
    screenshot(remote, "message")


class RestartableServer:
    """The app on a fixed loopback port that a test can take away and bring back."""

    def __init__(self, app):
        import socket

        self.app = app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_client_keeps_working_offline_and_recovers_by_itself(app, clock, tmp_path):
    server = RestartableServer(app)
    server.start()
    prepare_channels(app)
    with app.app_context():
        _, token = pair_device(get_db(), clock.now)
    state = tmp_path / "stb"
    state.mkdir()
    (state / "token").write_text(token + "\n")
    env = {**os.environ, "KETING_STB_STATE": str(state)}
    process = subprocess.Popen([sys.executable, "-m", "stb_client.main", "--server", server.url, "run", "--headless",
                                "--remote-port", "0", "--screenshot-dir", str(ARTIFACTS)], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, text=True)
    try:
        remote = process.stdout.readline().strip().removeprefix("remote: ").rstrip("/")
        until(remote, lambda s: s["ready"], "Home")
        press(remote, "5")
        until(remote, lambda s: any("党课片段" in t for t in s["texts"]), "board 5 online")
        press(remote, "back")
        server.stop()
        press(remote, "5")
        offline = until(remote, lambda s: s["offline"] and s["view"] == "board", "the offline banner")
        assert any("党课片段" in t for t in offline["texts"]), "the menu works from the cache"
        assert any("网络连接中断" in t for t in offline["texts"])
        screenshot(remote, "offline")
        server.start()
        back = until(remote, lambda s: not s["offline"], "recovery with no key pressed")
        assert not any("网络连接中断" in t for t in back["texts"])
    finally:
        process.terminate()
        process.wait(timeout=20)
        server.stop()


def test_a_new_box_shows_its_code_until_approved_then_keeps_its_token(app, live_server, tmp_path):
    """Pairing end to end on a 1280x720 TV: the code in large digits, an administrator approves
    it through the console's API, the box stores its token and opens Home by itself."""
    from server.accounts.tokens import create_api_token
    from server.accounts.users import add_user

    app.config["PAIRING_POLL_INTERVAL"] = 0.5
    prepare_channels(app)
    with app.app_context():
        add_user(get_db(), current_lineup(), "admin", "password123", "admin", clock())
        admin = create_api_token(get_db(), "admin", "tests", clock())
    state = tmp_path / "stb"
    state.mkdir()
    env = {**os.environ, "KETING_STB_STATE": str(state)}
    process = subprocess.Popen([sys.executable, "-m", "stb_client.main", "--server", live_server, "run", "--headless",
                                "--size", "1280x720", "--remote-port", "0", "--screenshot-dir", str(ARTIFACTS)],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    try:
        remote = process.stdout.readline().strip().removeprefix("remote: ").rstrip("/")
        pairing = until(remote, lambda s: s["view"] == "pairing" and s["pairing_code"], "the pairing code")
        code = pairing["pairing_code"]
        assert " ".join(code) in pairing["texts"], "the code is drawn, digit by digit"
        path = ARTIFACTS / "pairing-720p.png"
        urllib.request.urlopen(urllib.request.Request(f"{remote}/screenshot", data=path.name.encode(),
                                                      method="POST"), timeout=15)
        for elsewhere in (str(tmp_path / "x.png"), "../x.png", "x.sh", "a/b.png", ".png"):  # only a plain name
            refused = urllib.request.Request(f"{remote}/screenshot", data=elsewhere.encode(), method="POST")
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(refused, timeout=15)
            assert error.value.code == 400
        assert not (tmp_path / "x.png").exists()
        assert struct.unpack(">II", path.read_bytes()[16:24]) == (1280, 720)
        approve = urllib.request.Request(f"{live_server}/api/v1/admin/devices/approve", method="POST",
                                         data=json.dumps({"pairing_code": code}).encode(),
                                         headers={"Authorization": f"Bearer {admin}",
                                                  "Content-Type": "application/json"})
        assert urllib.request.urlopen(approve, timeout=10).status == 200
        until(remote, lambda s: s["view"] == "home" and s["ready"], "Home after the approval")
        assert (state / "token").read_text().strip()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_remote_answers_local_programs_only(client_process):
    """No web page opened on the box may press its keys (it would send an Origin), nor read the status through
    another host name (DNS rebinding)."""
    remote = client_process
    until(remote, lambda s: s["ready"], "Home")
    for request in (urllib.request.Request(f"{remote}/keys/ok", method="POST",
                                           headers={"Origin": "http://evil.example"}),
                    urllib.request.Request(f"{remote}/status", headers={"Host": "evil.example:8765"})):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 403
    assert status(remote)["view"] == "home"  # the key did not reach the box


def test_a_burst_of_sigterms_ends_the_client(tmp_path):
    """A supervisor's SIGTERM often comes twice (`timeout` or a shell passes its own on to the child group): a handler
    run inside another must not wait on a lock the first holds (the client hung so, seen in a trial)."""
    from tests.support.http_server import free_port

    state = tmp_path / "stb"
    state.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "stb_client.main", "--server",
                                f"http://127.0.0.1:{free_port()}", "run", "--headless", "--remote-port", "0"],
                               cwd=REPO, env={**os.environ, "KETING_STB_STATE": str(state)},
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().startswith("remote: ")  # running its loop (pairing, the server away)
        for _ in range(200):
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        process.wait()
