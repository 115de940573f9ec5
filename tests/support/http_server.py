"""A real HTTP server on a loopback port, for tests that go over the network."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from werkzeug.serving import make_server


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on host:port now."""
    import socket

    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def serve_in_thread(app) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 at a free port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextlib.contextmanager
def keting_serve(settings: dict[str, str], deadline_s: float = 30.0) -> Iterator[str]:
    """`keting serve` (gunicorn, as in production) in a subprocess on a free loopback port; yields its URL."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    port = free_port()
    env = {**os.environ, **{f"KETING_{k}": str(v) for k, v in settings.items()}, "KETING_PORT": str(port)}
    # The server's log goes beside its database, so a failing test can be read afterwards.
    log = open(Path(settings["DATABASE"]).with_name("keting-serve.log"), "ab")  # noqa: SIM115 - closed below
    server = subprocess.Popen([sys.executable, "-m", "server.cli", "serve"], cwd=Path(__file__).resolve().parents[2],
                              env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        end = time.monotonic() + deadline_s
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > end or server.poll() is not None:
                    raise AssertionError(f"keting serve did not answer on port {port}") from None
                time.sleep(0.05)  # polling the port, bounded by the deadline
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
