"""`keting backup` and `keting restore` for real: a live server is backed up while it serves and writes,
restored onto a fresh site, and the restored server plays the video, under the old signed URL too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from server import create_app
from server.cli import main
from server.core.media_permissions import unreadable_by_others
from server.web.context import get_db
from stb_client.link.server_api import ServerApi
from tests.conftest import REPO, pair_device
from tests.support.clips import lecture_clip
from tests.support.http_server import keting_serve
from tests.support.media_probe import play_until_pictures, streams
from tests.support.processes import wait_for
from tests.support.signed import unsigned

# `keting` in a subprocess, as an operator runs it, on the site's own instance folder (KETING_INSTANCE).
LAUNCHER = """
from server.cli import main
from server.core.media_permissions import unreadable_by_others
main(prog_name="keting")
"""


NGINX_INSTALLED = bool(shutil.which("nginx") or Path("/usr/sbin/nginx").is_file())


@dataclass
class Site:
    """One site's files in `root`: database, media, originals and its own instance folder."""

    root: Path

    @property
    def instance(self) -> Path:
        return self.root / "instance"

    @property
    def settings(self) -> dict[str, str]:
        return {"INSTANCE": str(self.instance), "DATABASE": str(self.root / "keting.sqlite3"),
                "MEDIA_ROOT": str(self.root / "media"),
                "ORIGINALS_DIR": str(self.root / "originals"), "FRONT_SERVER": "auto",
                "DEVICE_SEEN_INTERVAL": "0"}

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, **{f"KETING_{k}": v for k, v in self.settings.items()},
                **extra}

    def keting(self, *args: str) -> subprocess.CompletedProcess:
        """`keting ARGS` on this site, in a subprocess, as an operator runs it."""
        return subprocess.run([sys.executable, "-c", LAUNCHER, *args], cwd=REPO, env=self.env(),
                              capture_output=True, text=True, timeout=180, check=False)

    def serving(self):
        """`keting serve` on this site on a free loopback port (tests/support/http_server.py); yields its URL."""
        return keting_serve(self.settings)


@pytest.fixture
def root():
    """A folder the test's sites live in (enterable by others, as a server's folders are)."""
    folder = Path(tempfile.mkdtemp(prefix="keting-backup-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def invoke(site: Site, monkeypatch, *args: str):
    """`keting ARGS` on a site in this process (CliRunner), its instance folder redirected."""
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(site.instance))
    env = {f"KETING_{k}": v for k, v in site.settings.items()}
    return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)


def test_keting_backup_and_restore_say_what_they_did_and_refuse_clearly(root, monkeypatch):
    old, new = Site(root / "old"), Site(root / "new")
    done = invoke(old, monkeypatch, "backup", str(root / "b"))
    assert done.exit_code == 0, done.output
    assert f"备份完成：{root / 'b'}" in done.output and "0 个媒体文件" in done.output
    assert "2 个实例密钥" in done.output
    assert f"数据库 {old.settings['DATABASE']} 里还没有任何内容" in done.output  # a new site: said, not refused

    again = invoke(old, monkeypatch, "backup", str(root / "b"))
    assert again.exit_code == 1 and f"备份目录 {root / 'b'} 已存在且不是空的" in again.output

    restored = invoke(new, monkeypatch, "restore", str(root / "b"))
    assert restored.exit_code == 0, restored.output
    assert f"数据库 → {new.settings['DATABASE']}" in restored.output and "现在可以启动 keting serve" in restored.output
    assert (new.instance / "media_signing_key").read_text() == (old.instance / "media_signing_key").read_text()

    with create_app(new.settings).app_context():  # (instance folder still redirected to the new site's)
        get_db().execute("INSERT INTO organisations (name, kind, created_at) VALUES ('东风社区', 'community', 'x')")
    refused = invoke(new, monkeypatch, "restore", str(root / "b"))
    assert refused.exit_code == 1 and "--force" in refused.output and "organisations" in refused.output
    forced = invoke(new, monkeypatch, "restore", "--force", "--verify", str(root / "b"))
    assert forced.exit_code == 0, forced.output

    not_one = invoke(new, monkeypatch, "restore", str(root))
    assert not_one.exit_code == 1 and "不是 Keting 备份" in not_one.output


def test_keting_backup_warns_when_a_setting_gives_a_key(root, monkeypatch):
    site = Site(root / "site")
    monkeypatch.setenv("KETING_SECRET_KEY", "set-by-the-environment")
    done = invoke(site, monkeypatch, "backup", str(root / "b"))
    assert done.exit_code == 0, done.output
    assert "1 个实例密钥" in done.output and "KETING_SECRET_KEY" in done.output
    assert not (root / "b" / "instance" / "secret_key").exists()


