"""The guide grid on the box: 90 minutes of every channel, moved through with the arrows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stb_client.ui import guide_grid
from stb_client.ui.keys import Key
from stb_client.ui.model import MESSAGE_SECONDS, FetchGuide, Guide, GuideLoaded, GuideSlot, Play, View
from stb_client.ui.render_model import render
from tests.stb_client.ui.test_navigation import Remote

WALL = datetime(2026, 11, 23, 11, 40, tzinfo=UTC).timestamp()  # 19:40 in Beijing


def at(hour: int, minute: int) -> float:
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC).timestamp()


def slot(title: str, start: tuple[int, int], end: tuple[int, int]) -> GuideSlot:
    begin = at(*start)
    return GuideSlot(title, begin, at(*end), datetime.fromtimestamp(begin + 8 * 3600, UTC).strftime("%H:%M"))


GUIDE = Guide(((1, (slot("党课", (11, 0), (12, 0)), slot("新闻", (12, 0), (12, 5)), slot("天气", (12, 5), (12, 10)),
                    slot("电影", (12, 10), (14, 0)))),
               (2, (slot("科普", (11, 30), (12, 30)), slot("戏曲", (12, 30), (13, 30)))),
               (12, ())), wall=WALL, mono=1000.0)


def guide_open() -> Remote:
    remote = Remote().press(Key.MENU)
    assert remote.last(FetchGuide)
    return remote.send(GuideLoaded(GUIDE))


def test_the_window_starts_at_the_half_hour_and_short_programmes_share_a_cell():
    start, end = guide_grid.window(WALL, 0)
    assert (start, end) == (at(11, 30), at(13, 0))
    cells = guide_grid.cells(GUIDE.slots(1), start, end)
    assert [(c.title, c.count) for c in cells] == [("党课", 1), ("新闻", 2), ("电影", 1)]
    assert cells[0].start == at(11, 30) and cells[-1].end == at(13, 0)  # clipped to the window


def test_a_run_of_one_minute_fillers_never_makes_a_target_narrower_than_ten_minutes():
    fillers = tuple(slot(f"片段{m}", (11, 30 + m), (11, 31 + m)) for m in range(25))
    cells = guide_grid.cells(fillers, at(11, 30), at(13, 0))
    assert all(c.end - c.start >= guide_grid.MIN_CELL_S for c in cells[:-1])
    assert sum(c.count for c in cells) == 25


def test_left_and_right_walk_the_row_and_move_the_window_at_its_edges():
    remote = guide_open().press(Key.RIGHT, Key.RIGHT)
    assert (remote.state.screen.page, remote.state.screen.column) == (0, 2)
    remote.press(Key.RIGHT)
    assert (remote.state.screen.page, remote.state.screen.column) == (1, 0)  # half an hour later
    remote.press(Key.LEFT)
    assert (remote.state.screen.page, remote.state.screen.column) == (0, 2)
    remote.press(Key.LEFT, Key.LEFT, Key.LEFT)
    assert (remote.state.screen.page, remote.state.screen.column) == (0, 0)  # not before now


def test_up_and_down_keep_the_time_in_focus():
    remote = guide_open().press(Key.RIGHT)  # 新闻 at 20:00
    remote.press(Key.DOWN)
    screen = remote.state.screen
    assert (screen.focus, screen.column) == (1, 0)  # 科普 runs until 20:30
    remote.press(Key.DOWN)
    assert remote.state.screen.focus == 2  # a channel with nothing listed still takes the focus


def test_ok_watches_what_is_on_and_tells_when_a_later_programme_starts():
    later = guide_open().press(Key.RIGHT, Key.RIGHT, Key.OK)
    assert later.view is View.GUIDE
    assert later.state.message.message_id == "stb.guide_later"
    assert dict(later.state.message.params) == {"title": "电影", "start": "20:10"}
    assert later.state.message.until - later.now >= MESSAGE_SECONDS
    now_on = guide_open().press(Key.OK)
    assert now_on.view is View.LIVE and now_on.last(Play).url.endswith("/live/1/master.m3u8")


def test_the_guide_follows_the_clock_after_it_was_fetched():
    remote = guide_open()
    remote.now += 40 * 60  # 20:20: the window starts at 20:00
    start, _ = guide_grid.window(remote.state.guide.wall_at(remote.now), 0)
    assert start == at(12, 0)


@pytest.mark.parametrize("presses", [(), (Key.RIGHT,), (Key.RIGHT, Key.RIGHT), (Key.DOWN, Key.RIGHT)])
def test_the_focused_cell_is_ringed_and_labelled(presses):
    remote = guide_open().press(*presses)
    frame = render(remote.state, remote.now, "19:40")
    assert frame.ring is not None and frame.ring.w >= 120 and frame.ring.h >= 120
    texts = [label.text for label in frame.labels]
    assert "19:30" in texts and "20:30" in texts  # the time scale
    assert any("新闻 等 2 个节目" in text for text in texts)
