"""The navigation reducer: every screen and key, number entry timing, Back chains, focus memory."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from stb_client.ui.keys import Key
from stb_client.ui.model import (
    MESSAGE_SECONDS,
    Board,
    Channel,
    ChannelsLoaded,
    FetchChannels,
    FetchHomeRows,
    FetchItem,
    FetchItems,
    ItemDetail,
    ItemLoaded,
    ItemsLoaded,
    ItemSummary,
    Notice,
    NoticesLoaded,
    Paired,
    PairingStarted,
    Play,
    PlaybackEnded,
    PlaybackFailed,
    PlaybackPosition,
    Prepare,
    Programme,
    ReportPosition,
    ReportWatch,
    SeekTo,
    SetPaused,
    SetSubtitles,
    SetVolume,
    State,
    Stop,
    Tick,
    View,
)
from stb_client.ui.navigation import reduce

NAMES = ["基层党建", "党务政务公开", "道德讲堂", "办事指南", "支部党课",
         "党员教育", "党员风采", "民生信息", "文化娱乐", "科普知识"]
BOARDS = tuple(Board(f"b{key}", key, name, "#0D47A1", "mixed", 12)
               for key, name in zip([1, 2, 3, 4, 5, 6, 7, 8, 9, 0], NAMES, strict=True))
ITEMS = tuple(ItemSummary(100 + n, "article" if n % 5 == 4 else "video", f"节目{n + 1}", 600.0) for n in range(12))
CHANNELS = (Channel(1, "党建频道", "http://s/live/1/master.m3u8", Programme("党课", "19:30")),
            Channel(2, "生活频道", "http://s/live/2/master.m3u8", Programme("科普", "19:00")),
            Channel(12, "十二频道", "http://s/live/12/master.m3u8"))


class Remote:
    """Drives the reducer like the shell does, keeping every effect."""

    def __init__(self, state: State | None = None):
        self.state = state or State(boards=BOARDS, channels=CHANNELS, items={b.id: ITEMS for b in BOARDS})
        self.now = 1000.0
        self.effects: list = []

    def send(self, *events) -> Remote:
        for event in events:
            self.state, effects = reduce(self.state, event, self.now)
            self.effects += effects
        return self

    def press(self, *keys: Key | str) -> Remote:
        return self.send(*(Key(k) for k in keys))

    def wait(self, seconds: float) -> Remote:
        self.now += seconds
        return self.send(Tick())

    @property
    def view(self) -> View:
        return self.state.screen.view

    def last(self, kind):
        return next((e for e in reversed(self.effects) if isinstance(e, kind)), None)


# ---- Home -----------------------------------------------------------------------------------

def test_digits_open_boards_from_home_and_back_returns_with_the_focus_kept():
    remote = Remote().press(Key.RIGHT, Key.RIGHT, "5")
    assert remote.view is View.BOARD and remote.state.screen.board_id == "b5"
    assert remote.last(FetchItems) == FetchItems("b5")
    remote.press(Key.BACK)
    assert remote.view is View.HOME and remote.state.screen.focus == 2
    remote.press("0")
    assert remote.state.screen.board_id == "b0"  # 0 is the tenth board


def test_home_grid_moves_and_reaches_the_live_tile():
    remote = Remote()
    remote.press(Key.LEFT, Key.UP)
    assert remote.state.screen.focus == 0  # edges hold
    remote.press(Key.RIGHT, Key.RIGHT, Key.RIGHT, Key.RIGHT, Key.RIGHT)
    assert remote.state.screen.focus == 4
    remote.press(Key.DOWN)
    assert remote.state.screen.focus == 9
    remote.press(Key.DOWN)
    assert remote.state.screen.focus == 10  # the live TV tile
    remote.press(Key.OK)
    assert remote.view is View.LIVE and remote.last(Play) == Play("http://s/live/1/master.m3u8")


def test_back_on_home_does_nothing_and_menu_opens_the_guide():
    remote = Remote().press(Key.BACK, Key.BACK)
    assert remote.view is View.HOME and remote.effects == []
    remote.press(Key.MENU)
    assert remote.view is View.GUIDE and remote.last(FetchChannels)
    remote.press(Key.DOWN, Key.OK)
    assert remote.view is View.LIVE and remote.state.screen.channel == 2
    assert [s.view for s in remote.state.stack] == [View.HOME, View.LIVE]


# ---- boards and number entry --------------------------------------------------------------------

def test_board_focus_pages_and_memory_across_the_player():
    remote = Remote().press("5", Key.DOWN, Key.DOWN, Key.RIGHT)
    assert remote.state.screen.focus == 6  # page 2 starts at item 7
    remote.press(Key.LEFT, Key.DOWN, Key.OK)
    assert remote.view is View.PLAYER and remote.last(FetchItem) == FetchItem(101)
    remote.press(Key.BACK)
    assert remote.view is View.BOARD and remote.state.screen.focus == 1


@pytest.mark.parametrize(("typed", "wait", "opened"), [
    ("3", 0, 102),          # unique among 1..12: at once
    ("12", 0, 111),         # two digits, unique
    ("1", 2.0, 100),        # 1 could be 10, 11, 12: chosen 2 s after the digit
])
def test_items_open_by_number(typed, wait, opened):
    remote = Remote().press("5", *typed)
    if wait:
        remote.wait(wait - 0.1)
        assert remote.view is View.BOARD and remote.state.digits == typed
        remote.wait(0.1)
    assert remote.view in (View.PLAYER, View.ARTICLE)
    assert remote.last(FetchItem) == FetchItem(opened)


def test_number_entry_ok_commits_and_unknown_numbers_are_dropped():
    remote = Remote().press("5", "1", Key.OK)
    assert remote.last(FetchItem) == FetchItem(100)
    remote = Remote().press("5", "1", "9")
    assert remote.view is View.BOARD and remote.state.digits == "" and remote.last(FetchItem) is None


def test_digits_typed_before_the_list_arrives_are_kept():
    remote = Remote(State(boards=BOARDS, channels=CHANNELS)).press("5", "3")
    assert remote.view is View.BOARD and remote.state.digits == "3"
    remote.send(ItemsLoaded("b5", ITEMS))
    assert remote.last(FetchItem) == FetchItem(102)


def test_every_item_is_at_most_three_presses_from_home():
    for board in BOARDS:
        for index, item in enumerate(ITEMS):
            remote = Remote().press(str(board.key), *str(index + 1))
            presses = 1 + len(str(index + 1))
            if remote.last(FetchItem) is None:  # a prefix of another number: OK chooses now
                remote.press(Key.OK)
                presses += 1
            assert presses <= 3 and remote.last(FetchItem) == FetchItem(item.id)


# ---- video player --------------------------------------------------------------------------------

def playing(resume: float = 120.0) -> Remote:
    remote = Remote().press("5", "2")
    detail = ItemDetail(101, "video", "节目2", "http://s/vod/101/master.m3u8", "http://s/sub.vtt", resume, 600.0)
    return remote.send(ItemLoaded(detail))


def test_player_starts_at_the_resume_point_with_subtitles():
    remote = playing()
    assert remote.last(Play) == Play("http://s/vod/101/master.m3u8", 120.0, "http://s/sub.vtt")
    assert remote.state.playback.subtitles and remote.state.playback.controls_until >= remote.now + 10


def test_a_video_opened_again_soon_starts_at_once_but_old_details_are_fetched_again():
    """The server's stream URLs are signed and expire: details older than an hour are asked for anew."""
    remote = playing()
    remote.press(Key.BACK)
    remote.effects.clear()
    remote.press(Key.OK)  # the same item again, a moment later: no round trip
    assert remote.view is View.PLAYER and remote.last(Play) is not None and remote.last(FetchItem) is None
    remote.press(Key.BACK)
    remote.effects.clear()
    remote.now += 3601
    remote.press(Key.OK)
    assert remote.last(FetchItem) == FetchItem(101) and remote.last(Play) is None


