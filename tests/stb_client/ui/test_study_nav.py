"""The TV's study parts, pure: "谁在看？", the watch intervals it reports, "还在看吗？", and 我的学习."""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui.keys import Key
from stb_client.ui.model import (
    FetchHousehold,
    FetchItem,
    FetchStudy,
    Household,
    HouseholdLoaded,
    ItemDetail,
    ItemLoaded,
    Lesson,
    Member,
    Play,
    PlaybackEnded,
    PlaybackPosition,
    ReportPosition,
    ReportWatch,
    StudyCard,
    StudyLoaded,
    Tick,
    View,
)
from stb_client.ui.render_model import render
from tests.stb_client.ui.test_navigation import Remote

FAMILY = Household((Member(7, "张三"), Member(8, "李四")), still_watching_s=1800, answer_s=60, viewers_idle_s=7200)
DETAIL = ItemDetail(101, "video", "节目2", "http://s/vod/101/master.m3u8", None, 0.0, 3600.0)


def family(household: Household = FAMILY) -> Remote:
    return Remote().send(HouseholdLoaded(household))


def watching(remote: Remote, seconds: float, start: float = 0.0, step: float = 1.0) -> Remote:
    """The player reports its position every `step` seconds for `seconds`, the shell's tick after each."""
    position = start
    while position < start + seconds:
        position += step
        remote.now += step
        remote.send(PlaybackPosition(position), Tick())
    return remote


def reports(remote: Remote) -> list[ReportWatch]:
    return [e for e in remote.effects if isinstance(e, ReportWatch)]


def test_a_family_is_asked_who_watches_before_the_first_video_and_a_digit_answers():
    remote = family().press("5", "2")
    assert remote.view is View.VIEWERS and remote.state.pending == ("item", 101)
    frame = render(remote.state, remote.now, "19:30")
    texts = [label.text for label in frame.labels]
    assert "谁在看？" in texts and "张三" in texts and "李四" in texts and "全家一起" in texts
    remote.press("2")
    assert remote.view is View.PLAYER and remote.state.viewers == (8,) and remote.last(FetchItem) == FetchItem(101)
    remote.press(Key.BACK, "3")  # the next video: the choice holds
    assert remote.view is View.PLAYER


def test_everyone_and_back_and_one_member_never_asked():
    remote = family().press("5", "2", Key.BACK)
    assert remote.view is View.BOARD and remote.state.pending is None  # Back: not played
    remote.press("2", "3")
    assert remote.state.viewers == (7, 8)
    alone = family(replace(FAMILY, members=(Member(7, "张三"),))).press("5", "2")
    assert alone.view is View.PLAYER and alone.state.viewers is None


def test_live_tv_asks_too_and_the_choice_lapses_after_two_idle_hours():
    remote = family().press(Key.RED)
    assert remote.view is View.VIEWERS
    remote.press("1")
    assert remote.view is View.LIVE and remote.last(Play) == Play("http://s/live/1/master.m3u8")
    remote.press(Key.HOME)
    remote.now += 7201
    remote.press("5")
    assert remote.state.viewers is None  # idle two hours: nobody chosen any more
    remote.press("2")
    assert remote.view is View.VIEWERS


def test_home_shows_who_watches_and_green_changes_it():
    remote = family().press(Key.GREEN, "1")
    assert remote.view is View.HOME and remote.state.viewers == (7,)
    texts = [label.text for label in render(remote.state, remote.now, "19:30").labels]
    assert "正在看：张三" in texts and any("蓝键 我的学习" in t for t in texts)
    remote.press(Key.GREEN, "3")
    assert "正在看：全家一起" in [label.text for label in render(remote.state, remote.now, "19:30").labels]


def test_playing_reports_intervals_at_seeks_pauses_checkpoints_and_the_end():
    remote = family().press("5", "2", "1").send(ItemLoaded(DETAIL))
    started = remote.now
    watching(remote, 40)  # a checkpoint after 30 s, the interval still open
    checkpoint = reports(remote)
    assert len(checkpoint) == 1 and checkpoint[0].started == started + 1 and checkpoint[0].members == (7,)
    remote.press(Key.RIGHT)  # seek: the interval closes where it stood, skipped media never counts
    closed = reports(remote)[-1]
    assert (closed.from_s, closed.to_s) == (1.0, 40.0) and closed.started == checkpoint[0].started
    watching(remote, 10, start=70)
    remote.press(Key.PLAY_PAUSE)
    paused = reports(remote)[-1]
    assert (paused.from_s, paused.to_s) == (71.0, 80.0)
    remote.now += 600  # paused ten minutes: nothing open, nothing reported
    assert remote.state.watch is None and reports(remote)[-1] == paused
    remote.press(Key.PLAY_PAUSE)
    watching(remote, 5, start=80)
    remote.send(PlaybackEnded())
    ended = reports(remote)[-1]
    assert ended.from_s == 81.0 and ended.to_s == 3600.0 and remote.view is View.BOARD


