"""The idle screen: menus left alone for IDLE_DIM_SECONDS dim to a large clock with the next important broadcast.

TVs in living rooms are left on for hours on a menu, and its static tiles burn into the panel. The reducer's
part: when to dim (a menu, nothing playing, no notice on screen), and that any key only wakes it (the key does
nothing else: a viewer reaching for the remote should not open a board by surprise), as does a notice arriving.
"""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui.model import Channel, Programme, State, View

IDLE_DIM_SECONDS = 600.0
# The menus that dim (the picture never does; the pairing code must stay readable for the installer).
DIMMABLE = frozenset({View.HOME, View.BOARD, View.ARTICLE, View.GUIDE, View.VIEWERS, View.STUDY, View.QUIZ})


def dimmable(state: State) -> bool:
    """A menu with nothing playing, and no article read aloud (its page follows the voice)."""
    return state.screen.view in DIMMABLE and state.playback is None and state.reading is None


def on_tick(state: State, now: float, notice_shown: bool) -> State:
    """Dim after IDLE_DIM_SECONDS without a key (`last_key_at`, kept by watch.on_key) on a menu; wake when a
    notice arrives or the screen changes."""
    if not state.last_key_at:  # the box just started: idle from now
        return replace(state, last_key_at=now)
    if state.dimmed:
        return replace(state, dimmed=False) if notice_shown or not dimmable(state) else state
    if not notice_shown and dimmable(state) and now - state.last_key_at >= IDLE_DIM_SECONDS:
        return replace(state, dimmed=True)
    return state


def on_key(state: State) -> tuple[State, bool]:
    """A key wakes the screen (watch.on_key notes its time). True when that is all it does."""
    return replace(state, dimmed=False), state.dimmed


def next_important(state: State) -> tuple[bool, Channel, Programme] | None:
    """The important broadcast to show on the idle screen: one on air now (True), else the first to come on any
    channel (False): the programme after the one on air, or the channel's next important one, however far."""
    for channel in state.channels:
        if channel.now is not None and channel.now.important:
            return True, channel, channel.now
    coming = [(programme.at, index, channel, programme) for index, channel in enumerate(state.channels)
              for programme in (channel.next, channel.upcoming) if programme is not None and programme.important]
    if not coming:
        return None
    _, _, channel, programme = min(coming, key=lambda found: found[:2])
    return False, channel, programme
