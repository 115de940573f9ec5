"""The guide grid's geometry, shared by the reducer and the renderer: which 90 minutes are
shown, and the cells of each channel's row in them.

A cell is one programme, or a run of short ones (filler can be a minute long) merged so
that every focus target is at least MIN_CELL_S wide: 10 minutes is 152 px at 1080p.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stb_client.ui.layout import SAFE_X, WIDTH
from stb_client.ui.model import Guide, GuideSlot

STEP_S = 30 * 60
WINDOW_S = 90 * 60
MIN_CELL_S = 10 * 60
MAX_PAGE = 46  # 23 hours ahead
ROWS = 5
NAME_W = 330
GRID_X = SAFE_X + NAME_W + 20
GRID_W = WIDTH - SAFE_X - 30 - GRID_X  # room for the focus to grow
ROW_Y, ROW_H, ROW_GAP = 230, 126, 12


@dataclass(frozen=True)
class Cell:
    """One cell of a guide row: a programme, or short ones merged, clipped to the shown window."""

    title: str
    start: float
    end: float
    label: str
    count: int = 1  # programmes merged into this cell


def window(wall_now: float, page: int) -> tuple[float, float]:
    """The shown span: from the half hour now is in, `page` half hours later, for 90 minutes."""
    start = math.floor(wall_now / STEP_S) * STEP_S + page * STEP_S
    return start, start + WINDOW_S


def _short(cell: Cell) -> bool:
    return cell.end - cell.start < MIN_CELL_S


def _join(first: Cell, second: Cell) -> Cell:
    return Cell(first.title, first.start, second.end, first.label, first.count + second.count)


def cells(slots: tuple[GuideSlot, ...], start: float, end: float) -> list[Cell]:
    """The row's cells in [start, end): programmes clipped to it; runs of short ones share a
    cell, and a short one left alone joins its neighbour (the one before, else after)."""
    found: list[Cell] = []
    for slot in slots:
        if slot.end <= start or slot.start >= end:
            continue
        piece = Cell(slot.title, max(slot.start, start), min(slot.end, end), slot.label)
        if found and _short(found[-1]) and _short(piece) and found[-1].end >= piece.start - 1:
            found[-1] = _join(found[-1], piece)
        else:
            found.append(piece)
    index = 0
    while index < len(found) and len(found) > 1:
        if not _short(found[index]):
            index += 1
        elif index > 0 and found[index - 1].end >= found[index].start - 1:
            found[index - 1:index + 1] = [_join(found[index - 1], found[index])]
        elif index + 1 < len(found) and found[index].end >= found[index + 1].start - 1:
            found[index:index + 2] = [_join(found[index], found[index + 1])]
        else:
            index += 1  # alone between gaps: it stays as it is
    return found


def row_cells(guide: Guide | None, number: int, wall_now: float, page: int) -> list[Cell]:
    """The cells of one channel's row in the window of `page`; none before the guide has arrived."""
    if guide is None:
        return []
    return cells(guide.slots(number), *window(wall_now, page))


def column_at(row: list[Cell], moment: float) -> int:
    """The cell of a row that covers `moment`, or the nearest one after (else the last)."""
    for index, cell in enumerate(row):
        if cell.end > moment:
            return index
    return max(0, len(row) - 1)


def x_of(moment: float, start: float) -> int:
    """The x pixel of `moment` on a grid whose window starts at `start`."""
    return GRID_X + round((moment - start) / WINDOW_S * GRID_W)


def first_row(focus: int, count: int) -> int:
    """The first channel row shown, so the focused one is on screen."""
    return max(0, min(focus - ROWS + 1, count - ROWS)) if count > ROWS else 0
