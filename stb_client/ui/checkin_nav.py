"""The reducer's check-in (签到): "按确定键签到" over a programme that takes check-ins, OK, the confirmation.

Pure, like the rest of ui/. A programme's reminder (a notice) carries its check-in window, on the reducer's
clock as the server's clock sees it. While the box shows that channel inside the window and someone watching
has not checked in there yet, the prompt stays at the bottom of the picture (its centre stays clear), and OK
sends the members watching ("谁在看"; asked first when the choice lapsed). The answer, or why it failed,
replaces the prompt for CONFIRM_SECONDS; a check-in with no answer by then may be sent again. A box on another
channel or in the menus sees an important programme's reminder, whose OK tunes to the channel: the prompt is
then there.
"""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui.model import (
    CheckinDone,
    CheckinFailed,
    CheckinWindow,
    Message,
    Screen,
    SendCheckin,
    State,
    View,
)
from stb_client.ui.stack import push
from stb_client.ui.watch import credited_members

CONFIRM_SECONDS = 10.0

Effects = tuple[object, ...]


def _watching(state: State) -> tuple[int, ...]:
    """Who a check-in is for: the members chosen in "谁在看" (or the only one), else the whole household."""
    return credited_members(state) or tuple(m.id for m in state.household.members)


def open_window(state: State, now: float) -> CheckinWindow | None:
    """The check-in the prompt offers now: the channel on screen takes check-ins and someone watching has not."""
    screen = state.screen
    if screen.view is not View.LIVE or not state.household.members:
        return None
    for notice in state.notices:
        window = notice.checkin
        if (window is not None and notice.channel == screen.channel and window.opens <= now < window.closes
                and any((window.entry_id, m) not in state.checked_in for m in _watching(state))):
            return window
    return None


def note(state: State, now: float) -> Message | None:
    """The outcome of the last check-in while it is shown."""
    return state.checkin_note if state.checkin_note and state.checkin_note.until > now else None


def on_ok(state: State, now: float) -> tuple[State, Effects] | None:
    """OK over the prompt sends the check-in (once, until it is answered or CONFIRM_SECONDS pass); None when
    there is no prompt to answer."""
    window = open_window(state, now)
    if window is None:
        return None
    sending = state.checkin_sending
    if sending is not None and sending[0] == window.entry_id and now - sending[1] < CONFIRM_SECONDS:
        return state, ()
    members = credited_members(state)
    if not members:  # several members, and the choice lapsed: ask "谁在看？", then back here for OK
        return replace(push(state, Screen(View.VIEWERS)), pending=None), ()
    members = tuple(m for m in members if (window.entry_id, m) not in state.checked_in) or members
    return (replace(state, checkin_sending=(window.entry_id, now),
                    checkin_note=Message("stb.checkin_sending", (), now + CONFIRM_SECONDS)),
            (SendCheckin(window.entry_id, members),))


def on_done(state: State, event: CheckinDone, now: float) -> tuple[State, Effects]:
    """The server took the check-in: no more prompt for these members; the names and time for 10 s."""
    if event.names and event.earlier:
        message_id = "stb.checkin_done_some"
    else:
        message_id = "stb.checkin_done" if event.names else "stb.checkin_already"
    params = (("earlier", "、".join(event.earlier)), ("names", "、".join(event.names or event.earlier)),
              ("time", event.at_label))
    done = {(event.entry_id, member) for member in event.member_ids}
    return replace(state, checked_in=state.checked_in | done, checkin_sending=None,
                   checkin_note=Message(message_id, params, now + CONFIRM_SECONDS)), ()


def on_failed(state: State, event: CheckinFailed, now: float) -> tuple[State, Effects]:
    """Refused or not sent: say why; the prompt comes back so OK can try again while the window is open."""
    message = (Message("stb.checkin_failed", (("reason", event.reason),), now + CONFIRM_SECONDS) if event.reason
               else Message("stb.checkin_offline", (), now + CONFIRM_SECONDS))
    return replace(state, checkin_sending=None, checkin_note=message), ()
