"""Children (ffmpeg) that never outlive the server.

PR_SET_PDEATHSIG asks Linux to kill the child when the thread that started
it goes away: a server killed outright (kill -9, OOM) leaves no ffmpeg
encoding into a folder nobody will ever clean up.
"""

from __future__ import annotations

import ctypes
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """subprocess preexec_fn: runs in the child between fork and exec."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def stop_with_parent() -> None:
    """subprocess preexec_fn for a child with children of its own (nginx): SIGTERM, so it can end them
    before it goes (SIGKILL would leave its workers holding the port)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
