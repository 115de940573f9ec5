"""Real nginx with the configuration Keting generates: items' files only through signed, unexpired URLs."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from server.core.media_signing import MediaSigner, expiry
from server.web.nginx_site import site_config, standalone_config
from tests.support.http_server import free_port, is_listening
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
KEY = "k" * 64
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture(scope="module")
def nginx():
    """nginx on a loopback port serving a media folder readable by its worker (not under pytest's 0700 folders)."""
    base = Path(tempfile.mkdtemp(prefix="keting-nginx-"))
    base.chmod(0o755)
    media = base / "media"
    for folder in ("vod/7-Xq3/720p", "subtitles/7", "channels/1", "live/1"):
        (media / folder).mkdir(parents=True)
    (media / "vod/7-Xq3/master.m3u8").write_text("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p/index.m3u8\n")
    (media / "vod/7-Xq3/720p/seg_00000.ts").write_bytes(b"G" * 188)
    (media / "subtitles/7/zh.vtt").write_text("WEBVTT\n")
    (media / "channels/1/logo.png").write_bytes(b"\x89PNG")
    (media / "live/1/720p.m3u8").write_text("#EXTM3U\n")
    for path in [base, *base.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    port = free_port()
    state = base / "nginx"
    state.mkdir()
    conf = state / "nginx.conf"
    conf.write_text(standalone_config(site_config(media_root=media, signing_key=KEY, listen=f"127.0.0.1:{port}",
                                                  upstream="127.0.0.1:9"), state))
    process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(state)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        wait_for(lambda: is_listening(port) or process.poll() is not None, 10, "nginx to listen")
        assert process.poll() is None, process.stderr.read().decode()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def signed(path: str, lifetime_s: int = 3600, key: str = KEY) -> str:
    return "/media/" + MediaSigner(key).path(path, expiry(time.time(), lifetime_s))


def test_items_files_are_refused_without_a_signature(nginx):
    assert status(f"{nginx}/media/vod/7-Xq3/master.m3u8") == 403
    assert status(f"{nginx}/media/vod/7-Xq3/720p/seg_00000.ts") == 403
    assert status(f"{nginx}/media/subtitles/7/zh.vtt") == 403


def test_a_signed_prefix_opens_the_whole_item_folder_and_nothing_else(nginx):
    master = signed("vod/7-Xq3/master.m3u8")
    with urllib.request.urlopen(f"{nginx}{master}", timeout=10) as answer:
        assert answer.headers["Content-Type"] == "application/vnd.apple.mpegurl"
        variant = answer.read().decode().splitlines()[-1]
    # The player resolves the master's relative URI under the same signed prefix.
    assert status(f"{nginx}{master.rsplit('/', 1)[0]}/{variant}".replace("index.m3u8", "seg_00000.ts")) == 200
    assert status(f"{nginx}{master.replace('vod/7-Xq3/', 'vod/8-zzz/')}") == 403  # another item: refused
    assert status(f"{nginx}{signed('subtitles/7/zh.vtt')}") == 200


def test_a_tampered_wrongly_keyed_or_expired_signature_is_refused(nginx):
    assert status(f"{nginx}{signed('vod/7-Xq3/master.m3u8', key='another-key')}") == 403
    parts = signed("vod/7-Xq3/master.m3u8").split("/")
    parts[3] = str(int(parts[3]) + 3600)  # a later expiry than was signed
    assert status(f"{nginx}{'/'.join(parts)}") == 403
    stale = MediaSigner(KEY).path("vod/7-Xq3/master.m3u8", int(time.time()) - 60)
    assert status(f"{nginx}/media/{stale}") == 410


def test_public_media_and_written_channel_playlists_need_no_signature(nginx):
    assert status(f"{nginx}/media/channels/1/logo.png") == 200
    assert status(f"{nginx}/live/1/720p.m3u8") == 200
    assert status(f"{nginx}/media/../media/vod/7-Xq3/master.m3u8") == 403


def test_the_server_and_nginx_agree_on_signatures(app, nginx, clock):
    """What Flask checks in development is what nginx checks in production (the same key, the same paths)."""
    app.config["MEDIA_SIGNING_KEY"] = KEY
    path = signed("vod/7-Xq3/master.m3u8")
    assert MediaSigner(app.config["MEDIA_SIGNING_KEY"]).check(path.removeprefix("/media/"), time.time())
    assert status(f"{nginx}{path}") == 200


def test_keting_nginx_config_prints_a_block_nginx_accepts(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from server.cli import main

    monkeypatch.setenv("KETING_DATABASE", str(tmp_path / "k.db"))
    monkeypatch.setenv("KETING_MEDIA_ROOT", str(tmp_path / "media"))
    monkeypatch.setenv("KETING_MEDIA_SIGNING_KEY", KEY)
    result = CliRunner().invoke(main, ["nginx-config", "--listen", f"127.0.0.1:{free_port()}",
                                       "--server-name", "tv.example.org"])
    assert result.exit_code == 0 and f'secure_link_md5 "$ks_expires$ks_root {KEY}"' in result.output
    state = tmp_path / "nginx"
    state.mkdir()
    conf = state / "nginx.conf"
    conf.write_text(standalone_config(result.output, state))
    checked = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(state)], capture_output=True, text=True,
                             timeout=30, check=False)
    assert checked.returncode == 0, checked.stderr


def test_nothing_can_break_out_of_the_generated_configuration():
    with pytest.raises(ValueError):
        site_config(media_root=Path("/srv/media"), signing_key='x"; include /etc/passwd; #', listen="80")
    with pytest.raises(ValueError):
        site_config(media_root=Path("/srv/media"), signing_key=KEY, server_name="a { }")