def test_a_videos_checkpoint_carries_its_resume_point_so_a_playing_box_sends_one_request_not_two():
    remote = family().press("5", "2", "1").send(ItemLoaded(DETAIL))
    watching(remote, 95)
    checkpoints = reports(remote)
    assert [c.position_s for c in checkpoints] == [31.0, 61.0, 91.0]
    assert not [e for e in remote.effects if isinstance(e, ReportPosition)]
    remote.press(Key.BACK)  # stop: the resume point is sent on its own, and the interval closes without one
    assert remote.last(ReportPosition) == ReportPosition(101, 95.0) and reports(remote)[-1].position_s is None


def test_a_box_without_a_household_reports_no_interval_and_its_position_as_before():
    remote = Remote().send(HouseholdLoaded(Household(()))).press("5", "2", "1").send(ItemLoaded(DETAIL))
    watching(remote, 65)
    assert remote.state.watch is None and not reports(remote)
    assert [e.position_s for e in remote.effects if isinstance(e, ReportPosition)] == [30.0, 60.0]


def test_a_jump_the_viewer_did_not_ask_for_starts_a_new_interval():
    remote = family().press("5", "2", "1").send(ItemLoaded(DETAIL))
    watching(remote, 20)
    remote.now += 1
    remote.send(PlaybackPosition(900.0))  # the stream came back elsewhere
    assert (reports(remote)[-1].from_s, reports(remote)[-1].to_s) == (1.0, 20.0)
    assert remote.state.watch.from_s == 900.0


def test_still_watching_is_asked_after_thirty_silent_minutes_and_ok_keeps_the_credit():
    remote = family().press("5", "2", "1").send(ItemLoaded(DETAIL))
    watching(remote, 1800, step=5)
    asked = remote.state.still_asked_at
    assert asked is not None and remote.state.watch is None
    texts = [label.text for label in render(remote.state, remote.now, "19:30").labels]
    assert "还在看吗？按确定键继续" in texts
    watching(remote, 30, start=1800, step=5)
    remote.press(Key.OK)
    assert remote.state.still_asked_at is None and remote.state.playback.paused is False  # OK did nothing else
    assert remote.state.watch.started == asked  # the half minute of the question counts
    watching(remote, 10, start=1830, step=5)
    remote.press(Key.BACK)
    last = reports(remote)[-1]
    assert last.started == asked and last.from_s == reports(remote)[-2].to_s


def test_without_an_answer_credit_pauses_but_the_picture_goes_on():
    remote = family().press("5", "2", "1").send(ItemLoaded(DETAIL))
    watching(remote, 1800, step=5)
    sent = len(reports(remote))
    watching(remote, 65, start=1800, step=5)
    remote.wait(0)
    assert remote.state.credit_paused and remote.state.still_asked_at is None and remote.state.playback is not None
    watching(remote, 600, start=1865, step=5)
    assert len(reports(remote)) == sent and remote.state.watch is None  # nothing credited meanwhile
    texts = [label.text for label in render(remote.state, remote.now, "19:30").labels]
    assert any("学时计时已暂停" in t for t in texts)
    remote.press(Key.UP)  # any key: credit goes on from the next position
    watching(remote, 5, start=2465, step=5)
    assert remote.state.watch is not None and remote.state.watch.from_s == 2470.0


def test_my_study_opens_with_blue_switches_members_and_resumes_an_unfinished_lesson():
    remote = family().press(Key.GREEN, "2", Key.BLUE)
    assert remote.view is View.STUDY and remote.last(FetchStudy) == FetchStudy(8)
    assert FetchHousehold() in remote.effects
    card = StudyCard(8, "李四", 12.5, 32, 2, recent=(Lesson("党课一", 1, True),),
                     unfinished=(Lesson("党课二", 0.3, False, item_id=101, progress=0.4),))
    remote.send(StudyLoaded(card))
    texts = [label.text for label in render(remote.state, remote.now, "19:30").labels]
    assert "李四" in texts and "今年已学 12.5 学时，目标 32 学时" in texts and "党课二" in texts
    remote.press(Key.RIGHT)
    assert remote.last(FetchStudy) == FetchStudy(7)
    remote.press(Key.LEFT, "1")
    assert remote.view is View.PLAYER and remote.last(FetchItem) == FetchItem(101)
    remote.press(Key.BACK)
    assert remote.view is View.STUDY


def test_my_study_without_a_household_says_what_to_do():
    remote = Remote().press(Key.BLUE)
    texts = [label.text for label in render(remote.state, remote.now, "19:30").labels]
    assert remote.view is View.STUDY and any("联系社区管理员" in t for t in texts)