def keep_writing(api: ServerApi, item_id: int, stop: threading.Event, answers: list) -> None:
    """A box saving its resume point as fast as the server answers (each one a database write):
    (when it was answered, True or the error)."""
    position = 0.0
    while not stop.is_set():
        position = (position + 0.1) % 3
        try:
            answers.append((time.monotonic(), api.save_position(item_id, position)["position_s"] is not None))
        except Exception as error:  # noqa: BLE001 - every failure counts against the server
            answers.append((time.monotonic(), error))


@pytest.mark.slow
def test_a_live_server_backed_up_while_it_serves_is_restored_on_a_fresh_site_and_plays(root, monkeypatch):
    old, new = Site(root / "old"), Site(root / "new")
    clip = lecture_clip(root / "lesson.mp4", seconds=4)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(old.instance))
    imported = CliRunner(env={f"KETING_{k}": v for k, v in old.settings.items()}).invoke(
        main, ["import", str(clip), "--board", "dangke", "--title", "备份演练党课", "--publish"],
        catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    with create_app(old.settings).app_context():
        db = get_db()
        item_id = db.execute("SELECT id FROM items WHERE title = '备份演练党课'").fetchone()[0]
        token = pair_device(db, datetime.now(UTC))[1]
    signing_key = (old.instance / "media_signing_key").read_text()

    with old.serving() as old_url:
        old_api = ServerApi(old_url, token)
        old_hls = old_api.item(item_id)["hls_url"]
        assert "/media/s/" in old_hls  # a signed URL, made with the old site's key
        stop, answers = threading.Event(), []
        writer = threading.Thread(target=keep_writing, args=(old_api, item_id, stop, answers))
        writer.start()
        try:
            wait_for(lambda: len(answers) >= 3, 10, "the box writing before the backup starts")
            started = time.monotonic()
            backup = old.keting("backup", str(root / "backup"))
            ended = time.monotonic()
            wait_for(lambda: sum(at > ended for at, _ in answers) >= 3, 10, "the box writing after it ends")
        finally:
            stop.set()
            writer.join(timeout=30)
        assert backup.returncode == 0, backup.stderr
        assert "备份完成" in backup.stdout
        assert all(ok is True for _, ok in answers), [ok for _, ok in answers if ok is not True][:3]
        assert sum(started < at < ended for at, _ in answers) >= 5  # the server kept writing during the backup
        # What the transcode, the channels and the guide wrote is readable by the front's workers (www-data).
        # The first reconcile draws every channel's slate with ffmpeg before it writes the guide: on a machine
        # busy with other tests (the slow phase runs two at a time) that can take well over 30 s.
        wait_for(lambda: (old.root / "media" / "guide" / "epg.xml").is_file(), 120, "the guide files")
        assert unreadable_by_others(old.root / "media") == []

    manifest = json.loads((root / "backup" / "manifest.json").read_text("utf-8"))
    assert not any(entry["path"].startswith("live/") for entry in manifest["media"])
    assert manifest["missing_media"] == []
    shutil.rmtree(old.root / "media")  # the old machine is gone: the new site has only the backup

    restored = new.keting("restore", str(root / "backup"))
    assert restored.returncode == 0, restored.stderr
    assert "恢复完成" in restored.stdout
    assert (new.instance / "media_signing_key").read_text() == signing_key
    assert (new.instance / "media_signing_key").stat().st_mode & 0o777 == 0o600
    refused = new.keting("restore", str(root / "backup"))
    assert refused.returncode == 1 and "--force" in refused.stderr

    with new.serving() as new_url:
        new_api = ServerApi(new_url, token)  # the box's token came back with the database
        detail = new_api.item(item_id)
        assert detail["title"] == "备份演练党课"
        assert unsigned(detail["hls_url"]).removeprefix(new_url) == unsigned(old_hls).removeprefix(old_url)
        kinds = {stream["codec_type"]: stream["codec_name"] for stream in streams(detail["hls_url"])}
        assert kinds == {"video": "h264", "audio": "aac"}
        assert play_until_pictures(detail["hls_url"]) >= 10
        # A URL the old site handed out before the backup still verifies: the same media signing key.
        old_signed_here = new_url + old_hls.removeprefix(old_url)
        with urllib.request.urlopen(old_signed_here, timeout=10) as answer:
            assert answer.read().startswith(b"#EXTM3U")
            # Checked by nginx's secure_link when `keting serve` put nginx in front (FRONT_SERVER=auto), else by Flask.
            assert answer.headers.get("Server", "").startswith("nginx") == NGINX_INSTALLED
        assert play_until_pictures(old_signed_here) >= 10
