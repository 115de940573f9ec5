"""Check-in (签到) over the picture: "按确定键签到" with the programme and when check-in closes, then its outcome.

Pure. A band at the bottom of the picture (at the top while the channel banner holds the bottom): the centre
of the picture, where a meeting's speaker is, stays clear.
"""

from __future__ import annotations

from collections.abc import Callable

from stb_client.ui.canvas import FOCUS, Canvas
from stb_client.ui.checkin_nav import note, open_window
from stb_client.ui.layout import HEIGHT, SAFE_X, SAFE_Y, WIDTH
from stb_client.ui.model import State

Text = Callable[..., str]
BAND = "#1B5E20"  # white on it: 7.9:1; the prompt's yellow: 6.5:1
BAND_H = 150
DIGITS_W = 340  # the typed channel number's box at the top right (render_model._live), and a gap


def checkin_band(canvas: Canvas, state: State, now: float, t: Text) -> None:
    """The last check-in's outcome for 10 s (sending, done, refused), else the prompt while check-in is open."""
    window, outcome = open_window(state, now), note(state, now)
    if window is None and outcome is None:
        return
    if state.banner_until > now:  # the channel banner holds the bottom: the top, clear of the typed digits
        y, width = SAFE_Y, WIDTH - SAFE_X - DIGITS_W
    else:
        y, width = HEIGHT - SAFE_Y - BAND_H, WIDTH
    canvas.box(0, y, width, BAND_H, BAND)
    if outcome is not None:  # two lines at most: a refusal in the server's words may be long
        canvas.label(SAFE_X, y + 18, t(outcome.message_id, **dict(outcome.params)), 48, behind=BAND,
                     max_width=width - 2 * SAFE_X, wrap=True)
        return
    canvas.label(SAFE_X, y + 30, t("stb.checkin_prompt"), 72, FOCUS, BAND)
    canvas.label(SAFE_X + 560, y + 46, t("stb.checkin_until", title=window.title, until=window.closes_label), 48,
                 behind=BAND, max_width=width - 2 * SAFE_X - 560)
