"""The reducer's playback half: the video player, live TV, number entry and the player's reports.

Pure like navigation.py (which imports this, never the other way round):
state and events in, state and effects out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from stb_client.ui import checkin_nav, home_nav, quiz_nav, watch
from stb_client.ui.keys import Key
from stb_client.ui.model import (
    MESSAGE_SECONDS,
    NUMBER_ENTRY_SECONDS,
    POSITION_REPORT_SECONDS,
    SEEK_SECONDS,
    SUBTITLE_SIZES,
    Channel,
    FetchChannels,
    FetchItem,
    FetchQuiz,
    HomeEntry,
    ItemDetail,
    Play,
    Playback,
    PlaybackEnded,
    PlaybackFailed,
    PlaybackPosition,
    Prepare,
    ReportPosition,
    Screen,
    SeekTo,
    SetPaused,
    SetSubtitles,
    ShowSubtitles,
    State,
    Stop,
    View,
)
from stb_client.ui.stack import find_channel, pop, replace_top, say

RETRY_MAX_S = 30.0
DETAILS_FRESH_SECONDS = 3600.0  # the server's stream URLs stay valid for hours; refetch after one
Effects = tuple


def stop_playback(state: State, now: float) -> tuple[State, Effects]:
    """Stop whatever plays; a video's position goes to the server (the resume point), the watch interval too."""
    playback = state.playback
    if playback is None:
        return state, ()
    state, closed = watch.close(state, now, playback.position_s)
    effects: list = [Stop()]
    if playback.item_id is not None:
        effects.append(ReportPosition(playback.item_id, playback.position_s))
    effects += closed
    return replace(state, playback=None, retry_at=None, failures=0), tuple(effects)


# ---- video on demand ----------------------------------------------------------------------

def open_video(state: State, item_id: int, now: float) -> tuple[State, Effects]:
    """Open the player for a video: at once from details fetched lately, else after fetching them (their
    stream URL is signed and expires, and the resume point may have moved)."""
    state = replace(state, stack=(*state.stack, Screen(View.PLAYER, item_id=item_id)))
    detail = state.details.get(item_id)
    if detail is not None and detail.hls_url and now - detail.loaded_at < DETAILS_FRESH_SECONDS:
        state, effects = _start_video(state, detail, now)
        return state, (*effects, FetchQuiz(item_id))  # its quiz follows the end (quiz_nav.py)
    return state, (FetchItem(item_id), FetchQuiz(item_id))


def subtitles_for(detail: ItemDetail | None, size: str) -> str | None:
    """The URL of a video's subtitles at the viewer's size (the standard ones where that size is missing)."""
    if detail is None:
        return None
    return dict(detail.subtitle_sizes).get(size) or detail.subtitles_url


def _start_video(state: State, detail: ItemDetail, now: float) -> tuple[State, Effects]:
    playback = Playback(detail.hls_url, item_id=detail.id, position_s=detail.resume_s, duration_s=detail.duration_s,
                        subtitles=detail.subtitles_url is not None, controls_until=now + MESSAGE_SECONDS,
                        reported_at=now, reported_s=detail.resume_s)
    return replace(state, playback=playback), (
        Play(detail.hls_url, detail.resume_s, subtitles_for(detail, state.subtitle_size)),)


def start_if_waiting(state: State, detail: ItemDetail, now: float) -> tuple[State, Effects]:
    """An item's details arrived: start it if the player is waiting for it."""
    screen = state.screen
    if screen.view is not View.PLAYER or screen.item_id != detail.id or state.playback is not None:
        return state, ()
    if not detail.hls_url:
        return say(pop(state), "stb.cannot_play", now), ()
    return _start_video(state, detail, now)


def _player_key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    playback = state.playback
    if key is Key.BACK:
        state, effects = stop_playback(state, now)
        return pop(state), effects
    if playback is None:
        return state, ()
    shown = now + MESSAGE_SECONDS
    if key is Key.OK:
        visible = playback.controls_until > now
        return replace(state, playback=replace(playback, controls_until=0.0 if visible else shown)), ()
    if key in (Key.LEFT, Key.RIGHT):
        step = SEEK_SECONDS if key is Key.RIGHT else -SEEK_SECONDS
        end = playback.duration_s if playback.duration_s else playback.position_s + SEEK_SECONDS
        target = max(0.0, min(end, playback.position_s + step))
        state, closed = watch.close(state, now, playback.position_s)  # skipped or replayed media never counts
        return replace(state, playback=replace(playback, position_s=target, controls_until=shown)), (
            *closed, SeekTo(target))
    if key is Key.PLAY_PAUSE:
        paused = not playback.paused
        state, closed = watch.close(state, now, playback.position_s) if paused else (state, ())
        return replace(state, playback=replace(playback, paused=paused, controls_until=shown)), (
            *closed, SetPaused(paused))
    if key is Key.GREEN and quiz_nav.has_quiz(state, playback.item_id):  # 随堂测验 now, without the rest
        state, effects = stop_playback(state, now)
        state, more = quiz_nav.start(pop(state), playback.item_id)
        return state, effects + more
    if key is Key.RED and playback.item_id in state.details:  # 收藏 the video playing (or taken away)
        detail = state.details[playback.item_id]
        entry = HomeEntry(detail.id, detail.kind, detail.title, duration_s=detail.duration_s)
        state, effects = home_nav.toggle(state, entry, now)
        return replace(state, playback=replace(state.playback, controls_until=shown)), effects
    if key is Key.YELLOW:
        on = not playback.subtitles
        return replace(state, playback=replace(playback, subtitles=on, controls_until=shown)), (ShowSubtitles(on),)
    if key is Key.BLUE:  # the subtitles' size, the next one of SUBTITLE_SIZES (after the largest, the smallest)
        return _next_subtitle_size(state, playback, now)
    if key in (Key.UP, Key.DOWN):
        return replace(state, playback=replace(playback, controls_until=shown)), ()
    return state, ()


