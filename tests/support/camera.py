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
