"""What went wrong in an ffmpeg run, as one of a few known reasons a person can act on.

ffmpeg's own output can quote its input (a URL with a stream key, the bytes of
a file a hostile playlist pointed at), so it is never stored or shown: it goes
to the server's log, and the database and the API only ever hold a reason
code from REASONS, rendered through the message catalogue (ffmpeg.<reason>).
"""

from __future__ import annotations

import re

# Checked in order: the first pattern found in ffmpeg's output names the reason.
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("not_allowed", r"not on whitelist|Protocol not found|protocol_whitelist"),
    ("refused", r"Connection refused"),
    ("timed_out", r"timed? ?out|Resource temporarily unavailable"),
    ("unreachable", r"Network is unreachable|No route to host|Name or service not known|"
                    r"Failed to resolve hostname|Temporary failure in name resolution"),
    ("denied", r"Server returned 40[13]|Unauthorized|Forbidden|Permission denied|authentication failed"),
    ("not_found", r"Server returned 404|No such file or directory|Stream not found|not found"),
    ("no_stream", r"does not contain any stream|matches no streams"),
    ("bad_data", r"Invalid data found|moov atom not found|Error while decoding|corrupt|Invalid argument|End of file"),
    ("codec", r"Decoder .* not found|codec not currently supported|Unsupported codec|Unknown encoder"),
    ("disk", r"No space left on device|Disk quota exceeded"),
)
_COMPILED = tuple((reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in _PATTERNS)
REASONS = ("killed", *(reason for reason, _ in _PATTERNS), "unknown")


def reason_for(stderr: str, returncode: int | None = None) -> str:
    """The known reason behind an ffmpeg failure: a code from REASONS, never ffmpeg's own words."""
    if returncode is not None and returncode < 0:
        return "killed"  # a signal: the machine (or a stop), not the input
    for reason, pattern in _COMPILED:
        if pattern.search(stderr or ""):
            return reason
    return "unknown"


def message_id(reason: str | None) -> str:
    """The catalogue message for a stored reason; anything else (older rows held raw text) is "unknown"."""
    return f"ffmpeg.{reason if reason in REASONS else 'unknown'}"
