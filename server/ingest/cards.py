"""Board cards drawn by ffmpeg (audio-only lectures, demo clips) and the CJK font they need.

Text goes to drawtext through files: no escaping of colons, quotes or % in
titles, while %{pts} still expands for an on-screen clock.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import ffmpeg

from server.core.channels_yaml import Board
from server.core.errors import UserError

CARD_WIDTH, CARD_HEIGHT = 1280, 720


def board_card(board: Board, lines: list[tuple[str, int, str, str]], seconds: float, fps: int,
               font: str, scratch: Path):
    """A video stream of the board's colour with `lines` of (text, size, x, y) in white."""
    return colour_card(board.colour, lines, seconds, fps, font, scratch)


def colour_card(colour: str, lines: list[tuple[str, int, str, str]], seconds: float, fps: int, font: str,
                scratch: Path, size: tuple[int, int] = (CARD_WIDTH, CARD_HEIGHT), prefix: str = "card"):
    """A video stream of one colour (#RRGGBB) with `lines` of (text, size, x, y) in white."""
    video = ffmpeg.input(f"color=c=0x{colour.lstrip('#')}:s={size[0]}x{size[1]}:r={fps}:d={seconds}", f="lavfi")
    for index, (content, font_size, x, y) in enumerate(lines):
        text_file = scratch / f"{prefix}-line-{index}.txt"
        text_file.write_text(content, encoding="utf-8")
        video = video.drawtext(fontfile=font, textfile=str(text_file), fontsize=font_size, fontcolor="white",
                               x=x, y=y, shadowcolor="black@0.6", shadowx=3, shadowy=3)
    return video


def title_lines(board_name: str, title: str, speaker: str) -> list[tuple[str, int, str, str]]:
    """The standard card layout: board top left, title centred, speaker below it."""
    return [(board_name, 44, "90", "70"), (title, 64, "(w-tw)/2", "h*0.40"), (speaker, 44, "(w-tw)/2", "h*0.56")]


def covers_chinese(font_path: str) -> bool:
    """Whether fontconfig reads `font_path` as a font with Simplified Chinese.

    Needed because ffmpeg's drawtext silently falls back to a default font
    when it cannot load the one given, which draws Chinese as empty boxes.
    """
    try:
        scanned = subprocess.run(["fc-scan", "-f", "%{lang}\n", font_path], capture_output=True,
                                 text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    languages = {lang for line in scanned.stdout.splitlines() for lang in line.split("|")}
    return scanned.returncode == 0 and ("zh-cn" in languages or "zh" in languages)


def find_cjk_font(configured: str = "") -> str:
    """Path of a font that draws Chinese: the setting, else Noto Sans CJK SC from fontconfig."""
    if configured:
        if not Path(configured).is_file() or not covers_chinese(configured):
            raise UserError("demo.font_missing", path=configured)
        return configured
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK SC:style=Bold"],
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    # fc-match always answers with some font; only one covering Chinese will do.
    if not found or not Path(found).is_file() or not covers_chinese(found):
        raise UserError("demo.font_missing", path=found or "fc-match")
    return found
