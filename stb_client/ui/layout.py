"""Layout decisions the reducer and the renderer share: the Home grid and article pages.

Sizes are for a 1920x1080 frame (scaled for 720p TVs): body text 40 px with
1.3x line spacing inside the 5% safe area, so an article page holds what an
elderly reader can take in without scrolling.
"""

from __future__ import annotations

from collections.abc import Sequence

from stb_client.ui.model import Board

WIDTH, HEIGHT = 1920, 1080
SAFE_X, SAFE_Y = 96, 54
BODY_PX = 40
LINE_SPACING = 1.3
TITLE_PX = 64
ARTICLE_TOP = SAFE_Y + 150  # below the title
ARTICLE_BOTTOM = HEIGHT - SAFE_Y - 90  # above the page footer
CHARS_PER_LINE = (WIDTH - 2 * SAFE_X) // BODY_PX
LINES_PER_PAGE = int((ARTICLE_BOTTOM - ARTICLE_TOP) // (BODY_PX * LINE_SPACING))


def home_tiles(boards: Sequence[Board]) -> list[Board | None]:
    """The Home grid: boards in remote order (1..9, then 0), then the live TV tile (None)."""
    return [*sorted(boards, key=lambda b: b.key if b.key else 10), None]


def _width(char: str) -> float:
    return 0.55 if ord(char) < 0x2E80 else 1.0  # Latin letters and digits are about half a Chinese character


# Punctuation that may not begin a line (the kinsoku rule of Chinese typesetting).
NO_LINE_START = set("。，、；：！？）」』》〉”’…—,.;:!?)")


def wrap(paragraph: str, limit: int = CHARS_PER_LINE) -> list[str]:
    """Break a paragraph into lines of at most `limit` Chinese-character widths; closing
    punctuation stays at the end of its line rather than start the next one."""
    lines, line, used = [], "", 0.0
    for char in paragraph:
        if used + _width(char) > limit and char not in NO_LINE_START:
            lines.append(line)
            line, used = "", 0.0
        line += char
        used += _width(char)
    if line or not lines:
        lines.append(line)
    return lines


def article_pages(text: str, per_page: int = LINES_PER_PAGE) -> list[list[str]]:
    """An article's plain text as pages of lines; paragraphs are separated by an empty line."""
    lines: list[str] = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if paragraph:
            if lines:
                lines.append("")
            lines += wrap(" ".join(paragraph.split()))
    return [lines[i:i + per_page] for i in range(0, len(lines), per_page)] or [[]]
