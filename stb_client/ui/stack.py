"""Small pure helpers over the client's state shared by both halves of the reducer:
the screen stack, messages, and finding a channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stb_client.ui.model import MESSAGE_SECONDS, Channel, Message, Screen, State


def push(state: State, screen: Screen) -> State:
    """Open `screen` on top of the others."""
    return replace(state, stack=(*state.stack, screen))


def pop(state: State) -> State:
    """The screen below; Home, at the bottom, stays."""
    return replace(state, stack=state.stack[:-1]) if len(state.stack) > 1 else state


def replace_top(state: State, screen: Screen) -> State:
    """Put `screen` in place of the top screen."""
    return replace(state, stack=(*state.stack[:-1], screen))


def say(state: State, message_id: str, now: float, **params: object) -> State:
    """Show a message for MESSAGE_SECONDS."""
    return replace(state, message=Message(message_id, tuple(sorted(params.items())), now + MESSAGE_SECONDS))


def find_channel(channels: Sequence[Channel], number: int | None) -> Channel | None:
    """The channel with this number, or None."""
    return next((c for c in channels if c.number == number), None)