def test_player_keys_seek_pause_and_toggle_controls():
    remote = playing(resume=10.0)
    remote.press(Key.LEFT)
    assert remote.last(SeekTo) == SeekTo(0.0)  # clamped at the start
    remote.press(Key.RIGHT, Key.RIGHT)
    assert remote.last(SeekTo) == SeekTo(60.0)
    remote.press(Key.PLAY_PAUSE)
    assert remote.last(SetPaused) == SetPaused(True)
    remote.press(Key.OK)
    assert remote.state.playback.controls_until == 0.0
    remote.press(Key.OK)
    assert remote.state.playback.controls_until >= remote.now + MESSAGE_SECONDS


def test_the_blue_key_steps_the_subtitle_size_without_stopping_the_video():
    sizes = (("standard", "http://s/sub.vtt"), ("large", "http://s/sub.large.vtt"), ("larger", "http://s/sub.larger.vtt"))
    remote = Remote().press("5", "2").send(ItemLoaded(ItemDetail(
        101, "video", "节目2", "http://s/vod/101/master.m3u8", "http://s/sub.vtt", 120.0, 600, subtitle_sizes=sizes)))
    assert remote.state.subtitle_size == "large"  # the default: elderly eyes
    assert remote.last(Play).subtitles_url == "http://s/sub.large.vtt"
    remote.press(Key.YELLOW)  # subtitles hidden: changing their size shows them again
    remote.effects.clear()
    remote.press(Key.BLUE)
    assert remote.state.subtitle_size == "larger" and remote.state.playback.subtitles
    assert remote.effects == [SetSubtitles("http://s/sub.larger.vtt")]  # no Stop, no Play: it goes on
    assert remote.state.message.message_id == "stb.subtitle_size_larger"
    remote.press(Key.BLUE)
    assert remote.state.subtitle_size == "standard" and remote.last(SetSubtitles).url == "http://s/sub.vtt"
    # A video whose server has no sizes yet: its one track; the next video starts at the size chosen.
    plain = playing()
    plain.press(Key.BLUE)
    assert plain.last(SetSubtitles) == SetSubtitles("http://s/sub.vtt")
    live = Remote().press(Key.CH_UP)
    live.effects.clear()
    live.press(Key.BLUE)
    assert live.last(SetSubtitles) is None  # live channels have no subtitles
    bare = Remote().press("5", "2").send(ItemLoaded(ItemDetail(101, "video", "节目2", "http://s/v.m3u8")))
    bare.press(Key.BLUE)
    assert bare.state.message.message_id == "stb.no_subtitles" and bare.state.subtitle_size == "large"


