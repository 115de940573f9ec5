"""A live camera for the tests: ffmpeg sends a clip in real time as MPEG-TS over HTTP on a loopback port,
as an encoder on a site's network would (one viewer: the relay)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.support.http_server import free_port


@contextlib.contextmanager
def camera(clip: Path) -> Iterator[str]:
    """Serve `clip` paced at its own speed to the first client; yield its URL. The sender waits for the client."""
    url = f"http://127.0.0.1:{free_port()}/camera.ts"
    sender = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", str(clip),
                               "-c", "copy", "-f", "mpegts", "-listen", "1", url],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield url
    finally:
        sender.kill()
        sender.wait(timeout=10)


@contextlib.contextmanager
def hls_camera(clip: Path, folder: Path) -> Iterator[str]:
    """An encoder publishing `clip`, looped in real time, as live HLS over HTTP on a loopback port: any number
    of clients may connect, one after another (a relay restarted by another process reconnects)."""
    import functools
    import http.server
    import threading

    folder.mkdir(parents=True, exist_ok=True)
    sender = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1",
                               "-i", str(clip), "-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                               "-hls_flags", "delete_segments", str(folder / "live.m3u8")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    handler = functools.partial(_QuietFiles, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/live.m3u8"
    finally:
        server.shutdown()
        sender.kill()
        sender.wait(timeout=10)


class _QuietFiles(__import__("http.server").server.SimpleHTTPRequestHandler):
    """Static files without a log line per request."""

    def log_message(self, *args) -> None:
        """Say nothing."""
