"""Finding processes and waiting for conditions, with deadlines instead of sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], deadline_s: float = 30.0, what: str = "condition") -> T:
    """Poll `condition` until it returns something truthy; fail after the deadline."""
    end = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")
        time.sleep(0.05)


def ffmpeg_pids(marker: str) -> list[int]:
    """PIDs of running ffmpeg processes whose command line mentions `marker` (a test's folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split(") ")[-1].split()[0]
        except OSError:
            continue
        if state != "Z" and argv and Path(argv[0].decode()).name == "ffmpeg" and marker.encode() in b" ".join(argv):
            found.append(int(entry.name))
    return found
