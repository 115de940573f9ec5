"""The C heap of a client that runs for months: decoder buffers go back to the system when a channel changes.

glibc raises its mmap threshold each time a large block is freed, up to 32 MiB, so after a few channel changes
the decoders' picture buffers (1.4 MiB a 720p frame) come from the heap, and a freed heap stays resident: the
client with its spare player grew from 167 to 250-320 MiB over 40 channel changes (measured, the growth stopping
there). A fixed threshold keeps such buffers mapped on their own and unmapped when freed: 163-184 MiB over 30
changes, at no measured CPU cost while watching (docs/architecture.md, "Measured"). malloc_trim(0) after the 40
changes gave back the same memory, which confirms the cause.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, kept from rising
log = logging.getLogger(__name__)


def keep_heap_small() -> bool:
    """Fix glibc's mmap threshold for this process (before libVLC starts); False where it is not glibc, or where
    the operator set MALLOC_MMAP_THRESHOLD_ (theirs holds)."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt, their own heap policy
        log.info("no glibc mallopt: the heap keeps its own policy")
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES) == 1
