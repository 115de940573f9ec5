"""The idle screen: menus dim after ten minutes without a key to a large clock with the next important broadcast;
any key only wakes it; the picture, the pairing code and notices never dim."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from stb_client.link.sync import channels_from
from stb_client.ui.idle_nav import IDLE_DIM_SECONDS
from stb_client.ui.keys import Key
from stb_client.ui.model import FetchItems, Notice, NoticesLoaded, PairingStarted, Programme, View
from stb_client.ui.render_model import render
from tests.stb_client.ui.test_navigation import CHANNELS, Remote

STEP = 10.0  # the shell ticks every 0.1 s; every 10 s is enough for what is decided here


def idle(remote: Remote, seconds: float) -> Remote:
    for _ in range(int(seconds / STEP)):
        remote.wait(STEP)
    return remote


def texts(remote: Remote, clock: str = "19:28") -> list[str]:
    return [label.text for label in render(remote.state, remote.now, clock).labels]


def test_a_menu_left_alone_for_ten_minutes_dims_to_the_clock():
    remote = idle(Remote().send(), IDLE_DIM_SECONDS - STEP)
    assert not remote.state.dimmed
    idle(remote, 2 * STEP)
    assert remote.state.dimmed
    assert texts(remote)[0] == "19:28" and "按遥控器任意键返回" in texts(remote)
    assert not any("频道" in text and "直播" in text for text in texts(remote))  # nothing important coming


def test_any_key_only_wakes_it_and_the_next_key_acts():
    remote = idle(Remote().press(Key.RIGHT), IDLE_DIM_SECONDS + STEP)
    assert remote.state.dimmed
    before = len(remote.effects)
    remote.press("5")
    assert not remote.state.dimmed and remote.view is View.HOME and len(remote.effects) == before
    remote.press("5")
    assert remote.view is View.BOARD and isinstance(remote.effects[-1], FetchItems)
    idle(remote, IDLE_DIM_SECONDS - STEP)  # the wait starts again from the last key
    assert not remote.state.dimmed


def test_the_picture_and_the_pairing_code_never_dim():
    live = idle(Remote().press(Key.CH_UP), 3 * IDLE_DIM_SECONDS)
    assert live.view is View.LIVE and not live.state.dimmed
    pairing = idle(Remote().send(PairingStarted("482913")), 3 * IDLE_DIM_SECONDS)
    assert pairing.view is View.PAIRING and not pairing.state.dimmed


def test_a_reminder_arriving_wakes_the_screen():
    remote = idle(Remote().send(), IDLE_DIM_SECONDS + STEP)
    assert remote.state.dimmed
    remote.send(NoticesLoaded((Notice("r1", "broadcast", "重要直播：全体党员大会", "19:30 在 1 号频道播出", 1),)))
    remote.wait(STEP)
    assert not remote.state.dimmed and "重要直播：全体党员大会" in texts(remote)


def test_the_idle_screen_names_the_important_broadcast_on_air_or_next():
    next_one = replace(CHANNELS[1], next=Programme("全体党员大会", "20:00", "21:00", important=True))
    remote = idle(Remote(replace(Remote().state, channels=(CHANNELS[0], next_one, CHANNELS[2]))), 700)
    assert "20:00 重要直播：2 频道《全体党员大会》" in texts(remote)
    on_air = replace(CHANNELS[0], now=Programme("主题党日", "19:00", "20:00", important=True))
    remote.state = replace(remote.state, channels=(on_air, next_one, CHANNELS[2]))
    assert "正在直播：1 频道《主题党日》" in texts(remote)  # the one on air comes first


def test_the_clock_moves_with_the_minute():
    remote = idle(Remote().send(), IDLE_DIM_SECONDS + STEP)
    at_28 = render(remote.state, remote.now, "19:28").labels[0]
    at_29 = render(remote.state, remote.now, "19:29").labels[0]
    assert (at_28.x, at_28.y) != (at_29.x, at_29.y)


def test_the_channels_answer_says_which_programme_is_important():
    answer = {"timezone": "Asia/Shanghai", "channels": [{
        "number": 1, "name": "党建频道", "stream_url": "http://127.0.0.1/live/1/master.m3u8",
        "now": {"title": "党课", "start": "2026-12-01T11:00:00Z", "end": "2026-12-01T11:30:00Z", "important": False},
        "next": {"title": "全体党员大会", "start": "2026-12-01T11:30:00Z", "end": "2026-12-01T12:30:00Z",
                 "important": True}}]}
    channel, = channels_from(answer)
    assert (channel.now.important, channel.next.important, channel.next.start) == (False, True, "19:30")


def test_an_important_broadcast_days_ahead_is_named_with_its_day_the_earliest_first():
    now = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    answer = {"timezone": "Asia/Shanghai", "channels": [
        {"number": 1, "name": "党建频道", "stream_url": "http://127.0.0.1/live/1/master.m3u8", "now": None,
         "next": None, "next_important": {"title": "全体党员大会", "start": "2026-12-02T11:30:00Z",
                                          "end": "2026-12-02T12:30:00Z", "important": True}},
        {"number": 2, "name": "生活频道", "stream_url": "http://127.0.0.1/live/2/master.m3u8", "now": None,
         "next": None, "next_important": {"title": "季度党课", "start": "2026-12-05T01:00:00Z",
                                          "end": "2026-12-05T02:00:00Z", "important": True}}]}
    first, second = channels_from(answer, now)
    assert (first.upcoming.day, first.upcoming.start) == ("明天", "19:30")
    assert (second.upcoming.day, second.upcoming.start) == ("12月5日", "09:00")
    remote = idle(Remote(replace(Remote().state, channels=(second, first))), 700)
    assert "明天 19:30 重要直播：1 频道《全体党员大会》" in texts(remote)  # the earlier one, whatever the order
    today = replace(first, next=Programme("支部党课", "19:30", "20:00", important=True, at=now.timestamp() + 1800))
    remote.state = replace(remote.state, channels=(second, today))
    assert "19:30 重要直播：1 频道《支部党课》" in texts(remote)  # the programme after the one on air, sooner still
