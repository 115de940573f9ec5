"""Pure: the idle screen (idle_nav.py) as a Frame's content: a large, dim clock that moves a little each minute
(nothing stays on the same pixels for hours), the important broadcast on air or next, and how to come back."""

from __future__ import annotations

from collections.abc import Callable

from stb_client.ui import idle_nav
from stb_client.ui.canvas import HINT_PX, Canvas
from stb_client.ui.layout import HEIGHT, SAFE_X, SAFE_Y, WIDTH
from stb_client.ui.model import State

Text = Callable[..., str]
DARK = "#000000"
DIM = "#9AA7B8"  # 8.5:1 on black: readable, a fraction of the light of white
CLOCK_PX = 220
LINE_PX = 48


def idle_screen(canvas: Canvas, state: State, clock: str, t: Text) -> None:
    """The clock at a place that moves with the minute, the important broadcast below it, the hint at the bottom."""
    canvas.box(0, 0, WIDTH, HEIGHT, DARK)
    minute = int(clock[-2:]) if clock[-2:].isdigit() else 0
    x, y = SAFE_X + 80 + (minute % 4) * 160, SAFE_Y + 160 + (minute % 3) * 80
    canvas.label(x, y, clock, CLOCK_PX, DIM, behind=DARK)
    found = idle_nav.next_important(state)
    if found is not None:
        on_air, channel, programme = found
        words = (t("stb.idle_on_air", channel=channel.number, title=programme.title) if on_air else
                 t("stb.idle_next", start=f"{programme.day} {programme.start}".strip(), channel=channel.number,
                   title=programme.title))
        canvas.label(x, y + CLOCK_PX + 60, words, LINE_PX, DIM, behind=DARK, max_width=WIDTH - SAFE_X - x)
    canvas.label(SAFE_X, HEIGHT - SAFE_Y - HINT_PX, t("stb.idle_hint"), HINT_PX, DIM, behind=DARK)
