"""Text people type (titles, names, descriptions): refused with control characters, stripped of them on the way out.

A C0 control character in a title broke /epg.xml for every player (XML 1.0
cannot carry it) and can break an M3U line. Input is checked where it enters
(items, notices, live events, accounts, organisations, uploads); the XML and
M3U writers strip what older rows may still hold.
"""

from __future__ import annotations

import re

from server.core.errors import UserError

# C0 controls but tab, newline and carriage return; DEL; the C1 block; and the two code points XML 1.0 forbids.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def checked(value: str, field: str) -> str:
    """`value` unchanged when it holds no control character; UserError (400) naming the field otherwise."""
    found = _CONTROLS.search(value)
    if found:
        raise UserError("text.control_character", field=field, code=f"U+{ord(found.group()):04X}")
    return value


def without_controls(value: str) -> str:
    """`value` with every control character removed (for writers of XML, M3U and other line formats)."""
    return _CONTROLS.sub("", value)
