"""Finding the CJK font the TV needs (Noto Sans CJK from Debian's fonts-noto-cjk)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

CANDIDATES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")


class FontMissing(RuntimeError):
    """No font that draws Chinese: install fonts-noto-cjk or set KETING_STB_FONT."""


def cjk_font() -> str:
    """The font file to draw Chinese with: KETING_STB_FONT, else fontconfig's Noto Sans CJK SC."""
    configured = os.environ.get("KETING_STB_FONT", "")
    if configured:
        if not Path(configured).is_file():
            raise FontMissing(f"KETING_STB_FONT={configured} is not a file")
        return configured
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK SC"], capture_output=True, text=True,
                               timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    for path in (found, *CANDIDATES):
        if path and "CJK" in path and Path(path).is_file():
            return path
    raise FontMissing("no Noto Sans CJK font: sudo apt-get install fonts-noto-cjk")
