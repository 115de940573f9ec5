"""Labels fitted with the TV's real font (Noto Sans CJK through pygame's freetype, no window): a text that fits is
never cut, a long title is cut with an ellipsis, and every board's name wraps onto its Home tile whole."""

from __future__ import annotations

import pygame.freetype
import pytest

from server.core.channels_yaml import BOARD_NAME_CHARS, load_lineup
from server.core.settings import PROJECT_ROOT
from stb_client.hardware.fonts import cjk_font
from stb_client.hardware.renderer import fit_lines
from stb_client.ui.model import Board, State
from stb_client.ui.render_model import render


@pytest.fixture(scope="module")
def width_of():
    pygame.freetype.init()
    font = pygame.freetype.Font(cjk_font())
    return lambda size: (lambda text: font.get_rect(text, size=size).width)


def tile_labels(names: list[str]) -> list:
    """The Home frame of boards with these names: each tile's name label."""
    boards = tuple(Board(f"b{n}", (n + 1) % 10, name, "#1565C0", "video") for n, name in enumerate(names))
    frame = render(State(boards=boards), 0.0, "19:28")
    return [label for label in frame.labels if label.text in names]


def test_a_text_that_fits_is_never_cut_and_one_too_long_ends_with_an_ellipsis(width_of):
    measure = width_of(40)
    six = measure("党务政务公开")
    assert fit_lines(measure, "党务政务公开", six, wrap=False) == ["党务政务公开"]  # exactly as wide: whole
    cut = fit_lines(measure, "党务政务公开", six - 1, wrap=False)
    assert len(cut) == 1 and cut[0].endswith("…") and measure(cut[0]) <= six - 1
    assert fit_lines(measure, "党务政务公开", measure("党务政"), wrap=True) == ["党务政", "务公开"]


def test_every_board_name_of_the_line_up_shows_whole_on_its_tile(width_of):
    names = [board.name for board in load_lineup(PROJECT_ROOT / "channels.yaml").boards]
    labels = tile_labels(names)
    assert sorted(label.text for label in labels) == sorted(names)
    for label in labels:
        lines = fit_lines(width_of(label.size), label.text, label.max_width, label.wrap)
        assert lines == [label.text] and label.size >= 36, lines  # the ten fit on one line


def test_the_longest_name_allowed_takes_two_lines_inside_its_tile(width_of):
    longest = "社区道德讲堂与新时代文明实践站"[:BOARD_NAME_CHARS]
    label, = tile_labels([longest, "基层党建"])[:1]
    lines = fit_lines(width_of(label.size), label.text, label.max_width, label.wrap)
    assert "".join(lines) == longest and len(lines) == 2 and "…" not in "".join(lines)
    tile_bottom = 180 + 220  # the first row's tiles (render_model._home): the second line ends above it
    assert label.y + round(label.size * 1.3) + label.size <= tile_bottom
