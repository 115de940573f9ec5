"""The playout planner: scheduled programmes on time, gaps filled, numbers only forward."""

from __future__ import annotations

import pytest

from server.broadcast.live_playlist import window
from server.broadcast.playout import Anchor, Cursor, Filler, plan, truncate
from server.broadcast.segments import Media

SEGMENT = 2000


def media(base: str, seconds: float) -> Media:
    durations = [SEGMENT] * int(seconds // 2) + ([round(seconds % 2 * 1000)] if seconds % 2 else [])
    return Media(base, tuple(durations), tuple(f"seg_{i:05d}.ts" for i in range(len(durations))),
                 {"720p": ("720p", 720)})


SLATE = media("channels/1/slate", 10)
FILLER = [Filler((0, n), n, f"垫片{n}", media(f"vod/{n}", 7 + n)) for n in (1, 2, 3)]


def anchor(entry_id: int, start_s: float, seconds: float) -> Anchor:
    item = 100 + entry_id
    return Anchor(entry_id, round(start_s * 1000), item, f"节目{entry_id}", media(f"vod/{item}", seconds))


def check_contiguous(rows) -> None:
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.start_ms == before.end_ms
        assert after.seq == before.seq + before.segment_count
        assert after.disc == before.disc + before.wraps_before(before.segment_count - 1) + 1
        assert before.offset_ms(before.segment_count - 1) + before.media.durations_ms[
            before.segment(before.segment_count - 1)] == before.end_ms - before.start_ms


def test_a_programme_starts_within_one_segment_of_its_time_and_cuts_what_plays():
    anchors = [anchor(1, 101.3, 50), anchor(2, 140, 5)]
    rows, _ = plan(Cursor(0, 0, 0), anchors, FILLER, SLATE, 200_000)
    check_contiguous(rows)
    starts = {row.entry_id: row.start_ms for row in rows if row.kind == "programme"}
    assert 101_300 <= starts[1] < 101_300 + SEGMENT
    assert 140_000 <= starts[2] < 140_000 + SEGMENT
    # Programme 1 (50 s from ~102 s) overlaps programme 2 at 140 s: cut after the segment playing then.
    first = next(row for row in rows if row.entry_id == 1)
    assert first.segment_count < len(first.media.durations_ms)
    assert first.end_ms == starts[2]


def test_gaps_take_whole_filler_in_rotation_then_the_slate():
    rows, cursor = plan(Cursor(0, 0, 0), [anchor(1, 30, 4)], FILLER, SLATE, 60_000)
    kinds = [(row.kind, row.item_id) for row in rows]
    # 8 s + 9 s + 10 s fit in 30 s; the 3 s left are slate; after the programme the rotation goes on.
    assert kinds[:5] == [("filler", 1), ("filler", 2), ("filler", 3), ("slate", None), ("programme", 101)]
    assert kinds[5] == ("filler", 1)
    fillers = [row for row in rows if row.kind == "filler"]
    assert all(row.segment_count == len(row.media.durations_ms) for row in fillers)  # never cut
    # Resuming from the returned cursor continues the rotation where it stopped.
    more, _ = plan(cursor, [], FILLER, SLATE, 80_000)
    assert more[0].item_id == (rows[-1].item_id % 3) + 1


def test_nothing_to_fill_with_loops_the_slate_with_a_discontinuity_per_repeat():
    rows, _ = plan(Cursor(0, 50, 7), [anchor(1, 35, 4)], [], SLATE, 60_000)
    slate = rows[0]
    assert slate.kind == "slate" and slate.segment_count == 18  # 36 s of 2 s segments crosses 35 s
    assert [slate.wraps_before(i) for i in (0, 4, 5, 17)] == [0, 0, 1, 3]
    check_contiguous(rows)
    assert rows[1].disc == 7 + 3 + 1


def test_planning_is_deterministic_and_numbers_only_move_forward():
    anchors = [anchor(1, 45, 13), anchor(2, 61, 21.5), anchor(3, 300, 3)]
    first, _ = plan(Cursor(0, 1000, 40), anchors, FILLER, SLATE, 400_000)
    again, _ = plan(Cursor(0, 1000, 40), anchors, FILLER, SLATE, 400_000)
    assert first == again
    previous = None
    for now in range(0, 400_000, 700):  # a simulated clock, at every step
        rows = [row for row in reversed(first) if row.start_ms <= now]
        segments = window(rows, now)
        assert [s.seq for s in segments] == list(range(segments[0].seq, segments[0].seq + len(segments)))
        assert all(b.disc >= a.disc for a, b in zip(segments, segments[1:], strict=False))
        if previous:
            assert segments[0].seq >= previous[0].seq
            known = {s.seq: (s.disc, s.row.media.base, s.row.segment(s.index)) for s in previous}
            for s in segments:  # a segment never changes once published
                if s.seq in known:
                    assert known[s.seq] == (s.disc, s.row.media.base, s.row.segment(s.index))
        assert segments[-1].start_ms <= now < segments[-1].start_ms + segments[-1].duration_ms
        previous = segments


def test_truncate_cuts_after_the_segment_playing_at_the_limit():
    rows, _ = plan(Cursor(0, 0, 0), [anchor(1, 0, 60)], [], SLATE, 10_000)
    cut = truncate(rows[0], 9_000)
    assert (cut.segment_count, cut.end_ms) == (5, 10_000)
    assert truncate(rows[0], 120_000) == rows[0]


@pytest.mark.parametrize("now", [0, 1, 1999, 2000, 59_999, 61_000])
def test_index_at_agrees_with_offsets(now):
    rows, _ = plan(Cursor(0, 0, 0), [anchor(1, 0, 60.5)], [], SLATE, 10_000)
    row = rows[0]
    index = row.index_at(now)
    assert row.offset_ms(index) <= now - row.start_ms or index == 0
    assert index == row.segment_count - 1 or now - row.start_ms < row.offset_ms(index + 1)


def live_anchor(start_s: float, end_s: float, ready_s: float | None, epoch_s: float = 0) -> Anchor:
    from server.broadcast.playout import LiveFeed

    nominal = Media("live/events/9/run-1", (SEGMENT,) * 400, tuple(f"seg_{k:05d}.ts" for k in range(400)),
                    {"720p": ("720p", 720)})
    feed = LiveFeed(nominal, round(epoch_s * 1000), 6000, None if ready_s is None else round(ready_s * 1000),
                    round(end_s * 1000))
    return Anchor(9, round(start_s * 1000), None, "全体党员大会", None, feed)


def test_a_live_event_shows_the_slate_until_its_relay_can_be_shown_then_the_relay():
    rows, _ = plan(Cursor(0, 0, 0), [live_anchor(20, 80, ready_s=31, epoch_s=-40)], FILLER, SLATE, 120_000)
    check_contiguous(rows)
    kinds = [(row.kind, row.entry_id) for row in rows if row.start_ms >= 20_000][:3]
    assert kinds == [("slate", 9), ("live", 9), ("filler", None)]
    live = next(row for row in rows if row.kind == "live")
    assert 31_000 <= live.start_ms < 33_000 and 80_000 <= live.end_ms < 82_000
    # The relay's segment k holds capture time epoch + 2 s k, shown 6 s later.
    assert live.first_segment == (live.start_ms - 6000 + 40_000) // SEGMENT
    slate = next(row for row in rows if row.kind == "slate" and row.entry_id == 9)
    assert slate.title == "全体党员大会"


def test_a_live_event_whose_relay_is_down_is_all_slate_and_ends_on_time():
    rows, _ = plan(Cursor(0, 0, 0), [live_anchor(20, 80, ready_s=None)], FILLER, SLATE, 120_000)
    during = [row for row in rows if row.entry_id == 9]
    assert [row.kind for row in during] == ["slate"]
    assert 80_000 <= during[0].end_ms < 82_000
