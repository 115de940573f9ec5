"""The render model checked for elderly eyes on every screen: sizes, safe area, one focus ring, contrast."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stb_client.ui.keys import Key
from stb_client.ui.layout import HEIGHT, SAFE_X, SAFE_Y, TITLE_PX, WIDTH
from stb_client.ui.model import (
    MESSAGE_SECONDS,
    CheckinDone,
    CheckinFailed,
    ConnectionChanged,
    HomeEntry,
    ItemDetail,
    ItemLoaded,
    Lesson,
    Notice,
    NoticesLoaded,
    PairingStarted,
    PlaybackFailed,
    Programme,
    ReadAloud,
    ReadingEnded,
    ReadingPosition,
    StudyCard,
    StudyLoaded,
    View,
)
from stb_client.ui.render_model import Frame, render
from tests.stb_client.ui.test_navigation import Remote

FAVOURITES_ONE = (HomeEntry(104, "article", "关于开展主题党日活动的通知（第十二期）", "b2"),)
LONG_TEXT = "\n\n".join(f"第{n}段：" + "社区党员学习新思想，做好邻里服务。" * 8 for n in range(12))


def luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_width(content: str, size: int) -> float:
    return sum(0.55 if ord(char) < 0x2E80 else 1.0 for char in content) * size


def screens() -> dict[str, Remote]:
    """One driven client per screen and overlay worth checking."""
    found = {"home": Remote(), "board": Remote().press("5"), "guide": Remote().press(Key.MENU),
             "live": Remote().press(Key.CH_UP), "live_digits": Remote().press(Key.CH_UP, "1")}
    found["pairing"] = Remote().send(PairingStarted("482913"))
    article = Remote().press("5", "5")
    notice = ItemDetail(104, "article", "关于开展主题党日活动的通知", text=LONG_TEXT)
    found["article"] = article.send(ItemLoaded(notice))
    player = Remote().press("5", "2")
    found["player"] = player.send(ItemLoaded(ItemDetail(101, "video", "节目2", "http://s/v.m3u8", None, 0, 600)))
    failing = Remote().press("5", "2").send(ItemLoaded(ItemDetail(101, "video", "节目2", "http://s/v.m3u8")))
    found["message"] = failing.send(PlaybackFailed("x"))
    found["notice"] = Remote().send(NoticesLoaded((Notice("r1", "broadcast", "重要直播：全体党员大会",
                                                          "19:30 在 1 号频道播出", 1),)))
    found["offline"] = Remote().send(ConnectionChanged(False)).press(Key.VOL_UP)
    from tests.stb_client.ui.test_guide_grid import guide_open
    found["guide_grid"] = guide_open().press(Key.RIGHT, Key.RIGHT)
    from tests.stb_client.ui.test_study_nav import DETAIL, FAMILY, family, watching
    found["home_family"] = family().press(Key.GREEN, "3")
    found["viewers"] = family().press("5", "2")
    card = StudyCard(7, "张三", 12.5, 32, 2.25, recent=(Lesson("党课：学习二十届三中全会精神", 1, True),),
                     unfinished=(Lesson("党员教育：老党员讲初心故事（上）", 0.3, False, item_id=101, progress=0.4),
                                 Lesson("科普讲座：冬季老年人健康", 0.1, False, item_id=102, progress=0.1)))
    found["study"] = family().press(Key.GREEN, "1", Key.BLUE).send(StudyLoaded(card))
    found["study_empty"] = family().press(Key.BLUE).send(StudyLoaded(StudyCard(7, "张三", 0, 32, 0)))
    found["study_no_household"] = Remote().press(Key.BLUE)
    asked = watching(family().press("5", "2", "1").send(ItemLoaded(DETAIL)), FAMILY.still_watching_s, step=10)
    found["still_watching"] = asked
    from tests.stb_client.ui.test_checkin_nav import tuned
    found["checkin_prompt"] = tuned()
    with_banner = tuned()
    with_banner.state = replace(with_banner.state, banner_until=with_banner.now + 5, digits="12")
    found["checkin_prompt_banner"] = with_banner
    found["checkin_done"] = tuned().press(Key.OK).send(CheckinDone(42, ("张三", "李四", "王五"), "19:31", ("赵六",)))
    found["checkin_refused"] = tuned().press(Key.OK).send(CheckinFailed(
        42, "节目“主题党日：学习二十届三中全会精神”的签到已于 11月24日 19:45 结束。"
            "如确实参加了学习，请联系支部由管理员补记。"))
    from tests.stb_client.ui.test_idle_nav import idle
    from tests.stb_client.ui.test_navigation import CHANNELS
    important = replace(CHANNELS[0], now=Programme("主题党日：学习二十届三中全会精神（第一讲）", "19:00", "20:00",
                                                   important=True))
    found["idle"] = idle(Remote(replace(Remote().state, channels=(important, *CHANNELS[1:]))), 700)
    found["credit_paused"] = watching(family().press("5", "2", "1").send(ItemLoaded(DETAIL)),
                                      FAMILY.still_watching_s + 70, step=10)
    from tests.stb_client.ui.test_home_nav import on_rows, with_rows
    found["home_rows_cue"] = with_rows()
    found["home_recent"] = on_rows(with_rows()).press(Key.DOWN, *[Key.RIGHT] * 6)
    found["home_favourites"] = on_rows(with_rows()).press(Key.DOWN, Key.DOWN, Key.RIGHT)
    found["home_rows_empty"] = on_rows(with_rows((), FAVOURITES_ONE)).press(Key.DOWN)
    found["favourite_added"] = with_rows().press("5", Key.DOWN, Key.RED)
    from tests.stb_client.ui.test_reading_nav import article as read_article
    found["article_reading_cue"] = read_article()
    reading = read_article().press(Key.DOWN, Key.YELLOW)
    found["article_reading"] = reading.send(ReadingPosition(reading.last(ReadAloud).start_s + 41))
    found["article_reading_done"] = read_article().press(Key.YELLOW).send(ReadingEnded())
    found["article_reading_none"] = read_article(None).press(Key.YELLOW)
    return found


SCREENS = screens()


def frame_of(name: str) -> Frame:
    remote = SCREENS[name]
    return render(remote.state, remote.now, "19:28")


def assert_readable(frame: Frame) -> None:
    """Every label at least 36 px, inside the safe area, at least 4.5:1 against what is behind it."""
    assert frame.labels
    for label in frame.labels:
        assert label.size >= 36, label
        width = text_width(label.text, label.size)
        if label.max_width:
            width = min(width, label.max_width)
        left = label.x - width if label.align == "right" else label.x
        assert SAFE_X <= left and left + width <= WIDTH - SAFE_X, label
        assert SAFE_Y <= label.y and label.y + label.size <= HEIGHT - SAFE_Y, label
        assert contrast(label.colour, label.behind) >= 4.5, label


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_text_is_large_inside_the_safe_area_and_readable(name):
    assert_readable(frame_of(name))


@pytest.mark.parametrize("name", ["home", "board", "guide", "guide_grid", "article", "pairing", "viewers", "study"])
def test_menu_screens_have_a_title_of_at_least_60_px(name):
    assert max(label.size for label in frame_of(name).labels) >= TITLE_PX >= 60


@pytest.mark.parametrize("name", ["home", "board", "guide", "guide_grid", "viewers", "study", "home_recent",
                                  "home_favourites", "home_rows_empty"])
def test_exactly_one_focus_ring_around_a_large_target_inside_the_safe_area(name):
    ring = frame_of(name).ring
    assert ring is not None and ring.width >= 6 and ring.scale > 1.0
    assert ring.w >= 120 and ring.h >= 120
    grown_w, grown_h = ring.w * ring.scale, ring.h * ring.scale
    left, top = ring.x - (grown_w - ring.w) / 2, ring.y - (grown_h - ring.h) / 2
    assert SAFE_X <= left and left + grown_w <= WIDTH - SAFE_X
    assert SAFE_Y <= top and top + grown_h <= HEIGHT - SAFE_Y


def test_every_home_tile_can_take_the_focus_and_stay_inside():
    remote = Remote()
    for focus in range(11):
        state = remote.state
        state = type(state)(**{**state.__dict__, "stack": (state.stack[0].__class__(View.HOME, focus=focus),)})
        ring = render(state, remote.now, "19:28").ring
        grown = ring.w * ring.scale
        assert SAFE_X <= ring.x - (grown - ring.w) / 2 and ring.x + ring.w + (grown - ring.w) / 2 <= WIDTH - SAFE_X


def test_a_notice_takes_the_focus_and_a_message_stays_ten_seconds():
    assert frame_of("notice").ring is None
    assert any("按“确定”键收看" in label.text for label in frame_of("notice").labels)
    remote = SCREENS["message"]
    later = render(remote.state, remote.now + MESSAGE_SECONDS - 0.1, "19:28")
    assert any("无法播放" in label.text for label in later.labels)


def test_video_screens_draw_no_background_over_the_picture():
    assert frame_of("player").video and frame_of("live").video
    assert all(box.h < HEIGHT for box in frame_of("live").boxes)


def test_the_offline_banner_is_there_while_offline():
    assert any("网络连接中断" in label.text for label in frame_of("offline").labels)


def test_closing_punctuation_never_starts_a_line():
    from stb_client.ui.layout import NO_LINE_START, wrap

    lines = wrap("社区党费收缴情况公示。" * 20, limit=11)
    assert all(line[0] not in NO_LINE_START for line in lines[1:])
    assert "".join(lines) == "社区党费收缴情况公示。" * 20


def test_board_rows_carry_their_thumbnails_inside_the_safe_area():
    from stb_client.ui.model import ItemsLoaded, ItemSummary

    items = tuple(ItemSummary(n, "video", f"节目{n}", 600.0, "2026-11-23", f"http://s/vod/{n}/thumb.jpg")
                  for n in range(1, 8))
    remote = Remote().press("5").send(ItemsLoaded("b5", items))
    frame = render(remote.state, remote.now, "19:28")
    assert [p.url for p in frame.pictures] == [f"http://s/vod/{n}/thumb.jpg" for n in range(1, 7)]  # one page
    for picture in frame.pictures:
        assert SAFE_X <= picture.x and picture.x + picture.w <= WIDTH - SAFE_X
        assert abs(picture.w / picture.h - 16 / 9) < 0.02


def test_an_article_read_aloud_says_so_in_the_yellow_keys_colour():
    def words(name):
        return [label.text for label in frame_of(name).labels]
    assert any("黄键朗读" in w for w in words("article_reading_cue"))
    assert not any("黄键" in w for w in words("article"))  # no reading: no yellow key promised
    reading = frame_of("article_reading")
    assert "朗读中" in [label.text for label in reading.labels]
    assert any(box.colour == "#FFC107" for box in reading.boxes)
    assert any("第 2/" in w and "停止朗读" in w for w in words("article_reading"))
    # The sentence the voice reads has its lines on a band (and only those).
    from tests.stb_client.ui.test_reading_nav import MARKS, TEXT
    marked = [label.text for label in reading.labels if label.behind != "#0B1A2E" and label.size == 40
              and label.text != "朗读中"]
    sentence = TEXT[MARKS[4][0]:MARKS[5][0]].replace("\n", "")
    assert marked and all(line.replace(" ", "") in sentence.replace(" ", "") for line in marked)
    assert "".join(marked).startswith("第4段")