def _next_subtitle_size(state: State, playback: Playback, now: float) -> tuple[State, Effects]:
    """Step the subtitles' size: the track at that size joins the video playing and is shown (no restart);
    the size is kept for every video after."""
    index = SUBTITLE_SIZES.index(state.subtitle_size) if state.subtitle_size in SUBTITLE_SIZES else 0
    size = SUBTITLE_SIZES[(index + 1) % len(SUBTITLE_SIZES)]
    url = subtitles_for(state.details.get(playback.item_id), size)
    if url is None:  # nothing to size: say so, and keep the size
        return say(state, "stb.no_subtitles", now), ()
    state = say(replace(state, subtitle_size=size, playback=replace(
        playback, subtitles=True, controls_until=now + MESSAGE_SECONDS)), f"stb.subtitle_size_{size}", now)
    return state, (SetSubtitles(url),)


# ---- live TV ---------------------------------------------------------------------------------

def _channel(state: State, number: int | None) -> Channel | None:
    return find_channel(state.channels, number)


def tune(state: State, number: int, now: float, step: int = 1) -> tuple[State, Effects]:
    """Switch the live screen (on top) to channel `number`, with its banner, and prepare the channel the viewer
    is likeliest to go to next: the neighbour in the direction of their last step (up after a number)."""
    channel = _channel(state, number)
    if channel is None:
        return state, ()
    state, closed = watch.close(state, now)
    state = replace_top(state, replace(state.screen, channel=number))
    state = replace(state, playback=Playback(channel.stream_url, channel=number), banner_until=now + MESSAGE_SECONDS,
                    last_channel=number, digits="", digits_deadline=None, retry_at=None, failures=0)
    return state, (*closed, Play(channel.stream_url), *_prepare_neighbour(state, number, step))


def _neighbour(state: State, number: int, step: int) -> Channel | None:
    """The channel CH+ (step 1) or CH- (step -1) goes to from `number`, the list wrapping round."""
    numbers = [c.number for c in state.channels]
    if number not in numbers:
        return None
    return state.channels[(numbers.index(number) + step) % len(numbers)]


def _prepare_neighbour(state: State, number: int, step: int) -> Effects:
    neighbour = _neighbour(state, number, step)
    if neighbour is None or neighbour.number == number or not neighbour.lowest_url:
        return ()
    return (Prepare(neighbour.stream_url, neighbour.lowest_url),)


def watch_channel(state: State, number: int, now: float) -> tuple[State, Effects]:
    """Live TV on channel `number`, from wherever the viewer is."""
    effects: tuple = ()
    if state.screen.view is not View.LIVE:
        if state.playback is not None:
            state, effects = stop_playback(state, now)
        state = replace(state, stack=(*state.stack, Screen(View.LIVE)))
    state, more = tune(state, number, now)
    return state, effects + more


def open_live(state: State, now: float) -> tuple[State, Effects]:
    """Live TV on the last channel watched, else the first."""
    if not state.channels:
        return say(state, "stb.no_channels", now), (FetchChannels(),)
    number = state.last_channel if _channel(state, state.last_channel) else state.channels[0].number
    return watch_channel(state, number, now)


def _step_channel(state: State, step: int, now: float) -> tuple[State, Effects]:
    if not state.channels:
        return state, ()
    current = state.screen.channel if _channel(state, state.screen.channel) else state.channels[0].number
    return tune(state, _neighbour(state, current, step).number, now, step)


def _live_key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    if key.digit is not None or (key is Key.OK and state.digits):
        return number_entry(state, key, now, [str(c.number) for c in state.channels],
                            lambda s, number: tune(s, int(number), now))
    if key in (Key.CH_UP, Key.UP):
        return _step_channel(state, 1, now)
    if key in (Key.CH_DOWN, Key.DOWN):
        return _step_channel(state, -1, now)
    if key is Key.OK:
        return checkin_nav.on_ok(state, now) or (replace(state, banner_until=now + MESSAGE_SECONDS), ())
    if key is Key.MENU:
        return replace(state, stack=(*state.stack, Screen(View.GUIDE, focus=_guide_focus(state)))), (FetchChannels(),)
    if key is Key.BACK:
        state, effects = stop_playback(state, now)
        return pop(replace(state, digits="", digits_deadline=None)), effects
    return state, ()


