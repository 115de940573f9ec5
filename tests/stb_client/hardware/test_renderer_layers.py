"""A panel over a menu hides the menu's texts (drawn with pygame's dummy video driver and the real font): a notice
on Home once showed the board names through its purple panel."""

from __future__ import annotations

import os

import pytest

from stb_client.hardware.fonts import cjk_font
from stb_client.ui.canvas import Canvas
from stb_client.ui.model import Notice, NoticesLoaded
from stb_client.ui.render_model import render
from tests.stb_client.ui.test_navigation import Remote


@pytest.fixture(scope="module")
def screen():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from stb_client.hardware.renderer import Screen

    drawn = Screen(cjk_font(), (1920, 1080))
    yield drawn
    drawn.close()


def colours(screen, x: int, y: int, w: int, h: int) -> set[tuple[int, int, int]]:
    return {tuple(screen.surface.get_at((px, py))[:3]) for px in range(x, x + w, 3) for py in range(y, y + h, 3)}


def test_a_later_layer_covers_the_texts_drawn_before_it(screen):
    canvas = Canvas()
    canvas.label(100, 100, "基层党建", 60)
    canvas.overlay()
    canvas.box(50, 50, 600, 200, "#4A148C")
    screen.draw(canvas.frame())
    assert colours(screen, 60, 60, 580, 180) == {(0x4A, 0x14, 0x8C)}


def test_a_notice_on_home_shows_no_board_name_through_its_panel(screen):
    notice = Notice("r1", "broadcast", "重要直播：全体党员大会", "19:30 在 1 号频道播出", 1)
    remote = Remote().send(NoticesLoaded((notice,)))
    frame = render(remote.state, remote.now, "19:28")
    panel = next(box for box in frame.boxes if box.colour == "#4A148C")
    assert any(label.text == "党员风采" and label.layer < panel.layer for label in frame.labels)
    screen.draw(frame)
    # Between the notice's body and its hint the panel is bare: the second row of boards lies beneath it.
    assert colours(screen, panel.x + 10, panel.y + 260, panel.w - 20, 150) == {(0x4A, 0x14, 0x8C)}
