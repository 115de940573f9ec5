"""Reading aloud (朗读) in the reducer: the yellow key, the page following the voice, Back stopping it."""

from __future__ import annotations

import pytest

from stb_client.ui.keys import Key
from stb_client.ui.layout import article_pages, page_starts
from stb_client.ui.model import (
    ItemDetail,
    ItemLoaded,
    ReadAloud,
    Reading,
    ReadingEnded,
    ReadingFailed,
    ReadingPosition,
    StopReading,
    View,
)
from stb_client.ui.reading_nav import offset_at, page_of, start_at
from tests.stb_client.ui.test_navigation import Remote

# 12 paragraphs of about 150 characters: several pages. Each paragraph is one mark, read in 40 s.
TEXT = "\n\n".join(f"第{n}段：" + "社区党员学习新思想，做好邻里服务。" * 8 for n in range(12))
MARKS = tuple((TEXT.index(f"第{n}段"), 40.0 * n) for n in range(12))
READING = Reading("http://s/r.m4a", 480.0, MARKS)


def article(reading: Reading | None = READING) -> Remote:
    return Remote().press("5", "5").send(ItemLoaded(ItemDetail(104, "article", "关于主题党日的通知", text=TEXT,
                                                               reading=reading)))


def test_the_yellow_key_reads_from_the_page_shown():
    remote = article().press(Key.DOWN)
    starts = page_starts(TEXT)
    remote.press(Key.YELLOW)
    assert remote.state.reading is not None and remote.state.screen.page == 1
    # From the start of the sentence the page begins in (not the middle of it).
    expected = start_at(MARKS, starts[1], len(TEXT), 480.0)
    assert remote.last(ReadAloud) == ReadAloud("http://s/r.m4a", expected)
    assert expected == max(at for offset, at in MARKS if offset <= starts[1])


def test_the_page_follows_the_voice_and_never_turns_back_before_its_start():
    remote = article().press(Key.DOWN, Key.YELLOW)
    starts = page_starts(TEXT)
    reading_start = remote.last(ReadAloud).start_s
    remote.send(ReadingPosition(reading_start + 0.5))  # the end of page 0's sentence: page 1 stays
    assert remote.state.screen.page == 1
    # Just past the moment the voice reaches page 2's first character.
    second = next(n for n, (offset, _) in enumerate(MARKS) if offset > starts[2]) - 1
    offset, at = MARKS[second]
    next_offset, next_at = MARKS[second + 1]
    reaches = at + (starts[2] - offset) / (next_offset - offset) * (next_at - at)
    remote.send(ReadingPosition(reaches - 1))
    assert remote.state.screen.page == 1
    before = remote.state
    remote.send(ReadingPosition(reaches - 0.5))
    assert remote.state is before  # nothing changed on screen: the same state, nothing drawn again
    remote.send(ReadingPosition(reaches + 1))
    assert remote.state.screen.page == 2


def test_turning_the_page_by_hand_reads_from_there():
    remote = article().press(Key.YELLOW)
    remote.press(Key.DOWN)
    assert remote.state.screen.page == 1
    assert remote.last(ReadAloud).start_s == start_at(MARKS, page_starts(TEXT)[1], len(TEXT), 480.0)
    remote.press(Key.UP)
    assert remote.state.screen.page == 0 and remote.last(ReadAloud).start_s == 0.0


def test_back_stops_the_reading_and_stays_then_leaves():
    remote = article().press(Key.YELLOW)
    remote.effects.clear()
    remote.press(Key.BACK)
    assert remote.view is View.ARTICLE and remote.state.reading is None
    assert remote.effects == [StopReading()]
    remote.press(Key.BACK)
    assert remote.view is View.BOARD


def test_yellow_again_stops_it():
    remote = article().press(Key.YELLOW, Key.YELLOW)
    assert remote.state.reading is None and remote.last(StopReading) == StopReading()


@pytest.mark.parametrize("leave", [Key.HOME, Key.BACK_LONG])
def test_leaving_the_article_any_way_stops_the_voice(leave):
    remote = article().press(Key.YELLOW)
    remote.effects.clear()
    remote.press(leave)
    assert remote.view is View.HOME and remote.state.reading is None
    assert StopReading() in remote.effects


