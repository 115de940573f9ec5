"""The reducer's reading aloud (朗读): an article read to the viewer, the page following the voice.

- The yellow key on an article starts its reading from the page shown (from the start of the
  sentence that page begins in), or stops it; an article without one says so.
- While it reads, the page turns when the voice reaches the next page's first line: the position
  in the text is interpolated between the marks (sentence starts) around the voice's position,
  and the page never turns back before the one the reading started from. The lines of the
  sentence being read are marked, so the eye can follow the voice.
- Turning the page by hand reads from there; Back stops the reading and stays on the article (a
  second Back leaves it); leaving the article any other way stops it too (`stop_if_left`).
"""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui.keys import Key
from stb_client.ui.layout import article_pages, page_starts
from stb_client.ui.model import (
    MESSAGE_SECONDS,
    ItemDetail,
    Message,
    ReadAloud,
    ReadingEnded,
    ReadingFailed,
    ReadingPosition,
    ReadingRun,
    State,
    StopReading,
    View,
)

Effects = tuple


def offset_at(marks: tuple[tuple[int, float], ...], position_s: float, text_length: int,
              duration_s: float) -> float:
    """Where in the text the voice is at `position_s`: between the marks around it, in proportion."""
    points = [*(marks or ((0, 0.0),)), (text_length, duration_s)]  # no marks: in proportion to the length
    for (offset, at), (next_offset, next_at) in zip(points, points[1:], strict=False):
        if position_s < next_at:
            share = 0.0 if next_at <= at else max(0.0, position_s - at) / (next_at - at)
            return offset + share * (next_offset - offset)
    return float(text_length)


def start_at(marks: tuple[tuple[int, float], ...], offset: int, text_length: int, duration_s: float) -> float:
    """Where in the audio to start for a page beginning at `offset`: the start of the sentence it begins in
    (a recording has no marks: in proportion, a few seconds early so no word is cut)."""
    if not marks:
        return max(0.0, duration_s * offset / max(1, text_length) - 3.0) if offset > 0 else 0.0
    start = 0.0
    for mark_offset, at in marks:
        if mark_offset > offset:
            break
        start = at
    return start


def page_of(starts: list[int], offset: float) -> int:
    """The page whose text holds `offset`."""
    page = 0
    for number, start in enumerate(starts):
        if start <= offset:
            page = number
    return page


def _reading_screen(state: State) -> bool:
    run, screen = state.reading, state.screen
    return run is not None and screen.view is View.ARTICLE and screen.item_id == run.item_id


def _say(state: State, message_id: str, now: float) -> State:
    return replace(state, message=Message(message_id, until=now + MESSAGE_SECONDS))


def _read_from(state: State, page: int, now: float) -> tuple[State, Effects]:
    screen = state.screen
    detail = state.details.get(screen.item_id)
    reading = detail.reading if detail is not None else None
    if reading is None:  # gone meanwhile (the article was fetched again without one)
        state, effects = stop(state)
        return _say(state, "stb.reading_none", now), effects
    starts = page_starts(detail.text)
    page = max(0, min(page, len(starts) - 1))
    state = replace(state, reading=ReadingRun(screen.item_id, page),
                    stack=(*state.stack[:-1], replace(screen, page=page)))
    return state, (ReadAloud(reading.url, start_at(reading.marks, starts[page], len(detail.text),
                                                   reading.duration_s)),)


def stop(state: State) -> tuple[State, Effects]:
    """Stop the reading (if one plays)."""
    if state.reading is None:
        return state, ()
    return replace(state, reading=None), (StopReading(),)


def toggle(state: State, now: float) -> tuple[State, Effects]:
    """The yellow key on an article: read it aloud from the page shown, or stop."""
    if state.reading is not None:
        return stop(state)
    detail = state.details.get(state.screen.item_id)
    if detail is None:
        return state, ()
    if detail.reading is None:
        return _say(state, "stb.reading_none", now), ()
    return _read_from(state, state.screen.page, now)


def on_key(state: State, key: Key, now: float) -> tuple[State, Effects] | None:
    """An article's key while it is read aloud; None for the keys the article handles as usual."""
    if not _reading_screen(state):
        return None
    detail = state.details[state.screen.item_id]
    pages = len(article_pages(detail.text))
    if key is Key.BACK:
        return stop(state)
    if key in (Key.DOWN, Key.RIGHT, Key.CH_DOWN) or (key is Key.OK and state.screen.page < pages - 1):
        return _read_from(state, state.screen.page + 1, now)
    if key in (Key.UP, Key.LEFT, Key.CH_UP):
        return _read_from(state, state.screen.page - 1, now)
    return None  # OK on the last page leaves as it does without the voice (and the reading stops)


def on_position(state: State, event: ReadingPosition, now: float) -> tuple[State, Effects]:
    """The voice moved on: turn to the page it reads (only when that changes the screen)."""
    if not _reading_screen(state):
        return state, ()
    screen = state.screen
    detail = state.details[screen.item_id]
    reading = detail.reading
    if reading is None:
        return state, ()
    offset = offset_at(reading.marks, event.position_s, len(detail.text), reading.duration_s)
    page = max(state.reading.from_page, page_of(page_starts(detail.text), offset))
    sentence = sentence_at(reading.marks, event.position_s)
    if page == screen.page and sentence == state.reading.sentence:
        return state, ()  # nothing changes on screen: the same state, nothing drawn again
    return replace(state, reading=replace(state.reading, sentence=sentence),
                   stack=(*state.stack[:-1], replace(screen, page=page))), ()


def sentence_at(marks: tuple[tuple[int, float], ...], position_s: float) -> int:
    """The index of the mark (sentence) the voice is in at `position_s` (-1 before the first, or no marks)."""
    found = -1
    for index, (_, at) in enumerate(marks):
        if at <= position_s:
            found = index
    return found


def sentence_span(marks: tuple[tuple[int, float], ...], index: int, text_length: int) -> tuple[int, int] | None:
    """The offsets [start, end) of the `index`-th sentence in the text (None for none)."""
    if not 0 <= index < len(marks):
        return None
    return marks[index][0], marks[index + 1][0] if index + 1 < len(marks) else text_length


def on_ended(state: State, event: ReadingEnded, now: float) -> tuple[State, Effects]:
    """The reading came to its end: the article stays on its last page."""
    if state.reading is None:
        return state, ()
    return _say(replace(state, reading=None), "stb.reading_done", now), ()


def on_failed(state: State, event: ReadingFailed, now: float) -> tuple[State, Effects]:
    """The reading could not be played: say so; the article stays."""
    if state.reading is None:
        return state, ()
    return _say(replace(state, reading=None), "stb.reading_failed", now), ()


def on_detail(state: State, before: ItemDetail | None, now: float) -> tuple[State, Effects]:
    """The article being read was fetched again: a changed reading (or text) stops the voice, whose marks
    no longer fit what is on screen; the viewer presses yellow again."""
    run = state.reading
    after = state.details.get(run.item_id) if run is not None else None
    if run is None or before is None or after is None or \
            (after.reading == before.reading and after.text == before.text):
        return state, ()
    state, effects = stop(state)
    return _say(state, "stb.reading_changed", now), effects


def stop_if_left(after: State) -> tuple[State, Effects]:
    """After any step: a reading whose article is no longer on screen stops."""
    if after.reading is not None and not _reading_screen(after):
        return stop(after)
    return after, ()
