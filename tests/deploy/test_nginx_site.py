"""deploy/nginx/keting.conf is what `keting nginx-config` prints for HTTPS, and real nginx runs it:
HTTP goes to HTTPS, items' files only through signed URLs, playlists gzipped, uploads streamed through."""

from __future__ import annotations

import gzip
import http.client
import shutil
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from server.core.media_signing import MediaSigner, expiry
from server.web.front import find_nginx
from server.web.nginx_site import site_config, standalone_config
from tests.support.http_server import free_port, is_listening
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "nginx" / "keting.conf"
PLACEHOLDER_KEY = "REPLACE-WITH-THE-KEY-FROM-keting-nginx-config"
EXAMPLE_ARGS = {
    "media_root": Path("/srv/keting/media"), "signing_key": PLACEHOLDER_KEY, "server_name": "tv.example.org",
    "upstream": "127.0.0.1:8080", "guide_files": True,
    "tls": ("/etc/letsencrypt/live/tv.example.org/fullchain.pem", "/etc/letsencrypt/live/tv.example.org/privkey.pem"),
}
HEADER = ("# Keting behind nginx with HTTPS: what `keting nginx-config --server-name tv.example.org\n"
          "# --tls-cert ... --tls-key ...` prints (with your media signing key). Generate yours; do not edit\n"
          "# this copy by hand: tests/deploy/test_nginx_site.py checks that it matches the generator.\n")


def test_the_example_is_exactly_what_the_generator_prints():
    assert EXAMPLE.read_text() == HEADER + site_config(**EXAMPLE_ARGS)


def test_the_example_has_what_a_site_needs():
    text = EXAMPLE.read_text()
    for needed in ("return 301 https://", "ssl_certificate ", "client_max_body_size 0", "proxy_request_buffering off",
                   "location ^~ /api/v1/uploads", "client_max_body_size 21m", "proxy_http_version 1.1",
                   "X-Forwarded-For $remote_addr",
                   "gzip_types application/vnd.apple.mpegurl application/xml", "secure_link ",
                   'add_header Cache-Control "public, max-age=3600"', "location = /epg.xml"):
        assert needed in text, needed


@pytest.fixture
def https_site():
    """Real nginx running the HTTPS configuration on loopback ports with a self-signed certificate."""
    base = Path(tempfile.mkdtemp(prefix="keting-tls-"))
    base.chmod(0o755)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-keyout", str(base / "key.pem"), "-out", str(base / "cert.pem")],
                   check=True, capture_output=True)
    media = base / "media"
    (media / "live" / "1").mkdir(parents=True)
    (media / "vod" / "7-Ab" / "720p").mkdir(parents=True)
    (media / "live" / "1" / "720p.m3u8").write_text("#EXTM3U\n" + "#EXTINF:2.000,\n/media/x.ts\n" * 200)
    (media / "vod" / "7-Ab" / "720p" / "seg_00000.ts").write_bytes(b"G" * 188 * 10)
    for path in [base, *base.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    http_port, https_port = free_port(), free_port()
    key = "k" * 40
    site = site_config(media_root=media, signing_key=key, server_name="localhost", upstream="127.0.0.1:9",
                       tls=(str(base / "cert.pem"), str(base / "key.pem")),
                       tls_ports=(f"127.0.0.1:{http_port}", f"127.0.0.1:{https_port}"))
    state = base / "nginx"
    state.mkdir()
    (state / "nginx.conf").write_text(standalone_config(site, state))
    process = subprocess.Popen([find_nginx("nginx"), "-c", str(state / "nginx.conf"), "-p", str(state), "-e",
                                str(state / "error.log")], stderr=subprocess.PIPE)
    try:
        wait_for(lambda: is_listening(https_port) or process.poll() is not None, 10, "nginx to listen")
        assert process.poll() is None, (state / "error.log").read_text()
        yield http_port, https_port, key
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def _get(port: int, path: str, tls: bool, headers: dict | None = None) -> http.client.HTTPResponse:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # our own self-signed certificate
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": "localhost", **(headers or {})})
    return connection.getresponse()


def test_real_nginx_sends_http_to_https_and_serves_signed_media_gzipped_playlists(https_site):
    http_port, https_port, key = https_site
    moved = _get(http_port, "/live/1/720p.m3u8?x=1", tls=False)
    assert moved.status == 301 and moved.getheader("Location") == "https://localhost/live/1/720p.m3u8?x=1"
    playlist = _get(https_port, "/live/1/720p.m3u8", tls=True, headers={"Accept-Encoding": "gzip"})
    assert playlist.status == 200 and playlist.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(playlist.read()).startswith(b"#EXTM3U")
    signed = "/media/" + MediaSigner(key).path("vod/7-Ab/720p/seg_00000.ts", expiry(time.time(), 3600))
    assert _get(https_port, signed, tls=True).status == 200
    assert _get(https_port, "/media/vod/7-Ab/720p/seg_00000.ts", tls=True).status == 403


@pytest.mark.parametrize("media_path", ["/m+/", "/media/.*/", "media/", "/me dia/"])
def test_a_media_path_that_would_change_nginxs_patterns_is_refused(media_path):
    with pytest.raises(ValueError, match="media path"):
        site_config(media_root=Path("/srv/keting/media"), signing_key="k" * 40, media_path=media_path)
