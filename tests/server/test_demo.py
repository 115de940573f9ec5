"""`keting demo` for real: ffmpeg draws and encodes the clips, the API lists them,
the ladder meets the contract, libVLC plays one from a loopback server."""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from server import create_app
from server.cli import DEMO_TOKEN_FILE, main
from server.core.media_permissions import unreadable_by_others
from server.web.context import clock, current_lineup, get_db, station
from server.web.front import NginxFront, find_nginx, listen_address, worker_user
from stb_client.link.server_api import ServerApi
from tests.support.http_server import free_port, serve_in_thread
from tests.support.media_probe import extinf_durations, first_frame_is_key, keyframe_times, play_until_pictures, streams
from tests.support.signed import unsigned

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo():
    """One demo run shared by this module: (env, instance folder, media root, first output).

    In a folder the web server's user can enter (pytest's own are private), made under a umask
    that would hide every file from it: `keting` must make its media readable regardless.
    """
    root = Path(tempfile.mkdtemp(prefix="keting-demo-"))
    root.chmod(0o755)
    env = {"KETING_DATABASE": str(root / "k.db"), "KETING_MEDIA_ROOT": str(root / "media")}
    patch = pytest.MonkeyPatch()
    patch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(root / "instance"))
    before = os.umask(0o077)
    try:
        result = CliRunner(env=env).invoke(main, ["demo"], catch_exceptions=False)
    finally:
        os.umask(before)
    yield env, root / "instance", root / "media", result
    patch.undo()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def server(demo):
    env, _, media, _ = demo
    app = create_app({"DATABASE": env["KETING_DATABASE"], "MEDIA_ROOT": str(media)})
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="module")
def api(demo, server):
    _, instance, _, _ = demo
    return ServerApi(server, (instance / DEMO_TOKEN_FILE).read_text().strip())


def test_demo_fills_all_ten_boards(demo, api):
    assert demo[3].exit_code == 0, demo[3].output
    boards = api.boards()
    assert len(boards) == 10
    assert all(board["item_count"] >= 1 for board in boards), boards
    titles = [item["title"] for b in boards for item in api.board_items(b["id"])["items"]]
    assert all(title.startswith("【演示】") for title in titles)


def test_demo_box_sees_its_own_community_notice_only(api):
    titles = [i["title"] for i in api.board_items("gongkai")["items"]]
    assert any("东风社区" in t for t in titles)
    assert not any("向阳社区" in t for t in titles)


def test_demo_box_has_a_household_with_a_year_of_study(api):
    household = api.household()
    assert [m["name"] for m in household["members"]] == ["王建国", "李秀兰"]  # two: "谁在看" will ask
    for member in household["members"]:
        mine = api.study(member["id"])
        assert mine["year_lessons"] > 0 and mine["recent"], mine


def study_totals(env) -> tuple[int, int, float]:
    app = create_app({"DATABASE": env["KETING_DATABASE"], "MEDIA_ROOT": env["KETING_MEDIA_ROOT"]})
    with app.app_context():
        db = get_db()
        return (db.execute("SELECT count(*) FROM members").fetchone()[0],
                db.execute("SELECT count(DISTINCT branch_id) FROM members").fetchone()[0],
                db.execute("SELECT sum(seconds) FROM study_credit").fetchone()[0])


def test_demo_is_idempotent(demo):
    env = demo[0]
    before = study_totals(env)
    again = CliRunner(env=env).invoke(main, ["demo"], catch_exceptions=False)
    assert again.exit_code == 0 and "新建 0 条" in again.output
    assert "已生成演示视频" not in again.output  # no ffmpeg ran
    members, branches, seconds = study_totals(env)
    assert (members, branches, seconds) == before and members == 10 and branches == 3 and seconds > 0