def test_ok_on_the_last_page_leaves_and_stops():
    remote = article().press(*[Key.DOWN] * len(article_pages(TEXT)), Key.YELLOW)
    remote.press(Key.OK)
    assert remote.view is View.BOARD and remote.last(StopReading) == StopReading()


def test_an_article_without_a_reading_says_so():
    remote = article(None).press(Key.YELLOW)
    assert remote.state.reading is None and remote.last(ReadAloud) is None
    assert remote.state.message.message_id == "stb.reading_none"


def test_the_end_and_a_failure_are_said_and_the_article_stays():
    remote = article().press(Key.YELLOW).send(ReadingEnded())
    assert remote.view is View.ARTICLE and remote.state.reading is None
    assert remote.state.message.message_id == "stb.reading_done"
    failed = article().press(Key.YELLOW).send(ReadingFailed("x"))
    assert failed.state.reading is None and failed.state.message.message_id == "stb.reading_failed"
    # A late report of a reading already stopped changes nothing.
    stopped = article().press(Key.YELLOW, Key.BACK)
    before = stopped.state
    stopped.send(ReadingPosition(300), ReadingEnded())
    assert stopped.state is before


def test_offsets_are_interpolated_between_marks_and_the_end():
    marks = ((0, 0.0), (100, 10.0))
    assert offset_at(marks, 5.0, 300, 30.0) == 50.0
    assert offset_at(marks, 20.0, 300, 30.0) == 200.0  # towards the end of the text at the end of the audio
    assert offset_at(marks, 99.0, 300, 30.0) == 300.0
    assert offset_at((), 15.0, 300, 30.0) == 150.0  # a recorded reading has no marks: in proportion
    assert page_of([0, 120, 250], 119.9) == 0 and page_of([0, 120, 250], 120) == 1


def test_page_starts_are_offsets_of_each_pages_first_character():
    text = "第一段话。\n\n  第二段  有空格\n的话。\n\n\n\n第三段" + "很长" * 100
    pages = article_pages(text, 4)
    starts = page_starts(text, 4)
    assert len(starts) == len(pages)
    for lines, start in zip(pages, starts, strict=True):
        first = next(line for line in lines if line)
        assert text[start:start + 4] == first[:4]


def test_a_recording_without_marks_starts_and_follows_in_proportion():
    recorded = Reading("http://s/r/master.m3u8", 480.0)
    remote = article(recorded).press(Key.DOWN, Key.DOWN, Key.YELLOW)
    starts = page_starts(TEXT)
    start = remote.last(ReadAloud).start_s
    assert start == pytest.approx(480.0 * starts[2] / len(TEXT) - 3.0)
    remote.send(ReadingPosition(480.0 * starts[3] / len(TEXT) + 1))
    assert remote.state.screen.page == 3


def test_the_article_fetched_again_without_its_reading_stops_the_voice_and_never_crashes():
    remote = article().press(Key.YELLOW)
    remote.effects.clear()
    remote.send(ItemLoaded(ItemDetail(104, "article", "关于主题党日的通知", text=TEXT, reading=None)))
    assert remote.state.reading is None and remote.effects == [StopReading()]
    assert remote.state.message.message_id == "stb.reading_changed"
    remote.press(Key.DOWN, Key.YELLOW, Key.UP)  # pages turn as usual; yellow says there is no reading
    assert remote.state.message.message_id == "stb.reading_none" and remote.last(ReadAloud) is None


def test_the_same_article_fetched_again_unchanged_goes_on_reading():
    remote = article().press(Key.YELLOW)
    remote.send(ItemLoaded(ItemDetail(104, "article", "关于主题党日的通知", text=TEXT, reading=READING)))
    assert remote.state.reading is not None


def test_the_screen_does_not_dim_while_an_article_is_read():
    remote = article().press(Key.YELLOW)
    for _ in range(70):
        remote.wait(10)
    assert not remote.state.dimmed
    remote.press(Key.YELLOW).wait(610)
    assert remote.state.dimmed
