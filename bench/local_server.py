"""Starting `keting serve` on a free loopback port for a benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback TCP port that is free at the moment of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(settings: dict[str, str], deadline_s: float = 20.0) -> tuple[subprocess.Popen, int]:
    """`keting serve` with KETING_<name> settings; returns the process once its port answers."""
    port = free_port()
    # No clock slates drawn in the background: they would take CPU from what is measured.
    env = {**os.environ, "KETING_SLATE_CLOCK_SECONDS": "0", **{f"KETING_{k}": str(v) for k, v in settings.items()},
           "KETING_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "server.cli", "serve"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, port
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit(f"keting serve did not answer on port {port} within {deadline_s} s")
