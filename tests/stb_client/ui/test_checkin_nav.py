"""Check-in (签到) on the TV, pure: the prompt over a programme that takes check-ins, OK, its outcome, and the
reminder that brings a box on another channel there."""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui.checkin_nav import CONFIRM_SECONDS, open_window
from stb_client.ui.keys import Key
from stb_client.ui.model import (
    CheckinDone,
    CheckinFailed,
    CheckinWindow,
    Household,
    HouseholdLoaded,
    Member,
    Notice,
    NoticesLoaded,
    Play,
    SendCheckin,
    View,
)
from stb_client.ui.navigation import visible_notice
from stb_client.ui.render_model import render
from tests.stb_client.ui.test_navigation import Remote
from tests.stb_client.ui.test_study_nav import FAMILY

ALONE = Household((Member(7, "张三"),))


def meeting(opens: float, closes: float, channel: int = 1) -> NoticesLoaded:
    window = CheckinWindow(42, "主题党日：学习会", opens, closes, "19:45")
    return NoticesLoaded((Notice("r42", "broadcast", "签到节目：主题党日：学习会", "19:30 在 1 号频道播出", channel,
                                 window),))


def texts(remote: Remote) -> list[str]:
    return [label.text for label in render(remote.state, remote.now, "19:31").labels]


def tuned(household: Household = ALONE, channel_key: Key = Key.CH_UP) -> Remote:
    """A box of `household` on channel 1 (CH+ from Home starts live TV there), the meeting's window open."""
    remote = Remote().send(HouseholdLoaded(household))
    remote.press(channel_key)
    if remote.view is View.VIEWERS:
        remote.press("3")  # 全家一起
    return remote.send(meeting(990.0, 1900.0))


def test_on_the_channel_inside_the_window_the_prompt_shows_and_ok_checks_in_the_viewers():
    remote = tuned()
    assert remote.view is View.LIVE and remote.state.screen.channel == 1
    assert visible_notice(remote.state) is None  # its own channel: no "press OK to watch" over it
    assert "按确定键签到" in texts(remote) and "主题党日：学习会　签到至 19:45" in texts(remote)
    remote.press(Key.OK)
    assert remote.last(SendCheckin) == SendCheckin(42, (7,))
    assert "正在签到……" in texts(remote)
    remote.press(Key.OK)  # a second OK while it is on its way sends nothing more
    assert sum(isinstance(e, SendCheckin) for e in remote.effects) == 1
    remote.send(CheckinDone(42, ("张三",), "19:31", member_ids=(7,)))
    assert "签到成功：张三（19:31）" in texts(remote) and open_window(remote.state, remote.now) is None
    remote.wait(CONFIRM_SECONDS - 0.5)
    assert "签到成功：张三（19:31）" in texts(remote)
    remote.wait(1.0)
    shown = texts(remote)
    assert not any("签到" in line for line in shown)  # confirmed 10 s, then nothing: no prompt again
    remote.press(Key.OK)
    assert sum(isinstance(e, SendCheckin) for e in remote.effects) == 1  # OK is the banner again


def test_the_whole_family_checks_in_together_and_one_who_sits_down_later_too():
    remote = tuned(FAMILY)
    assert remote.state.viewers == (7, 8)
    remote.press(Key.OK)
    assert remote.last(SendCheckin) == SendCheckin(42, (7, 8))
    remote.send(CheckinDone(42, ("李四",), "19:35", ("张三",), (7, 8)))
    assert "签到成功：李四（19:35）；张三 已签到过" in texts(remote)
    later = tuned(FAMILY)
    later.state = replace(later.state, viewers=(7,))
    later.press(Key.OK).send(CheckinDone(42, ("张三",), "19:31", member_ids=(7,)))
    later.state = replace(later.state, viewers=(7, 8))  # 李四 sits down: "谁在看" chosen again
    later.wait(CONFIRM_SECONDS + 0.1)
    assert "按确定键签到" in texts(later)
    later.press(Key.OK)
    assert later.last(SendCheckin) == SendCheckin(42, (8,))  # only who has not checked in yet


