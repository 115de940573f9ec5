"""The client's heap gives freed picture buffers back to the system (glibc's mmap threshold kept fixed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

# In a process of its own (mallopt is for the whole process): frees a 1.4 MiB block (a 720p frame), which makes
# glibc raise its threshold, then holds 40 more and frees all but the last (a heap's top cannot shrink past a block
# in use); prints the resident memory (kB) they leave behind.
PROGRAM = """
import ctypes, sys
from stb_client.hardware.heap import keep_heap_small
fixed = keep_heap_small() if sys.argv[1] == "fixed" else False
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
FRAME = 1280 * 720 * 3 // 2
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS:")).split()[1])
libc.free(libc.malloc(FRAME))
before = rss()
blocks = [libc.malloc(FRAME) for _ in range(40)]
for block in blocks:
    ctypes.memset(block, 1, FRAME)
for block in blocks[:-1]:
    libc.free(block)
print(fixed, rss() - before)
"""


def left_behind(mode: str) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", PROGRAM, mode], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"}).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap")
def test_freed_frame_buffers_go_back_to_the_system_where_glibc_would_keep_them():
    fixed, kept_kb = left_behind("fixed")
    control, control_kb = left_behind("default")
    assert (fixed, control) == ("True", "False")
    frames_kb = 39 * 1350
    assert control_kb > frames_kb * 0.9, "glibc's own policy keeps the freed frames (the case this module is for)"
    assert kept_kb < 4 * 1350, "with the threshold fixed, only the frame still held stays resident"
