"""Board cards drawn by ffmpeg: the picture for audio-only lectures and demo clips.

Text goes to drawtext through files: no escaping of colons, quotes or % in
titles, while %{pts} still expands for an on-screen clock.
"""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from .channels_yaml import Board

CARD_WIDTH, CARD_HEIGHT = 1280, 720


def board_card(board: Board, lines: list[tuple[str, int, str, str]], seconds: float, fps: int,
               font: str, scratch: Path):
    """A video stream of the board's colour with `lines` of (text, size, x, y) in white."""
    colour = "0x" + board.colour.lstrip("#")
    video = ffmpeg.input(f"color=c={colour}:s={CARD_WIDTH}x{CARD_HEIGHT}:r={fps}:d={seconds}", f="lavfi")
    for index, (content, size, x, y) in enumerate(lines):
        text_file = scratch / f"card-line-{index}.txt"
        text_file.write_text(content, encoding="utf-8")
        video = video.drawtext(fontfile=font, textfile=str(text_file), fontsize=size, fontcolor="white",
                               x=x, y=y, shadowcolor="black@0.6", shadowx=3, shadowy=3)
    return video


def title_lines(board_name: str, title: str, speaker: str) -> list[tuple[str, int, str, str]]:
    """The standard card layout: board top left, title centred, speaker below it."""
    return [(board_name, 44, "90", "70"), (title, 64, "(w-tw)/2", "h*0.40"), (speaker, 44, "(w-tw)/2", "h*0.56")]
