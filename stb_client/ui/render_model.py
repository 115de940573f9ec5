"""What the TV shows, as data: render(state, now, clock) -> Frame of rectangles, texts and one focus ring.

Pure, so tests can check what elderly eyes need without a screen: text
sizes, the safe area, one focus ring of at least 6 px around a target of at
least 120x120, contrast of every text against what is behind it. The
renderer (renderer.py) only draws a Frame. All words come from the message
catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from keting_i18n import text as catalogue_text
from stb_client.ui import guide_grid, render_checkin, render_home, render_idle, render_quiz, render_study
from stb_client.ui.canvas import (  # noqa: F401 (Box, Frame, Label, Picture: the drawing vocabulary, here too)
    BACKGROUND,
    FOCUS,
    FOCUS_RING_PX,
    FOCUS_SCALE,
    HINT_PX,
    NOW_PANEL,
    PANEL,
    READ_BAND,
    ROW_W,
    ROW_X,
    SOFT,
    THUMB_BACK,
    THUMB_H,
    THUMB_W,
    WHITE,
    WIDE_SCALE,
    Box,
    Canvas,
    Frame,
    Label,
    Picture,
    Ring,
)
from stb_client.ui.home_nav import is_favourite
from stb_client.ui.layout import (
    ARTICLE_TOP,
    BODY_PX,
    HEIGHT,
    LINE_SPACING,
    SAFE_X,
    SAFE_Y,
    TITLE_PX,
    WIDTH,
    article_pages,
    page_lines,
)
from stb_client.ui.model import ITEMS_PER_PAGE, Screen, State, View
from stb_client.ui.navigation import visible_notice
from stb_client.ui.reading_nav import sentence_span
from stb_client.ui.render_home import duration_words, media_time

Text = Callable[..., str]


def render(state: State, now: float, clock: str, text: Text | None = None) -> Frame:
    """The frame for `state` at `now`; `clock` is the local time to show (HH:MM)."""
    t = text or (lambda message_id, **params: catalogue_text(message_id, **params))
    screen = state.screen
    if state.dimmed:  # the idle screen alone: any key brings the menu back
        canvas = Canvas()
        render_idle.idle_screen(canvas, state, clock, t)
        return canvas.frame()
    canvas = Canvas(video=screen.view in (View.PLAYER, View.LIVE))
    if not canvas.video:
        canvas.box(0, 0, WIDTH, HEIGHT, BACKGROUND)
    draw = {View.PAIRING: _pairing, View.HOME: render_home.home_screen, View.BOARD: _board, View.ARTICLE: _article,
            View.PLAYER: _player, View.LIVE: _live, View.GUIDE: _guide, View.VIEWERS: render_study.viewers_screen,
            View.STUDY: render_study.study_screen, View.QUIZ: render_quiz.quiz_screen}[screen.view]
    draw(canvas, state, screen, now, t)
    if not canvas.video:
        canvas.label(WIDTH - SAFE_X, SAFE_Y, clock, 48, align="right")
    _overlays(canvas, state, now, t)
    return canvas.frame()


def _pairing(canvas: Canvas, state: State, screen: Screen, now: float, t: Text) -> None:
    canvas.label(SAFE_X, SAFE_Y, t("stb.title"), TITLE_PX)
    canvas.label(SAFE_X, 300, t("stb.pairing_ask"), 48)
    canvas.label(SAFE_X, 420, " ".join(state.pairing_code), 160, FOCUS)
    canvas.label(SAFE_X, 680, t("stb.pairing_wait"), 40, SOFT)


def _board(canvas: Canvas, state: State, screen: Screen, now: float, t: Text) -> None:
    board = next((b for b in state.boards if b.id == screen.board_id), None)
    canvas.label(SAFE_X, SAFE_Y, board.name if board else "", TITLE_PX)
    items = state.items.get(screen.board_id)
    if items is None:
        canvas.label(SAFE_X, 300, t("stb.loading"), 48)
        return
    if not items:
        canvas.label(SAFE_X, 300, t("stb.board_empty"), 48)
        return
    page = screen.focus // ITEMS_PER_PAGE
    pages = (len(items) + ITEMS_PER_PAGE - 1) // ITEMS_PER_PAGE
    canvas.label(SAFE_X + 520, SAFE_Y + 16, t("stb.page", page=page + 1, pages=pages, total=len(items)), 40, SOFT)
    for row, index in enumerate(range(page * ITEMS_PER_PAGE, min(len(items), (page + 1) * ITEMS_PER_PAGE))):
        item = items[index]
        x, y, w, h = ROW_X, 160 + row * 138, ROW_W, 126
        canvas.box(x, y, w, h, PANEL)
        canvas.label(x + 24, y + 28, str(index + 1), 60, FOCUS, PANEL)
        canvas.box(x + 120, y + 13, THUMB_W, THUMB_H, THUMB_BACK)
        canvas.picture(x + 120, y + 13, THUMB_W, THUMB_H, item.thumbnail_url)
        text_x = x + 120 + THUMB_W + 30
        canvas.label(text_x, y + 14, item.title, 48, behind=PANEL, max_width=x + w - 24 - text_x)
        kind = t("stb.kind_article") if item.kind == "article" else duration_words(item.duration_s, t)
        kept = t("stb.favourite_mark") if is_favourite(state, item.id) else ""
        canvas.label(text_x, y + 76, " · ".join(p for p in (kind, item.date, kept) if p), HINT_PX, SOFT, PANEL)
        if index == screen.focus:
            canvas.ring = Ring(x, y, w, h, scale=WIDE_SCALE)
    if state.digits:
        canvas.label(WIDTH - SAFE_X, SAFE_Y + 70, state.digits, 96, FOCUS, align="right")


def _article(canvas: Canvas, state: State, screen: Screen, now: float, t: Text) -> None:
    detail = state.details.get(screen.item_id)
    if detail is None:
        canvas.label(SAFE_X, 300, t("stb.loading"), 48)
        return
    canvas.label(SAFE_X, SAFE_Y, detail.title, TITLE_PX, max_width=WIDTH - 2 * SAFE_X - 220)
    pages = article_pages(detail.text)
    page = min(screen.page, len(pages) - 1)
    reading = state.reading is not None and state.reading.item_id == detail.id
    span = sentence_span(detail.reading.marks, state.reading.sentence, len(detail.text)) \
        if reading and detail.reading is not None else None
    lines = page_lines(detail.text, page)
    for number, (line, offset) in enumerate(lines):
        y = ARTICLE_TOP + round(number * BODY_PX * LINE_SPACING)
        behind = BACKGROUND
        if span is not None and offset >= 0 and offset < span[1] and offset + len(line) > span[0]:
            behind = READ_BAND  # the sentence the voice reads: its lines on a band, to follow with the eye
            canvas.box(SAFE_X - 16, y - 6, WIDTH - 2 * SAFE_X + 32, round(BODY_PX * LINE_SPACING), READ_BAND)
        canvas.label(SAFE_X, y, line, BODY_PX, behind=behind)
    hint = "stb.article_hint_read" if reading else "stb.article_hint_reading" if detail.reading else "stb.article_hint"
    canvas.label(SAFE_X, HEIGHT - SAFE_Y - HINT_PX, t(hint, page=page + 1, pages=len(pages)), HINT_PX, SOFT)
    if reading:  # the yellow key's colour: the voice is on
        mark = t("stb.reading_mark")
        canvas.box(WIDTH - SAFE_X - 180, HEIGHT - SAFE_Y - 64, 180, 64, FOCUS)
        canvas.label(WIDTH - SAFE_X - 150, HEIGHT - SAFE_Y - 52, mark, 40, BACKGROUND, behind=FOCUS)


def _player(canvas: Canvas, state: State, screen: Screen, now: float, t: Text) -> None:
    playback = state.playback
    detail = state.details.get(screen.item_id)
    if playback is None:
        canvas.box(0, 0, WIDTH, HEIGHT, BACKGROUND)
        canvas.label(SAFE_X, 300, t("stb.loading"), 48)
        return
    if playback.controls_until <= now:
        return
    y = HEIGHT - SAFE_Y - 250
    canvas.box(0, y - 30, WIDTH, HEIGHT - y + 30, PANEL)
    canvas.label(SAFE_X, y, detail.title if detail else "", 48, behind=PANEL, max_width=WIDTH - 2 * SAFE_X)
    duration = playback.duration_s or 0
    bar = WIDTH - 2 * SAFE_X
    canvas.box(SAFE_X, y + 90, bar, 16, "#3A4F6E")
    if duration:
        canvas.box(SAFE_X, y + 90, round(bar * min(1.0, playback.position_s / duration)), 16, FOCUS)
    status = t("stb.paused") if playback.paused else ""
    canvas.label(SAFE_X, y + 130, f"{media_time(playback.position_s)} / {media_time(duration)}  {status}".strip(),
                 44, behind=PANEL)
    render_quiz.quiz_key_hint(canvas, state, screen, y + 130, t)
    canvas.label(SAFE_X, y + 192, t("stb.player_hint"), HINT_PX, SOFT, PANEL)


def _live(canvas: Canvas, state: State, screen: Screen, now: float, t: Text) -> None:
    channel = next((c for c in state.channels if c.number == screen.channel), None)
    if state.digits:
        canvas.box(WIDTH - SAFE_X - 300, SAFE_Y, 300, 180, PANEL)
        canvas.label(WIDTH - SAFE_X - 40, SAFE_Y + 20, state.digits, 120, FOCUS, PANEL, align="right")
    if channel is None or state.banner_until <= now:
        return
    y = HEIGHT - SAFE_Y - 230
    canvas.box(0, y - 30, WIDTH, HEIGHT - y + 30, PANEL)
    canvas.label(SAFE_X, y, f"{channel.number}  {channel.name}", TITLE_PX, behind=PANEL)
    if channel.now:
        canvas.label(SAFE_X, y + 90, t("stb.now_on", start=channel.now.start, title=channel.now.title), 44,
                     behind=PANEL, max_width=WIDTH - 2 * SAFE_X)
    if channel.next:
        canvas.label(SAFE_X, y + 150, t("stb.next_on", start=channel.next.start, title=channel.next.title), 40,
                     SOFT, PANEL, max_width=WIDTH - 2 * SAFE_X)


def _guide(canvas: Canvas, state: State, screen: Screen, now: float, t: Text) -> None:
    canvas.label(SAFE_X, SAFE_Y, t("stb.guide"), TITLE_PX)
    if not state.channels:
        canvas.label(SAFE_X, 300, t("stb.loading"), 48)
        return
    if state.guide is None:
        _guide_rows(canvas, state, screen, t)
        return
    wall = state.guide.wall_at(now)
    start, end = guide_grid.window(wall, screen.page)
    for step in range(0, guide_grid.WINDOW_S, guide_grid.STEP_S):
        canvas.label(guide_grid.x_of(start + step, start) + 8, 160, _hhmm(start + step, state.guide.zone), HINT_PX,
                     SOFT)
    focus = min(screen.focus, len(state.channels) - 1)
    top = guide_grid.first_row(focus, len(state.channels))
    for row, channel in enumerate(state.channels[top:top + guide_grid.ROWS], start=top):
        y = guide_grid.ROW_Y + (row - top) * (guide_grid.ROW_H + guide_grid.ROW_GAP)
        canvas.box(SAFE_X, y, guide_grid.NAME_W, guide_grid.ROW_H, PANEL)
        canvas.label(SAFE_X + 20, y + 36, f"{channel.number} {channel.name}", 44, behind=PANEL,
                     max_width=guide_grid.NAME_W - 40)
        cells = guide_grid.row_cells(state.guide, channel.number, wall, screen.page)
        for column, cell in enumerate(cells):
            x, right = guide_grid.x_of(cell.start, start), guide_grid.x_of(cell.end, start)
            colour = NOW_PANEL if cell.start <= wall < cell.end else PANEL
            canvas.box(x + 2, y, right - x - 4, guide_grid.ROW_H, colour)
            title = cell.title if cell.count == 1 else t("stb.guide_more", title=cell.title, count=cell.count)
            canvas.label(x + 14, y + 12, title, 40, behind=colour, max_width=right - x - 28)
            canvas.label(x + 14, y + 70, cell.label, HINT_PX, SOFT, colour, max_width=right - x - 28)
            if row == focus and column == min(screen.column, len(cells) - 1):
                canvas.ring = Ring(x + 2, y, right - x - 4, guide_grid.ROW_H, scale=WIDE_SCALE)
        if not cells:
            canvas.label(guide_grid.GRID_X + 14, y + 36, t("stb.guide_empty"), 40, SOFT)
    if start <= wall < end:  # where now is, over every row
        canvas.box(guide_grid.x_of(wall, start) - 2, guide_grid.ROW_Y - 16, 4,
                   guide_grid.ROWS * (guide_grid.ROW_H + guide_grid.ROW_GAP), FOCUS)
    canvas.label(SAFE_X, HEIGHT - SAFE_Y - 50, t("stb.guide_hint"), HINT_PX, SOFT)


def _hhmm(moment: float, zone: str) -> str:
    return datetime.fromtimestamp(moment, ZoneInfo(zone)).strftime("%H:%M")


def _guide_rows(canvas: Canvas, state: State, screen: Screen, t: Text) -> None:
    """Before the grid arrives: each channel with now and next."""
    for row, channel in enumerate(state.channels[:6]):
        x, y, w, h = ROW_X, 160 + row * 138, ROW_W, 126
        canvas.box(x, y, w, h, PANEL)
        canvas.label(x + 24, y + 30, f"{channel.number}  {channel.name}", 48, behind=PANEL)
        if channel.now:
            canvas.label(x + 560, y + 14, t("stb.now_on", start=channel.now.start, title=channel.now.title), 44,
                         behind=PANEL, max_width=w - 600)
        if channel.next:
            canvas.label(x + 560, y + 74, t("stb.next_on", start=channel.next.start, title=channel.next.title),
                         HINT_PX, SOFT, PANEL, max_width=w - 600)
        if row == min(screen.focus, len(state.channels) - 1):
            canvas.ring = Ring(x, y, w, h, scale=WIDE_SCALE)


def _overlays(canvas: Canvas, state: State, now: float, t: Text) -> None:
    canvas.overlay()  # over the screen: its texts do not show through the panels
    render_checkin.checkin_band(canvas, state, now, t)
    render_study.still_watching(canvas, state, now, t)
    if state.offline:
        canvas.box(0, HEIGHT - SAFE_Y - 90, WIDTH, 90 + SAFE_Y, "#7A1F1F")
        canvas.label(SAFE_X, HEIGHT - SAFE_Y - 70, t("stb.offline"), 44, behind="#7A1F1F")
    if state.volume_until > now:
        words = t("stb.muted") if state.muted else t("stb.volume", level=state.volume)
        canvas.box(WIDTH - SAFE_X - 360, SAFE_Y + 90, 360, 100, PANEL)
        canvas.label(WIDTH - SAFE_X - 30, SAFE_Y + 114, words, 48, behind=PANEL, align="right")
    notice = visible_notice(state)
    message = state.message if state.message and state.message.until > now else None
    canvas.overlay()  # a notice or a message over the other panels too
    if notice is not None:
        x, y, w, h = 260, 250, WIDTH - 520, 520
        canvas.box(x, y, w, h, "#4A148C")
        canvas.label(x + 60, y + 50, notice.title, 60, behind="#4A148C", max_width=w - 120)
        canvas.label(x + 60, y + 160, notice.body, 44, behind="#4A148C", max_width=w - 120, wrap=True)
        hint = t("stb.notice_watch") if notice.kind == "broadcast" and notice.channel else t("stb.notice_close")
        canvas.label(x + 60, y + h - 100, hint, 44, FOCUS, "#4A148C")
        canvas.ring = None  # the notice answers first: no other focus
    elif message is not None:
        x, y, w, h = 360, 380, WIDTH - 720, 240
        canvas.box(x, y, w, h, "#4A148C")
        canvas.label(x + 60, y + 60, t(message.message_id, **dict(message.params)), 48, behind="#4A148C",
                     max_width=w - 120, wrap=True)
