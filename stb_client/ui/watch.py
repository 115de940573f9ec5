"""Study time on the box: the watch interval open now, its checkpoints, and "还在看吗？".

Pure, like the rest of ui/. An interval opens when the player reports a position
while playing and someone is credited (a box with no household reports none)
(so time spent loading, paused or in the menus is never in one),
grows with each report, and closes at a seek, a pause, a channel change, the end
or a stop: each close sends ReportWatch. Every CHECKPOINT_SECONDS the open
interval is sent as it is so far (the server keeps the longest), so a power cut
loses at most that much; a video's checkpoint also carries its resume point, so
a playing box makes one request every half minute, not two.

After the household's `still_watching_s` without a key press during playback the
TV asks "还在看吗？"; the interval closes at that moment. A key within `answer_s`
opens it again from there (nothing is lost); without one, credit pauses until a
key is pressed, while the picture goes on.
"""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui.model import ReportWatch, State, Watch

CHECKPOINT_SECONDS = 30.0
JUMP_SECONDS = 5.0  # a position this far from where the interval stands is a jump, not playing
MIN_SECONDS = 1.0  # the server counts nothing shorter


def credited_members(state: State) -> tuple[int, ...]:
    """Who an interval is for: the members chosen in "谁在看", else the only member, else nobody."""
    if state.viewers is not None:
        return state.viewers
    members = state.household.members
    return (members[0].id,) if len(members) == 1 else ()


def _report(watch: Watch, ended: float) -> ReportWatch:
    return ReportWatch(watch.started, ended, watch.item_id, watch.channel, watch.from_s, watch.to_s, watch.members)


def close(state: State, now: float, to_s: float | None = None) -> tuple[State, tuple]:
    """End the open interval (at media position `to_s` when given) and send it; nothing when none is open."""
    watch = state.watch
    if watch is None:
        return state, ()
    if to_s is not None and watch.item_id is not None:
        watch = replace(watch, to_s=max(watch.from_s, to_s))
    if now - watch.started < MIN_SECONDS:
        return replace(state, watch=None), ()  # a seek right after another: nothing to count
    return replace(state, watch=None), (_report(watch, now),)


def on_position(state: State, position_s: float, now: float) -> tuple[State, tuple]:
    """The player says where it is: open an interval when playing and credit is not paused, else extend it."""
    playback = state.playback
    if playback is None or playback.paused or state.credit_paused or state.still_asked_at is not None:
        return state, ()
    watch = state.watch
    if watch is None:
        if not credited_members(state):
            return state, ()  # nobody to credit (no household yet): the server would keep nothing
        return replace(state, watch=_opened(state, position_s, now)), ()
    if watch.item_id is None:
        return replace(state, watch=replace(watch, seen_at=now)), ()
    # Playing moves the position by about the time passed; anything else is a jump (a seek or a stream
    # that came back elsewhere) and starts a new interval, so skipped media never counts.
    if not watch.to_s - JUMP_SECONDS <= position_s <= watch.to_s + (now - watch.seen_at) + JUMP_SECONDS:
        state, effects = close(state, now)
        return replace(state, watch=_opened(state, position_s, now)), effects
    return replace(state, watch=replace(watch, to_s=max(watch.to_s, position_s), seen_at=now)), ()


def _opened(state: State, position_s: float, now: float) -> Watch:
    playback = state.playback
    return Watch(started=now, item_id=playback.item_id, channel=playback.channel,
                 from_s=position_s if playback.item_id is not None else 0.0,
                 to_s=position_s if playback.item_id is not None else 0.0,
                 members=credited_members(state), checkpoint_at=now, seen_at=now)


def on_tick(state: State, now: float) -> tuple[State, tuple]:
    """Time passes: send a checkpoint of the open interval; ask "还在看吗？" after long silence; give up on it."""
    effects: tuple = ()
    household = state.household
    if state.still_asked_at is not None and now - state.still_asked_at >= household.answer_s:
        state = replace(state, still_asked_at=None, held=None, credit_paused=True)
    playback = state.playback
    if (playback is not None and not playback.paused and household.still_watching_s > 0
            and state.still_asked_at is None and not state.credit_paused
            and now - state.last_key_at >= household.still_watching_s):
        held = state.watch
        state, effects = close(state, now)
        return replace(state, still_asked_at=now, held=held), effects
    watch = state.watch
    if watch is not None and now - watch.checkpoint_at >= CHECKPOINT_SECONDS:
        state = replace(state, watch=replace(watch, checkpoint_at=now))
        report = _report(watch, now)
        if playback is not None and watch.item_id is not None and playback.item_id == watch.item_id:
            report = replace(report, position_s=playback.position_s)  # the resume point, in the same request
            state = replace(state, playback=replace(playback, reported_at=now, reported_s=playback.position_s))
        effects = (report,)
    return state, effects


def on_key(state: State, now: float) -> tuple[State, bool]:
    """A key was pressed: the viewer is there. Answers "还在看吗？" (the key is then used up: True) and
    lifts a pause of credit; a choice of viewers lapses after the household's idle time."""
    if state.viewers is not None and now - state.last_key_at >= state.household.viewers_idle_s:
        state = replace(state, viewers=None)
    state = replace(state, last_key_at=now)
    if state.still_asked_at is not None:
        held = state.held
        watch = None if held is None else replace(held, started=state.still_asked_at, from_s=held.to_s,
                                                  checkpoint_at=now, seen_at=state.still_asked_at)
        return replace(state, still_asked_at=None, held=None, watch=watch), True
    if state.credit_paused:
        return replace(state, credit_paused=False), False
    return state, False