def test_demo_ladder_meets_the_contract(demo, api):
    media = demo[2]
    video = next(i for i in api.board_items("dangke")["items"] if i["duration_s"] >= 20)
    folder = media / unsigned(api.item(video["id"])["hls_url"]).split("/media/", 1)[1].rsplit("/", 1)[0]
    master = (folder / "master.m3u8").read_text()
    assert [line for line in master.splitlines() if line.endswith(".m3u8")] == [
        "720p/index.m3u8", "480p/index.m3u8", "360p/index.m3u8"]
    sizes = {}
    durations = {}
    for rung in ("720p", "480p", "360p"):
        playlist = folder / rung / "index.m3u8"
        video_stream, audio_stream = sorted(streams(playlist), key=lambda s: s["codec_type"] != "video")
        sizes[rung] = (video_stream["width"], video_stream["height"])
        assert video_stream["codec_name"] == "h264" and video_stream["r_frame_rate"] == "25/1"
        assert (audio_stream["codec_name"], audio_stream["sample_rate"], audio_stream["channels"]) == (
            "aac", "48000", 2)
        assert audio_stream["profile"] == "LC"
        keys = keyframe_times(playlist)
        assert keys == [2.0 * n for n in range(len(keys))] and len(keys) == 10
        durations[rung] = extinf_durations(playlist)
        assert all(first_frame_is_key(seg) for seg in sorted((folder / rung).glob("seg_*.ts")))
    assert sizes == {"720p": (1280, 720), "480p": (854, 480), "360p": (640, 360)}
    assert durations["720p"] == durations["480p"] == durations["360p"] == [2.0] * 10
    assert (folder / "thumb.jpg").stat().st_size > 1000


def test_libvlc_plays_a_demo_item_from_the_server(api):
    item = api.board_items("kepu")["items"][0]
    detail = api.item(item["id"])
    assert play_until_pictures(detail["hls_url"]) >= 10


def test_demo_puts_both_channels_on_the_air(demo, server):
    from urllib.request import urlopen

    media = demo[2]
    for number in (1, 2):
        assert (media / "channels" / str(number) / "slate" / "master.m3u8").is_file()
        assert (media / "channels" / str(number) / "logo.png").stat().st_size > 1000
        playlist = urlopen(f"{server}/live/{number}/720p.m3u8", timeout=10).read().decode()
        segments = [line for line in playlist.splitlines() if line.startswith("/media/")]
        assert segments and all((media / unsigned(line).removeprefix("/media/")).is_file() for line in segments)
    guide = urlopen(f"{server}/epg.xml", timeout=10).read().decode()
    assert "193000 +0800" in guide  # the demo's daily 19:30 lesson
    assert "直播频道" in demo[3].output and "/channels.m3u" in demo[3].output


def _worker_users(nginx_pid: int) -> set[int]:
    """The user ids nginx's worker processes run as."""
    users = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"PPid:\t{nginx_pid}\n" in status:
                users.add(int(status.split("Uid:\t")[1].split()[0]))
    return users


def test_the_demo_media_is_served_by_nginx_running_as_the_web_servers_user(demo, server):
    """The front `keting serve` starts, as it starts it: every file the demo, the channels and their art
    wrote is readable by www-data, and nginx serves a video's and a channel's segments itself."""
    import pwd

    env, instance, media, _ = demo
    assert unreadable_by_others(media) == []
    app = create_app({"DATABASE": env["KETING_DATABASE"], "MEDIA_ROOT": str(media)})
    with app.app_context():  # what keting serve's channel runner writes at every segment boundary
        station().write_playlists(get_db(), current_lineup(), clock())
    assert unreadable_by_others(media) == []
    key = app.config["MEDIA_SIGNING_KEY"]
    port = free_port()
    user, unreadable = worker_user(media)
    assert unreadable is None
    front = NginxFront(find_nginx("nginx"), instance / "nginx", media, "/media/", key,
                       listen_address("127.0.0.1", port), server.removeprefix("http://"), user=user)
    front.start(port)
    try:
        if os.geteuid() == 0:
            assert _worker_users(front.process.pid) == {pwd.getpwnam("www-data").pw_uid}
        url = f"http://127.0.0.1:{port}"
        api = ServerApi(url, (instance / DEMO_TOKEN_FILE).read_text().strip())
        video = next(i for i in api.board_items("dangke")["items"] if i.get("duration_s"))
        master = urllib.request.urlopen(api.item(video["id"])["hls_url"], timeout=10)
        assert master.headers["Server"].startswith("nginx")
        variant = master.geturl().rsplit("/", 1)[0] + "/" + next(
            line for line in master.read().decode().splitlines() if line.endswith(".m3u8"))
        segment = next(line for line in urllib.request.urlopen(variant, timeout=10).read().decode().splitlines()
                       if line.endswith(".ts"))
        assert urllib.request.urlopen(variant.rsplit("/", 1)[0] + "/" + segment, timeout=10).status == 200
        channel = urllib.request.urlopen(f"{url}/live/1/720p.m3u8", timeout=10).read().decode()
        live_segment = next(line for line in channel.splitlines() if line.startswith("/media/"))
        answer = urllib.request.urlopen(f"{url}{live_segment}", timeout=10)
        assert answer.status == 200 and answer.headers["Server"].startswith("nginx")
        assert urllib.request.urlopen(f"{url}/media/channels/1/logo.png", timeout=10).status == 200
    finally:
        front.stop()