def test_a_check_in_with_no_answer_can_be_sent_again_after_a_while():
    remote = tuned().press(Key.OK)
    remote.wait(CONFIRM_SECONDS - 1).press(Key.OK)
    assert sum(isinstance(e, SendCheckin) for e in remote.effects) == 1
    remote.wait(2).press(Key.OK)
    assert sum(isinstance(e, SendCheckin) for e in remote.effects) == 2


def test_a_check_in_programme_that_is_not_important_prompts_on_its_channel_only():
    quiet = NoticesLoaded((Notice("r42", "checkin", "签到节目：主题党日", "", 1,
                                  CheckinWindow(42, "主题党日", 990.0, 1900.0, "19:45")),))
    remote = Remote().send(HouseholdLoaded(ALONE), quiet).press("5")
    assert visible_notice(remote.state) is None and remote.view is View.BOARD
    remote.press(Key.HOME, Key.CH_UP)
    assert "按确定键签到" in texts(remote)


def test_a_refusal_is_said_and_the_prompt_comes_back_for_another_try():
    remote = tuned()
    remote.press(Key.OK).send(CheckinFailed(42, "节目“主题党日”的签到已于 19:45 结束。"))
    assert any(line.startswith("签到没有成功：节目") for line in texts(remote))
    remote.wait(CONFIRM_SECONDS + 0.1)
    assert "按确定键签到" in texts(remote)
    remote.press(Key.OK).send(CheckinFailed(42))
    assert "签到没有成功：连不上服务器。请稍后再按确定键。" in texts(remote)


def test_no_prompt_before_the_window_after_it_on_another_channel_or_without_members():
    remote = Remote().send(HouseholdLoaded(ALONE)).press(Key.CH_UP).send(meeting(1100.0, 1200.0))
    assert "按确定键签到" not in texts(remote)  # 1000: not yet
    remote.wait(100)
    assert "按确定键签到" in texts(remote)
    remote.press(Key.CH_UP)  # channel 2
    assert "按确定键签到" not in texts(remote)
    remote.press(Key.CH_DOWN).wait(100)  # back on 1, at 1200: closed
    assert "按确定键签到" not in texts(remote)
    nobody = Remote().press(Key.CH_UP).send(meeting(990.0, 1900.0))
    assert "按确定键签到" not in texts(nobody)  # a box with no household cannot say who attended


def test_a_box_elsewhere_gets_the_reminder_whose_ok_tunes_in_and_then_offers_check_in():
    remote = Remote().send(HouseholdLoaded(ALONE), meeting(990.0, 1900.0)).press("5")  # a board
    assert visible_notice(remote.state) is not None and "签到节目：主题党日：学习会" in texts(remote)
    remote.press(Key.OK)
    assert remote.view is View.LIVE and remote.last(Play) == Play("http://s/live/1/master.m3u8")
    assert "按确定键签到" in texts(remote)
    remote.press(Key.OK)
    assert remote.last(SendCheckin) == SendCheckin(42, (7,))


def test_when_the_choice_of_viewers_lapsed_ok_asks_who_is_watching_first():
    remote = tuned(FAMILY)
    remote.state = replace(remote.state, viewers=None)
    remote.press(Key.OK)
    assert remote.view is View.VIEWERS and remote.last(SendCheckin) is None
    remote.press("1")
    assert remote.view is View.LIVE and remote.state.viewers == (7,)
    remote.press(Key.OK)
    assert remote.last(SendCheckin) == SendCheckin(42, (7,))


def test_the_prompt_leaves_the_centre_of_the_picture_clear_even_with_the_banner():
    remote = tuned()
    for banner in (False, True):
        if banner:  # as after a zap
            remote.state = replace(remote.state, banner_until=remote.now + 5)
        frame = render(remote.state, remote.now, "19:31")
        prompt = next(label for label in frame.labels if label.text == "按确定键签到")
        assert prompt.y > 1080 * 0.62 or prompt.y + prompt.size < 1080 * 0.38