def test_position_is_reported_every_30_s_and_on_exit():
    remote = playing()
    remote.send(PlaybackPosition(150.0))
    remote.wait(29)
    assert remote.last(ReportPosition) is None
    remote.wait(1)
    assert remote.last(ReportPosition) == ReportPosition(101, 150.0)
    remote.send(PlaybackPosition(170.0)).press(Key.BACK)
    assert [e for e in remote.effects if not isinstance(e, ReportWatch)][-2:] == [Stop(), ReportPosition(101, 170.0)]
    assert remote.view is View.BOARD


def test_the_end_of_a_video_returns_to_the_board_and_a_failure_says_so():
    remote = playing().send(PlaybackEnded())
    assert remote.view is View.BOARD and remote.last(ReportPosition) == ReportPosition(101, 600.0)
    remote = playing().send(PlaybackFailed("404"))
    assert remote.view is View.BOARD and remote.state.message.message_id == "stb.cannot_play"
    assert remote.state.message.until - remote.now >= MESSAGE_SECONDS
    remote.wait(MESSAGE_SECONDS - 0.5)
    assert remote.state.message is not None
    remote.wait(0.5)
    assert remote.state.message is None


def test_home_or_a_long_back_leaves_playback_from_anywhere():
    for key in (Key.HOME, Key.BACK_LONG):
        remote = playing().send(PlaybackPosition(200.0)).press(key)
        assert remote.view is View.HOME and len(remote.state.stack) == 1
        reported = [e for e in remote.effects if not isinstance(e, ReportWatch)]
        assert reported[-3:] == [Stop(), ReportPosition(101, 200.0), FetchHomeRows()]  # and Home's rows again