def _guide_focus(state: State) -> int:
    numbers = [c.number for c in state.channels]
    return numbers.index(state.screen.channel) if state.screen.channel in numbers else 0


def channels_changed(state: State, before: Sequence[Channel], now: float) -> tuple[State, Effects]:
    """New guide data: on live TV, a new programme on the channel shows the banner again."""
    if state.screen.view is View.LIVE:
        old, new = find_channel(before, state.screen.channel), _channel(state, state.screen.channel)
        if new is not None and (old is None or old.now != new.now):
            state = replace(state, banner_until=now + MESSAGE_SECONDS)
    return state, ()


# ---- number entry (channels, board items) ----------------------------------------------------

def number_entry(state: State, key: Key, now: float, numbers: Sequence[str],
                 choose: Callable[[State, str], tuple[State, Effects]]) -> tuple[State, Effects]:
    """Digits show at once; the choice is made at OK, when the number is unique, or 2 s after the
    last digit (on_tick). A number that matches nothing is dropped."""
    digits = state.digits + key.value if key.digit is not None else state.digits
    if key is Key.OK or (digits in numbers and not any(n != digits and n.startswith(digits) for n in numbers)):
        cleared = replace(state, digits="", digits_deadline=None)
        return choose(cleared, digits) if digits in numbers else (cleared, ())
    if not any(n.startswith(digits) for n in numbers):
        return replace(state, digits="", digits_deadline=None), ()
    return replace(state, digits=digits, digits_deadline=now + NUMBER_ENTRY_SECONDS), ()


def _commit_digits(state: State, now: float) -> tuple[State, Effects]:
    digits, screen = state.digits, state.screen
    state = replace(state, digits="", digits_deadline=None)
    if screen.view is View.LIVE and _channel(state, int(digits)):
        return tune(state, int(digits), now)
    return state, ()  # a board's digits are committed by navigation.py, which owns the menus


# ---- the player's reports and time ------------------------------------------------------------

def on_key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    """Answer a key pressed in the video player or on live TV."""
    if state.screen.view is View.PLAYER:
        return _player_key(state, key, now)
    if state.screen.view is View.LIVE:
        return _live_key(state, key, now)
    return state, ()


def on_tick(state: State, now: float) -> tuple[State, Effects]:
    """Time passes: commit typed digits when due, report a video's position now and then (the watch checkpoint
    carries it while an interval is open), retry a live stream."""
    effects: list = []
    if state.digits_deadline is not None and now >= state.digits_deadline:
        state, more = _commit_digits(state, now)
        effects += more
    playback = state.playback
    carried = state.watch is not None and playback is not None and state.watch.item_id == playback.item_id
    if playback is not None and playback.item_id is not None and not playback.paused and not carried \
            and now - playback.reported_at >= POSITION_REPORT_SECONDS:
        effects.append(ReportPosition(playback.item_id, playback.position_s))
        state = replace(state, playback=replace(playback, reported_at=now, reported_s=playback.position_s))
    if state.retry_at is not None and now >= state.retry_at and state.playback is not None:
        state = replace(state, retry_at=None)
        effects.append(Play(state.playback.url))
    state, more = watch.on_tick(state, now)
    return state, (*effects, *more)


def on_event(state: State, event: object, now: float) -> tuple[State, Effects]:
    """Answer a player report: a position, a video's end (report it, close), or a failure (retry live, else stop)."""
    playback = state.playback
    if isinstance(event, PlaybackPosition) and playback is not None:
        duration = event.duration_s or playback.duration_s
        state = replace(state, playback=replace(playback, position_s=event.position_s, duration_s=duration),
                        failures=0)
        return watch.on_position(state, event.position_s, now)
    if isinstance(event, PlaybackEnded) and playback is not None and playback.item_id is not None:
        end = playback.duration_s or playback.position_s
        state, closed = watch.close(state, now, end)
        state = replace(state, playback=None)
        ended = (Stop(), ReportPosition(playback.item_id, end), *closed)
        if state.screen.view is not View.PLAYER:
            return state, ended
        state, quiz = quiz_nav.after_video(pop(state), playback.item_id)  # its quiz follows, when it has one
        return state, ended + quiz
    if isinstance(event, PlaybackFailed) and playback is not None:
        if playback.channel is not None:  # live: the stream may come back; try again, less and less often
            failures = state.failures + 1
            delay = min(RETRY_MAX_S, 2.0 ** failures)
            state, closed = watch.close(state, now)
            return say(replace(state, failures=failures, retry_at=now + delay), "stb.live_retrying", now), closed
        state, effects = stop_playback(state, now)
        state = pop(state) if state.screen.view is View.PLAYER else state
        return say(state, "stb.cannot_play", now), effects
    return state, ()
