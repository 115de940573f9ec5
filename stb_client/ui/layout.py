"""Layout decisions the reducer and the renderer share: the Home grid and article pages.

Sizes are for a 1920x1080 frame (scaled for 720p TVs): body text 40 px with
1.3x line spacing inside the 5% safe area, so an article page holds what an
elderly reader can take in without scrolling.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

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


def _paragraphs(text: str) -> list[tuple[str, list[int]]]:
    """The paragraphs of an article's text (blank-line separated), each with its runs of whitespace made one
    space, and for each of its characters the offset in `text` it came from."""
    found, start = [], 0
    for part in text.split("\n\n"):
        chars, offsets = [], []
        for word in re.finditer(r"\S+", part):
            if chars:
                chars.append(" ")
                offsets.append(start + word.start() - 1)
            chars += word.group(0)
            offsets += range(start + word.start(), start + word.end())
        if chars:
            found.append(("".join(chars), offsets))
        start += len(part) + 2
    return found


@lru_cache(maxsize=8)
def _lines(text: str) -> tuple[tuple[str, int], ...]:
    """The article's lines with the offset in `text` each starts at (-1 for the empty line between paragraphs)."""
    lines: list[tuple[str, int]] = []
    for paragraph, offsets in _paragraphs(text):
        if lines:
            lines.append(("", -1))
        used = 0
        for line in wrap(paragraph):
            lines.append((line, offsets[used] if used < len(offsets) else offsets[-1]))
            used += len(line)
    return tuple(lines)


@lru_cache(maxsize=8)
def _pages(text: str, per_page: int) -> tuple[tuple[tuple[str, int], ...], ...]:
    """The lines in pages; a page never starts with the empty line between two paragraphs."""
    pages: list[list[tuple[str, int]]] = [[]]
    for line, offset in _lines(text):
        if len(pages[-1]) == per_page:
            pages.append([])
        if offset >= 0 or pages[-1]:
            pages[-1].append((line, offset))
    return tuple(tuple(page) for page in pages)


def article_pages(text: str, per_page: int = LINES_PER_PAGE) -> list[list[str]]:
    """An article's plain text as pages of lines; paragraphs are separated by an empty line."""
    return [[line for line, _ in page] for page in _pages(text, per_page)]


def page_lines(text: str, page: int, per_page: int = LINES_PER_PAGE) -> list[tuple[str, int]]:
    """The lines of one page of `article_pages`, each with the offset in `text` it starts at (-1: the empty
    line between paragraphs)."""
    pages = _pages(text, per_page)
    return list(pages[page]) if 0 <= page < len(pages) else []


def page_starts(text: str, per_page: int = LINES_PER_PAGE) -> list[int]:
    """For each page of `article_pages`, the offset in `text` of its first character (the reading's marks are
    offsets in the same text)."""
    return [page[0][1] if page else 0 for page in _pages(text, per_page)]
