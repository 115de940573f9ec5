"""The study screens as frames: "谁在看？", 我的学习, who watches on Home, and "还在看吗？" over the picture.

Pure, with the same sizes as the rest of the client: read at 3 m by elderly eyes.
"""

from __future__ import annotations

from collections.abc import Callable

from stb_client.ui.canvas import FOCUS, HINT_PX, PANEL, ROW_W, ROW_X, SOFT, WIDE_SCALE, Canvas, Ring
from stb_client.ui.layout import HEIGHT, SAFE_X, SAFE_Y, TITLE_PX, WIDTH
from stb_client.ui.model import Screen, State
from stb_client.ui.study_nav import studied_member, viewer_lines

Text = Callable[..., str]
PROMPT = "#7A4A00"  # "还在看吗？": white on it 7.9:1
BAR_BACK = "#3A4F6E"
BAR_DONE = "#2E7D32"


def _lessons(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def viewers_screen(canvas: Canvas, state: State, screen: Screen, now: float, t: Text) -> None:
    """谁在看？: one numbered line per member and 全家一起; a digit chooses."""
    canvas.label(SAFE_X, SAFE_Y, t("stb.viewers_title"), TITLE_PX)
    names = [m.name for m in state.household.members] + [t("stb.viewers_everyone")]
    focus = min(screen.focus, viewer_lines(state) - 1)
    for index, name in enumerate(names):
        x, y, w, h = ROW_X, 170 + index * 130, ROW_W, 120
        canvas.box(x, y, w, h, PANEL)
        canvas.label(x + 30, y + 22, str(index + 1), 64, FOCUS, PANEL)
        canvas.label(x + 140, y + 28, name, 56, behind=PANEL, max_width=w - 180)
        if index == focus:
            canvas.ring = Ring(x, y, w, h, scale=WIDE_SCALE)
    canvas.label(SAFE_X, HEIGHT - SAFE_Y - HINT_PX, t("stb.viewers_hint", last=len(names)), HINT_PX, SOFT)


def study_screen(canvas: Canvas, state: State, screen: Screen, now: float, t: Text) -> None:
    """我的学习: this year's 学时 as a large bar against the target, this month, last and unfinished lessons."""
    canvas.label(SAFE_X, SAFE_Y, t("stb.study_title"), TITLE_PX)
    member_id = studied_member(state)
    if member_id is None:
        canvas.label(SAFE_X, 300, t("stb.study_no_household"), 48, max_width=WIDTH - 2 * SAFE_X, wrap=True)
        return
    card = state.studies.get(member_id)
    if card is None:
        canvas.label(SAFE_X, 300, t("stb.loading"), 48)
        return
    canvas.label(SAFE_X + 420, SAFE_Y + 10, card.name, 60, FOCUS)
    if len(state.household.members) > 1:
        canvas.label(WIDTH - SAFE_X, SAFE_Y + 90, t("stb.study_other_member"), HINT_PX, SOFT, align="right")
    top = 200
    canvas.label(SAFE_X, top, t("stb.study_year", done=_lessons(card.year_lessons),
                                target=_lessons(card.target_lessons)), 56)
    bar_w, share = WIDTH - 2 * SAFE_X, min(1.0, card.year_lessons / card.target_lessons) if card.target_lessons else 0
    canvas.box(SAFE_X, top + 90, bar_w, 56, BAR_BACK)
    if share > 0:
        canvas.box(SAFE_X, top + 90, max(8, round(bar_w * share)), 56, BAR_DONE if share >= 1 else FOCUS)
    canvas.label(SAFE_X, top + 170, t("stb.study_month", done=_lessons(card.month_lessons)), 48, SOFT)
    y = top + 260
    if card.unfinished:
        canvas.label(SAFE_X, y, t("stb.study_unfinished"), 44, SOFT)
        for index, lesson in enumerate(card.unfinished[:3]):
            x, row_y, w, h = ROW_X, y + 70 + index * 130, ROW_W, 120
            canvas.box(x, row_y, w, h, PANEL)
            canvas.label(x + 30, row_y + 26, str(index + 1), 60, FOCUS, PANEL)
            canvas.label(x + 130, row_y + 14, lesson.title, 48, behind=PANEL, max_width=w - 170)
            canvas.label(x + 130, row_y + 74, t("stb.study_progress", percent=round(lesson.progress * 100)),
                         HINT_PX, SOFT, PANEL)
            if index == min(screen.focus, len(card.unfinished) - 1):
                canvas.ring = Ring(x, row_y, w, h, scale=WIDE_SCALE)
    elif card.recent:
        canvas.label(SAFE_X, y, t("stb.study_recent"), 44, SOFT)
        for index, lesson in enumerate(card.recent[:3]):
            canvas.label(SAFE_X, y + 70 + index * 70, t("stb.study_recent_line", title=lesson.title,
                                                        lessons=_lessons(lesson.lessons)), 44,
                         max_width=WIDTH - 2 * SAFE_X)
    else:
        canvas.label(SAFE_X, y, t("stb.study_nothing_yet"), 44, SOFT, max_width=WIDTH - 2 * SAFE_X, wrap=True)
    canvas.label(SAFE_X, HEIGHT - SAFE_Y - HINT_PX, t("stb.study_hint"), HINT_PX, SOFT)


def home_viewers(canvas: Canvas, state: State, t: Text) -> None:
    """On Home, under the title: who is watching (and that the green key changes it), and 我的学习's key."""
    members = state.household.members
    if not members:
        return
    if len(members) == 1:
        words = t("stb.home_watching", names=members[0].name)
    elif state.viewers is None:
        words = t("stb.home_watching_unknown")
    elif len(state.viewers) == len(members):
        words = t("stb.home_watching", names=t("stb.viewers_everyone"))
    else:
        names = "、".join(m.name for m in members if m.id in state.viewers)
        words = t("stb.home_watching", names=names)
    canvas.label(SAFE_X + 360, SAFE_Y + 20, words, 40, FOCUS, max_width=980)
    hint = t("stb.home_study_keys") if len(members) > 1 else t("stb.home_study_key")
    canvas.label(SAFE_X + 360, SAFE_Y + 74, hint, HINT_PX, SOFT, max_width=980)


def still_watching(canvas: Canvas, state: State, now: float, t: Text) -> None:
    """Over the picture: "还在看吗？按确定键继续" in large type with the seconds left, or that credit paused."""
    if state.still_asked_at is not None:
        left = max(0, round(state.household.answer_s - (now - state.still_asked_at)))
        x, y, w, h = 260, 60 + SAFE_Y, WIDTH - 520, 260
        canvas.box(x, y, w, h, PROMPT)
        canvas.label(x + 60, y + 40, t("stb.still_watching"), 72, behind=PROMPT, max_width=w - 120)
        canvas.label(x + 60, y + 160, t("stb.still_watching_left", seconds=left), 44, behind=PROMPT)
        canvas.ring = None
    elif state.credit_paused and state.playback is not None:
        canvas.box(0, SAFE_Y, WIDTH, 100, PROMPT)
        canvas.label(SAFE_X, SAFE_Y + 24, t("stb.credit_paused"), 44, behind=PROMPT, max_width=WIDTH - 2 * SAFE_X)
