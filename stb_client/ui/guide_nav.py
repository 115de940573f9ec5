"""Keys on the guide grid: Up/Down channels, Left/Right programmes (the window moves in half
hours at its edges), OK watches what is on now or says when a later programme starts."""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui import guide_grid, study_nav
from stb_client.ui.keys import Key
from stb_client.ui.model import FetchChannels, FetchGuide, Screen, State, View
from stb_client.ui.stack import pop, push, say

Effects = tuple


def open_guide(state: State) -> tuple[State, Effects]:
    """Open the guide grid and fetch the channels and the guide."""
    return push(state, Screen(View.GUIDE)), (FetchChannels(), FetchGuide())


def _set(state: State, **changes) -> State:
    return replace(state, stack=(*state.stack[:-1], replace(state.screen, **changes)))


def _rows_only(state: State, key: Key, now: float) -> tuple[State, Effects]:
    """Before the grid has arrived (or offline with none cached): a list of channels."""
    screen, count = state.screen, len(state.channels)
    if key in (Key.UP, Key.DOWN) and count:
        return _set(state, focus=(screen.focus + (1 if key is Key.DOWN else -1)) % count), ()
    if key is Key.OK and count:
        return study_nav.play_channel(pop(state), state.channels[min(screen.focus, count - 1)].number, now)
    return state, ()


def on_key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    """Answer a key on the guide: Back or Menu closes it, arrows move the focus and window, OK watches or says when."""
    if key in (Key.BACK, Key.MENU):
        return pop(state), ()
    if state.guide is None or not state.channels:
        return _rows_only(state, key, now)
    screen, guide = state.screen, state.guide
    wall = guide.wall_at(now)
    focus = min(screen.focus, len(state.channels) - 1)
    number = state.channels[focus].number
    row = guide_grid.row_cells(guide, number, wall, screen.page)
    column = min(screen.column, max(0, len(row) - 1))
    if key in (Key.UP, Key.DOWN):
        focus = (focus + (1 if key is Key.DOWN else -1)) % len(state.channels)
        moment = row[column].start if row else guide_grid.window(wall, screen.page)[0]
        target = guide_grid.row_cells(guide, state.channels[focus].number, wall, screen.page)
        return _set(state, focus=focus, column=guide_grid.column_at(target, moment)), ()
    if key is Key.LEFT:
        if column > 0:
            return _set(state, column=column - 1), ()
        if screen.page > 0:
            earlier = guide_grid.row_cells(guide, number, wall, screen.page - 1)
            return _set(state, page=screen.page - 1, column=max(0, len(earlier) - 1)), ()
        return state, ()
    if key is Key.RIGHT:
        if column < len(row) - 1:
            return _set(state, column=column + 1), ()
        if screen.page < guide_grid.MAX_PAGE:
            return _set(state, page=screen.page + 1, column=0), ()
        return state, ()
    if key is Key.OK:
        cell = row[column] if row else None
        if cell is None or cell.start <= wall < cell.end:
            return study_nav.play_channel(pop(state), number, now)
        return say(state, "stb.guide_later", now, title=cell.title, start=cell.label), ()
    return state, ()
