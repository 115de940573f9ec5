"""The nginx `keting serve` starts in front, attacked: slow senders, huge chunked bodies, forged forwarding
headers; and it never runs its workers as root."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import urllib.request
from pathlib import Path

import pytest

from server.web.front import worker_user
from tests.support.http_server import keting_serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fronted():
    """keting serve with its nginx (in a folder the web server's user can enter); yields (url, settings)."""
    base = Path(tempfile.mkdtemp(prefix="keting-front-"))
    base.chmod(0o755)
    settings = {"INSTANCE": str(base / "instance"), "DATABASE": str(base / "k.db"),
                "MEDIA_ROOT": str(base / "media"), "FRONT_SERVER": "nginx", "METRICS_ALLOWED": "10.9.9.9/32",
                "RECONCILE_INTERVAL": "3600", "THREADS": "4"}
    try:
        with keting_serve(settings) as url:
            yield url, settings
    finally:
        shutil.rmtree(base, ignore_errors=True)


def get(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_nginx_answers_in_front(fronted):
    url, _ = fronted
    status, headers, _ = get(f"{url}/media/channels/1/logo.png")
    assert headers.get("Server", "").startswith("nginx")


def test_slow_senders_do_not_hold_the_apps_threads(fronted):
    url, _ = fronted
    port = int(url.rsplit(":", 1)[1])
    slow = []
    try:
        for _ in range(12):  # more than the app's 4 threads
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"POST /api/v1/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n{")
            slow.append(conn)
        status, _, _ = get(f"{url}/healthz", timeout=5)  # unbuffered, the app's threads would all be waiting
        assert status in (200, 503)
    finally:
        for conn in slow:
            conn.close()


def test_a_huge_chunked_body_is_refused_by_nginx_before_the_app_reads_it(fronted):
    url, _ = fronted
    port = int(url.rsplit(":", 1)[1])
    chunk = b"%x\r\n%s\r\n" % (1024 * 1024, b"x" * 1024 * 1024)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"POST /api/v1/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        answer = b""
        try:
            for _ in range(40):  # 40 MiB offered; nginx stops at its 21 MiB limit
                conn.sendall(chunk)
        except OSError:
            pass  # nginx closed the connection after its answer
        try:
            while b"\r\n\r\n" not in answer:
                data = conn.recv(4096)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_forwarding_headers_a_client_forges_are_not_believed(fronted):
    url, _ = fronted
    status, _, _ = get(f"{url}/metrics", {"X-Forwarded-For": "10.9.9.9"})
    assert status == 403  # nginx put the real address (loopback, not allowed here) in its place
    _, _, body = get(f"{url}/channels.m3u", {"X-Forwarded-Host": "evil.example"})
    assert b"evil.example" not in body and b"127.0.0.1" in body


@pytest.mark.skipif(os.geteuid() != 0, reason="the workers' user is only chosen when nginx starts as root")
def test_nginx_workers_never_run_as_root_even_when_www_data_cannot_reach_the_media(tmp_path):
    hidden = tmp_path / "private"
    (hidden / "media").mkdir(parents=True)
    hidden.chmod(0o700)
    assert worker_user(hidden / "media") == (None, {"user": "www-data", "path": str(hidden / "media")})
    hidden.chmod(0o755)
    tmp_path.chmod(0o755)
    opened = [p for p in [*tmp_path.parents] if not os.stat(p).st_mode & 0o001]
    if not opened:  # every folder above is enterable: www-data reads the media
        assert worker_user(hidden / "media") == ("www-data", None)


def test_a_tus_upload_streams_through_the_front_and_a_cut_keeps_what_arrived(fronted):
    from datetime import UTC, datetime

    from server import create_app
    from server.web.context import current_lineup, get_db
    from tests.conftest import editor_token
    from tests.server.ingest.test_uploads import cut_patch, metadata

    url, settings = fronted
    app = create_app(dict(settings))
    with app.app_context():
        editor = {"Authorization": f"Bearer {editor_token(get_db(), current_lineup(), datetime.now(UTC))}",
                  "Tus-Resumable": "1.0.0"}
    body = os.urandom(3 * 1024 * 1024)  # far more than nginx buffers in memory
    create = urllib.request.Request(f"{url}/api/v1/uploads", method="POST", headers={
        **editor, "Upload-Length": str(len(body)), "Upload-Metadata": metadata(board="dangke", title="党课")})
    with urllib.request.urlopen(create, timeout=10) as answer:
        assert answer.headers["Server"].startswith("nginx")
        location = answer.headers["Location"].removeprefix(url)
    sent = 2 * 1024 * 1024
    cut_patch(url, location, editor, body, sent)

    def offset() -> int:
        head = urllib.request.Request(f"{url}{location}", method="HEAD", headers=editor)
        with urllib.request.urlopen(head, timeout=10) as answer:
            return int(answer.headers["Upload-Offset"])
    from tests.support.processes import wait_for

    kept = wait_for(lambda: (o := offset()) > sent - 256 * 1024 and o, 10, "the bytes that arrived to be kept")
    assert kept <= sent  # streamed as it came: a buffering proxy would have kept nothing of a cut request


def test_a_port_another_server_holds_stops_keting_serve_with_a_clear_message(tmp_path):
    import subprocess
    import sys

    from tests.support.http_server import free_port

    base = Path(tempfile.mkdtemp(prefix="keting-front-"))
    base.chmod(0o755)
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        env = {**os.environ, "KETING_INSTANCE": str(base / "instance"), "KETING_MEDIA_ROOT": str(base / "media"),
               "KETING_FRONT_SERVER": "nginx", "KETING_PORT": str(port)}
        try:
            done = subprocess.run([sys.executable, "-m", "server.cli", "serve"], env=env, capture_output=True,
                                  text=True, timeout=60, cwd=Path(__file__).resolve().parents[3], check=False)
        finally:
            shutil.rmtree(base, ignore_errors=True)
    assert done.returncode != 0
    assert f"127.0.0.1:{port} 已被别的程序占用" in done.stderr
