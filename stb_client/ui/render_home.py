"""Home: the boards' tiles and the live TV tile, and below them (Down from the live tile) the rows 最近看过 and 收藏.

Two pages of one screen, so everything stays large: the tiles with a line saying what the rows hold, or, with
the focus on a card, the two rows (five cards each on screen, sliding with the focus).
"""

from __future__ import annotations

from collections.abc import Callable

from stb_client.ui import home_nav, render_study
from stb_client.ui.canvas import FOCUS_SCALE, HINT_PX, SOFT, WIDE_SCALE, Canvas, Ring
from stb_client.ui.layout import HEIGHT, SAFE_X, SAFE_Y, TITLE_PX, WIDTH, home_tiles, wrap
from stb_client.ui.model import HomeEntry, Screen, State

Text = Callable[..., str]
TILE_W, TILE_H, GAP, TOP = 300, 220, 40, 180
LEFT = (WIDTH - 5 * TILE_W - 4 * GAP) // 2  # inset from the safe area so the grown focus stays inside it
CARD_H = 230
CARD_TITLE_CHARS = 6  # a card's title: two lines of six characters of 40 px
CARD_COLOUR = "#1E4E8C"


def duration_words(seconds: float | None, t: Text) -> str:
    """A length in whole minutes, in words ("" when unknown)."""
    if not seconds:
        return ""
    return t("stb.minutes", minutes=max(1, round(seconds / 60)))


def media_time(seconds: float) -> str:
    """A position in a video as M:SS (H:MM:SS past an hour)."""
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def home_screen(canvas: Canvas, state: State, screen: Screen, now: float, t: Text) -> None:
    """Home: the tiles page, or the rows page while a card has the focus."""
    canvas.label(SAFE_X, SAFE_Y, t("stb.title"), TITLE_PX)
    render_study.home_viewers(canvas, state, t)
    if home_nav.card_at(state, screen.focus) is not None:
        _rows(canvas, state, screen, t)
    else:
        _tiles(canvas, state, screen, t)


def _tiles(canvas: Canvas, state: State, screen: Screen, t: Text) -> None:
    tiles = home_tiles(state.boards)
    focus = min(screen.focus, len(tiles) - 1)
    bottom = TOP
    for index, board in enumerate(tiles):
        if board is None:  # the live TV tile, across the row below the boards
            row = (len(tiles) - 2) // 5 + 1
            x, y, w, h = LEFT, TOP + row * (TILE_H + GAP), 5 * TILE_W + 4 * GAP, 160
            canvas.box(x, y, w, h, "#B71C1C")
            on_air = state.channels[0].now.title if state.channels and state.channels[0].now else ""
            canvas.label(x + 40, y + 30, t("stb.live_tile"), 56, behind="#B71C1C")
            canvas.label(x + 40, y + 100, t("stb.live_tile_hint", now=on_air) if on_air else t("stb.live_tile_keys"),
                         40, behind="#B71C1C", max_width=w - 80)
        else:
            row, column = divmod(index, 5)
            x, y, w, h = LEFT + column * (TILE_W + GAP), TOP + row * (TILE_H + GAP), TILE_W, TILE_H
            canvas.box(x, y, w, h, board.colour)
            canvas.label(x + 24, y + 16, str(board.key), 72, behind=board.colour)
            # Up to two lines of 40 px (channels.yaml allows BOARD_NAME_CHARS): never cut.
            canvas.label(x + 24, y + 104, board.name, 40, behind=board.colour, max_width=w - 40, wrap=True)
        bottom = max(bottom, y + h)
        if index == focus:
            canvas.ring = Ring(x, y, w, h, scale=FOCUS_SCALE if board is not None else WIDE_SCALE)
    if state.recent or state.favourites:  # the rows are one key away: say what they hold
        canvas.label(LEFT, bottom + 36, t("stb.home_rows_cue", recent=len(state.recent),
                                          favourites=len(state.favourites)), 40, max_width=WIDTH - 2 * LEFT)
    canvas.label(SAFE_X, HEIGHT - SAFE_Y - HINT_PX, t("stb.home_hint"), HINT_PX, SOFT)


def _rows(canvas: Canvas, state: State, screen: Screen, t: Text) -> None:
    focused = home_nav.card_at(state, screen.focus)
    rows = (("recent", "stb.home_recent", "stb.home_recent_empty", state.recent),
            ("favourites", "stb.home_favourites", "stb.home_favourites_empty", state.favourites))
    for number, (row, title, empty, entries) in enumerate(rows):
        y = TOP + number * (CARD_H + 120)
        canvas.label(LEFT, y, t(title), 48)
        if not entries:
            canvas.label(LEFT, y + 80, t(empty), 40, SOFT)
            continue
        index = focused[1] if focused[0] == row else 0
        first = max(0, min(index - home_nav.ROW_CARDS + 1, len(entries) - home_nav.ROW_CARDS))
        if len(entries) > home_nav.ROW_CARDS:
            canvas.label(WIDTH - LEFT, y, t("stb.home_row_place", at=index + 1, count=len(entries)), 40, SOFT,
                         align="right")
        for column, entry in enumerate(entries[first:first + home_nav.ROW_CARDS]):
            x = LEFT + column * (TILE_W + GAP)
            _card(canvas, state, entry, x, y + 70, row, t)
            if focused == (row, first + column):
                canvas.ring = Ring(x, y + 70, TILE_W, CARD_H, scale=FOCUS_SCALE)
    canvas.label(SAFE_X, HEIGHT - SAFE_Y - HINT_PX, t("stb.home_rows_hint"), HINT_PX, SOFT)


def _card(canvas: Canvas, state: State, entry: HomeEntry, x: int, y: int, row: str, t: Text) -> None:
    board = next((b for b in state.boards if b.id == entry.board_id), None)
    colour = board.colour if board is not None else CARD_COLOUR
    canvas.box(x, y, TILE_W, CARD_H, colour)
    lines = wrap(entry.title, CARD_TITLE_CHARS)
    if len(lines) > 2:
        lines = [lines[0], lines[1][:CARD_TITLE_CHARS - 1] + "…"]
    canvas.label(x + 24, y + 20, "\n".join(lines), 40, behind=colour, max_width=TILE_W - 40, wrap=True)
    if entry.kind == "article":
        detail = t("stb.kind_article")
    elif row == "recent":
        detail = t("stb.card_resume", at=media_time(entry.resume_s)) if entry.resume_s else t(
            "stb.card_from_start")
    else:
        detail = duration_words(entry.duration_s, t)
    canvas.label(x + 24, y + CARD_H - 64, detail, 40, behind=colour, max_width=TILE_W - 40)
