"""The reducer's study screens: "谁在看？" (who is watching) and 我的学习 (my study).

Pure like the other halves. A box whose household has more than one member asks
"谁在看？" once before the first video or channel: one line per member and
"全家一起", chosen with the digit key (or arrows and OK). The choice holds until
the box has been idle for the household's idle time or is switched off (it is
never stored). 我的学习 shows one member's year against the target, this month,
the last lessons and unfinished ones to resume with OK or their number.
"""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui import playback_nav, quiz_nav
from stb_client.ui.keys import Key
from stb_client.ui.model import FetchHousehold, FetchStudy, Screen, State, View
from stb_client.ui.stack import pop, push

Effects = tuple


def needs_viewers(state: State) -> bool:
    """Whether the box must ask "谁在看？" before playing: several members and no choice (or it lapsed)."""
    return len(state.household.members) > 1 and state.viewers is None


def ask_viewers(state: State, pending: tuple[str, int] | None) -> tuple[State, Effects]:
    """Show "谁在看？"; `pending` ("item", id), ("quiz", video id) or ("channel", n; 0 for the last one) is
    opened after the choice."""
    return replace(push(state, Screen(View.VIEWERS)), pending=pending), ()


def play_item(state: State, item_id: int, now: float) -> tuple[State, Effects]:
    """Open a video, asking "谁在看？" first when the household needs it."""
    if needs_viewers(state):
        return ask_viewers(state, ("item", item_id))
    return playback_nav.open_video(state, item_id, now)


def take_quiz(state: State, item_id: int, now: float) -> tuple[State, Effects]:
    """A video's quiz (随堂测验) from its board, asking "谁在看？" first when needed: the attempt is theirs."""
    if needs_viewers(state):
        return ask_viewers(state, ("quiz", item_id))
    return quiz_nav.start(state, item_id)


def play_channel(state: State, number: int | None, now: float) -> tuple[State, Effects]:
    """Live TV on channel `number` (None: the last one watched), asking "谁在看？" first when needed."""
    if needs_viewers(state):
        return ask_viewers(state, ("channel", number or 0))
    if number is None:
        return playback_nav.open_live(state, now)
    return playback_nav.watch_channel(state, number, now)


def viewer_lines(state: State) -> int:
    """How many lines "谁在看？" has: one per member and "全家一起"."""
    return len(state.household.members) + 1


def _choose(state: State, line: int, now: float) -> tuple[State, Effects]:
    members = state.household.members
    chosen = tuple(m.id for m in members) if line == len(members) else (members[line].id,)
    pending = state.pending
    state = replace(pop(state), viewers=chosen, pending=None)
    if pending is None:
        return state, ()
    kind, ref = pending
    if kind == "item":
        return playback_nav.open_video(state, ref, now)
    if kind == "quiz":
        return quiz_nav.start(state, ref)
    return play_channel(state, ref or None, now)


def on_viewers_key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    """"谁在看？": a digit chooses its line, arrows and OK too; Back goes back without playing."""
    screen, lines = state.screen, viewer_lines(state)
    if key.digit is not None and 1 <= key.digit <= lines:
        return _choose(state, key.digit - 1, now)
    if key is Key.OK:
        return _choose(state, min(screen.focus, lines - 1), now)
    if key in (Key.UP, Key.DOWN):
        focus = max(0, min(lines - 1, screen.focus + (1 if key is Key.DOWN else -1)))
        return replace(state, stack=(*state.stack[:-1], replace(screen, focus=focus))), ()
    if key is Key.BACK:
        return replace(pop(state), pending=None), ()
    return state, ()


# ---- 我的学习 ---------------------------------------------------------------------------------

def _member_index(state: State) -> int:
    ids = [m.id for m in state.household.members]
    if state.viewers is not None and len(state.viewers) == 1 and state.viewers[0] in ids:
        return ids.index(state.viewers[0])
    return 0


def open_study(state: State) -> tuple[State, Effects]:
    """我的学习 of the member watching (the first member when everyone or nobody was chosen)."""
    index = _member_index(state)
    state = push(state, Screen(View.STUDY, page=index))
    members = state.household.members
    return state, (FetchHousehold(), *((FetchStudy(members[index].id),) if members else ()))


def studied_member(state: State) -> int | None:
    """The id of the member 我的学习 shows now, or None (no household)."""
    members = state.household.members
    if not members:
        return None
    return members[min(state.screen.page, len(members) - 1)].id


def on_study_key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    """我的学习: Left/Right another member, Up/Down an unfinished lesson, OK or its number resumes it, Back leaves."""
    screen, members = state.screen, state.household.members
    if key is Key.BACK:
        return pop(state), ()
    if key in (Key.LEFT, Key.RIGHT) and len(members) > 1:
        page = (screen.page + (1 if key is Key.RIGHT else -1)) % len(members)
        state = replace(state, stack=(*state.stack[:-1], replace(screen, page=page, focus=0)))
        return state, (FetchStudy(members[page].id),)
    card = state.studies.get(studied_member(state) or -1)
    unfinished = card.unfinished if card else ()
    if key in (Key.UP, Key.DOWN) and unfinished:
        focus = max(0, min(len(unfinished) - 1, screen.focus + (1 if key is Key.DOWN else -1)))
        return replace(state, stack=(*state.stack[:-1], replace(screen, focus=focus))), ()
    index = key.digit - 1 if key.digit is not None else (screen.focus if key is Key.OK else None)
    if index is not None and 0 <= index < len(unfinished) and unfinished[index].item_id is not None:
        if state.viewers is None and card is not None:
            state = replace(state, viewers=(card.member_id,))  # resuming one's own lesson says who watches
        state = replace(state, stack=(*state.stack[:-1], replace(screen, focus=index)))
        return playback_nav.open_video(state, unfinished[index].item_id, now)
    return state, ()