def test_demo_remove_takes_everything_out(tmp_path, monkeypatch, demo):
    # Runs last in this module: it empties the shared demo.
    env, _, media, _ = demo
    removed = CliRunner(env=env).invoke(main, ["demo", "--remove"], catch_exceptions=False)
    assert removed.exit_code == 0 and "17" in removed.output
    assert list((media / "vod").iterdir()) == []


def test_a_font_without_chinese_is_refused_before_encoding(tmp_path, monkeypatch):
    latin_only = tmp_path / "font.ttf"
    latin_only.write_text("this is not a font")
    env = {"KETING_DATABASE": str(tmp_path / "k.db"), "KETING_MEDIA_ROOT": str(tmp_path / "media"),
           "KETING_CJK_FONT": str(latin_only)}
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    result = CliRunner(env=env).invoke(main, ["demo"])
    assert result.exit_code == 1
    assert "fonts-noto-cjk" in result.output and str(latin_only) in result.output


CRASHING_FFMPEG = """#!/bin/sh
# Real ffmpeg, killed with SIGKILL as soon as it has written a segment: a crash mid-encode.
ffmpeg "$@" &
pid=$!
while kill -0 $pid 2>/dev/null; do
  if ls {media}/vod/.staging/*/*/seg_00000.ts >/dev/null 2>&1; then
    kill -9 $pid
    wait $pid
    exit 137
  fi
  sleep 0.02
done
wait $pid
"""


def test_an_encode_that_crashes_says_why_and_leaves_nothing_half_made(tmp_path, monkeypatch):
    media = tmp_path / "media"
    crashing = tmp_path / "ffmpeg-crashing"
    crashing.write_text(CRASHING_FFMPEG.replace("{media}", str(media)))
    crashing.chmod(0o755)
    env = {"KETING_DATABASE": str(tmp_path / "k.db"), "KETING_MEDIA_ROOT": str(media),
           "KETING_FFMPEG": str(crashing)}
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    result = CliRunner(env=env).invoke(main, ["demo"])
    assert result.exit_code == 1, result.output
    assert "生成演示视频失败" in result.output and "Traceback" not in result.output
    from server.core.db import connect

    db = connect(tmp_path / "k.db")
    assert db.execute("SELECT count(*) FROM items WHERE kind = 'video'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM items WHERE kind = 'article'").fetchone()[0] > 0
    assert list((media / "vod").iterdir()) == []


def test_missing_ffmpeg_is_named(tmp_path, monkeypatch):
    env = {"KETING_DATABASE": str(tmp_path / "k.db"), "KETING_MEDIA_ROOT": str(tmp_path / "media"),
           "KETING_FFMPEG": str(tmp_path / "no-ffmpeg")}
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    result = CliRunner(env=env).invoke(main, ["demo"])
    assert result.exit_code == 1 and "KETING_FFMPEG" in result.output



def test_demo_makes_a_console_administrator_with_a_private_password(demo):
    from server.accounts.users import verify_password
    from server.web.context import get_db

    env, instance, media, result = demo
    password_file = instance / "demo-console-password"
    assert "demo-admin" in result.output and str(password_file) in result.output
    assert password_file.stat().st_mode & 0o077 == 0
    app = create_app({"DATABASE": env["KETING_DATABASE"], "MEDIA_ROOT": str(media)})
    with app.app_context():
        user = verify_password(get_db(), "demo-admin", password_file.read_text().strip())
    assert user is not None and user.role == "admin"