# ---- articles ------------------------------------------------------------------------------------

def test_article_pages_with_up_and_down():
    remote = Remote().press("5", "5")  # item 5 is an article
    assert remote.view is View.ARTICLE
    text = "\n\n".join(f"第{n}段。" + "党员教育内容" * 30 for n in range(10))
    remote.send(ItemLoaded(ItemDetail(104, "article", "通知", text=text)))
    remote.press(Key.DOWN, Key.DOWN)
    assert remote.state.screen.page == 2
    remote.press(Key.UP)
    assert remote.state.screen.page == 1
    remote.press(*[Key.DOWN] * 20)
    last = remote.state.screen.page
    remote.press(Key.OK)  # OK on the last page closes
    assert last > 2 and remote.view is View.BOARD


# ---- live TV -----------------------------------------------------------------------------------

def test_channel_up_and_down_wrap_and_show_the_banner():
    remote = Remote().press(Key.CH_UP)
    assert remote.view is View.LIVE and remote.state.screen.channel == 1
    remote.press(Key.CH_DOWN)
    assert remote.state.screen.channel == 12 and remote.last(Play) == Play("http://s/live/12/master.m3u8")
    assert remote.state.banner_until == remote.now + MESSAGE_SECONDS
    remote.press(Key.CH_UP)
    assert remote.state.screen.channel == 1


def test_each_tune_prepares_the_neighbour_the_viewer_is_likeliest_to_go_to_next():
    lowest = tuple(replace(c, lowest_url=c.stream_url.replace("master", "360p")) for c in CHANNELS)
    remote = Remote(replace(Remote().state, channels=lowest)).press(Key.CH_UP)
    assert remote.effects[-2:] == [Play("http://s/live/1/master.m3u8"),
                                   Prepare("http://s/live/2/master.m3u8", "http://s/live/2/360p.m3u8")]
    remote.press(Key.CH_DOWN)  # down to 12 (the list wraps): the next one down is prepared
    assert remote.last(Prepare) == Prepare("http://s/live/2/master.m3u8", "http://s/live/2/360p.m3u8")
    remote.press(Key.CH_DOWN)
    assert remote.last(Prepare) == Prepare("http://s/live/1/master.m3u8", "http://s/live/1/360p.m3u8")
    remote.effects.clear()
    remote.press("1", "2")  # a number: up from there (12 wraps round to 1)
    assert remote.state.screen.channel == 12
    assert remote.last(Prepare) == Prepare("http://s/live/1/master.m3u8", "http://s/live/1/360p.m3u8")
    alone = Remote(replace(Remote().state, channels=lowest[:1])).press(Key.CH_UP)
    assert alone.state.screen.channel == 1 and alone.last(Prepare) is None  # no other channel to prepare
    older = Remote().press(Key.CH_UP)  # a server that names no lowest rung: nothing is prepared
    assert older.last(Play) is not None and older.last(Prepare) is None


def test_channel_number_entry_timing():
    remote = Remote().press(Key.CH_UP, "2")
    assert remote.state.screen.channel == 2  # unique: at once
    remote.press("1")
    assert remote.state.digits == "1" and remote.state.screen.channel == 2  # 1 or 12: wait
    remote.wait(1.9)
    assert remote.state.screen.channel == 2
    remote.wait(0.1)
    assert remote.state.screen.channel == 1 and remote.state.digits == ""
    remote.press("1", "2")
    assert remote.state.screen.channel == 12
    remote.press("7")
    assert remote.state.screen.channel == 12 and remote.state.digits == ""  # no channel 7: ignored


def test_a_new_programme_shows_the_banner_and_live_failures_retry_with_backoff():
    remote = Remote().press(Key.CH_UP)
    remote.wait(MESSAGE_SECONDS + 1)
    assert remote.state.banner_until < remote.now
    changed = (replace(CHANNELS[0], now=Programme("新闻", "20:00")), *CHANNELS[1:])
    remote.send(ChannelsLoaded(changed))
    assert remote.state.banner_until >= remote.now + MESSAGE_SECONDS - 0.01
    plays = sum(isinstance(e, Play) for e in remote.effects)
    remote.send(PlaybackFailed("stream gone"))
    assert remote.view is View.LIVE and remote.state.message.message_id == "stb.live_retrying"
    remote.wait(2)
    assert sum(isinstance(e, Play) for e in remote.effects) == plays + 1
    remote.send(PlaybackFailed("still gone")).wait(2)
    assert sum(isinstance(e, Play) for e in remote.effects) == plays + 1  # 4 s now
    remote.wait(2)
    assert sum(isinstance(e, Play) for e in remote.effects) == plays + 2


# ---- notices, volume, pairing ---------------------------------------------------------------------

def test_a_broadcast_notice_offers_to_watch_with_ok():
    remote = Remote().press("5").send(NoticesLoaded((Notice("r7", "broadcast", "重要直播", "按确定观看", 2),)))
    remote.press(Key.DOWN)  # the notice answers first
    assert remote.state.screen.focus == 0
    remote.press(Key.OK)
    assert remote.view is View.LIVE and remote.state.screen.channel == 2
    remote.press(Key.BACK)
    assert remote.view is View.BOARD  # the notice is not shown again


def test_an_urgent_notice_closes_with_back():
    remote = Remote().send(NoticesLoaded((Notice("n1", "urgent", "停水通知", "明天停水"),)))
    remote.press(Key.BACK)
    assert "n1" in remote.state.dismissed and remote.view is View.HOME
    remote.press("5")
    assert remote.view is View.BOARD


def test_volume_and_mute():
    remote = Remote().press(Key.VOL_UP, Key.VOL_UP, Key.MUTE)
    assert remote.last(SetVolume) == SetVolume(80, True)
    remote.press(Key.VOL_DOWN)
    assert remote.last(SetVolume) == SetVolume(70, False)
    assert remote.state.volume_until >= remote.now + MESSAGE_SECONDS


def test_pairing_ignores_keys_until_approved():
    remote = Remote().send(PairingStarted("482913")).press(Key.OK, "5", Key.HOME)
    assert remote.view is View.PAIRING and remote.state.pairing_code == "482913"
    remote.send(Paired())
    assert remote.view is View.HOME


def test_no_dead_ends_and_messages_last_under_any_keys():
    """Random presses from a fixed seed: the stack always starts at Home, Back always leads
    home in as many presses as screens are open, and no message is shorter than 10 s."""
    chance = random.Random(20261123)
    keys = list(Key)
    remote = Remote()
    for step in range(3000):
        key = chance.choice(keys)
        remote.press(key)
        if step % 7 == 0:
            remote.send(ItemLoaded(ItemDetail(ITEMS[step % 12].id, ITEMS[step % 12].kind, "节目",
                                              "http://s/v.m3u8" if ITEMS[step % 12].kind == "video" else None,
                                              text="正文" * 200)))
        if step % 11 == 0:
            remote.send(PlaybackFailed("x"))
        remote.wait(chance.choice([0.1, 0.5, 2.5]))
        state = remote.state
        assert state.stack[0].view is View.HOME and state.stack
        if state.message is not None:
            assert state.message.until - remote.now > -1  # expires only after its time
        probe = Remote(state)
        probe.now = remote.now
        probe.state = replace(probe.state, notices=(), dismissed=frozenset())
        for _ in range(len(state.stack) - 1):
            probe.press(Key.BACK)
        assert probe.view is View.HOME, [s.view for s in state.stack]
