"""Home's rows under the boards, 最近看过 (videos to pick up where they stopped) and 收藏 (favourites), and the
red key that keeps an item as a favourite wherever it shows: a board's list, an article, a video playing, a card.

Home's focus runs over the board tiles and the live tile (layout.home_tiles), then the cards of 最近看过, then
those of 收藏: Down from the live tile reaches the rows. The rows belong to the members watching (the viewers
chosen, else the whole household; a box without one has its own), and are fetched each time Home comes back on
screen, so a video just watched is there. The red key answers at once (the card appears or goes, a message
says so); the server's rows follow, and a refusal is said in words.
"""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui.keys import Key
from stb_client.ui.layout import home_tiles
from stb_client.ui.model import (
    MESSAGE_SECONDS,
    FavouriteFailed,
    FavouriteSaved,
    FetchHomeRows,
    HomeEntry,
    HomeRowsLoaded,
    Message,
    SetFavourite,
    State,
    View,
)

Effects = tuple
ROW_CARDS = 5  # cards on screen in a row; the row slides with the focus


def rows_members(state: State) -> tuple[int, ...]:
    """Whose rows: the viewers chosen, else the household's members, else nobody (the box's own)."""
    if state.viewers:
        return state.viewers
    return tuple(member.id for member in state.household.members)


def fetch(state: State) -> Effects:
    """The request for Home's rows of the members watching now."""
    return (FetchHomeRows(rows_members(state)),)


def first_card(state: State) -> int:
    """The focus index of the first card (after the board tiles and the live tile)."""
    return len(home_tiles(state.boards))


def card_at(state: State, focus: int) -> tuple[str, int] | None:
    """("recent" or "favourites", index in its row) for a focus on a card; None on the tiles."""
    index = focus - first_card(state)
    if index < 0:
        return None
    if index < len(state.recent):
        return "recent", index
    index -= len(state.recent)
    return ("favourites", index) if index < len(state.favourites) else None


def entry_at(state: State, focus: int) -> HomeEntry | None:
    """The card under a focus, if any."""
    found = card_at(state, focus)
    if found is None:
        return None
    row, index = found
    return (state.recent if row == "recent" else state.favourites)[index]


def _focus_of(state: State, row: str, index: int) -> int:
    if row == "recent":
        return first_card(state) + index
    return first_card(state) + len(state.recent) + index


def _set_focus(state: State, focus: int) -> State:
    """Home's focus (Home is the bottom of the stack, on screen or not)."""
    return replace(state, stack=(replace(state.stack[0], focus=focus), *state.stack[1:]))


def _keep_focus_in_reach(state: State) -> State:
    """Rows that shrank (a card taken away, new rows arrived) under Home's focus: the last card, or the live
    tile when none is left."""
    home = state.stack[0]
    last = first_card(state) + len(state.recent) + len(state.favourites) - 1
    if home.view is View.HOME and home.focus > last:
        return _set_focus(state, last)
    return state


def down_from_tiles(state: State) -> State | None:
    """Down from the live tile: the first card of 最近看过 (or of 收藏); None when both rows are empty."""
    if state.recent:
        return _set_focus(state, _focus_of(state, "recent", 0))
    if state.favourites:
        return _set_focus(state, _focus_of(state, "favourites", 0))
    return None


def move(state: State, key: Key) -> State:
    """The arrows on a card: along its row, or to the row above (the live tile above 最近看过) or below."""
    row, index = card_at(state, state.stack[0].focus)
    length = len(state.recent if row == "recent" else state.favourites)
    if key is Key.LEFT:
        return _set_focus(state, _focus_of(state, row, max(0, index - 1)))
    if key is Key.RIGHT:
        return _set_focus(state, _focus_of(state, row, min(length - 1, index + 1)))
    if key is Key.UP:
        if row == "favourites" and state.recent:
            return _set_focus(state, _focus_of(state, "recent", min(index, len(state.recent) - 1)))
        return _set_focus(state, first_card(state) - 1)  # the live tile
    if key is Key.DOWN and row == "recent" and state.favourites:
        return _set_focus(state, _focus_of(state, "favourites", min(index, len(state.favourites) - 1)))
    return state


def is_favourite(state: State, item_id: int) -> bool:
    """Whether the members watching keep this item (as far as the box knows: every kept id, not only the row)."""
    return item_id in state.favourite_ids


def toggle(state: State, entry: HomeEntry, now: float) -> tuple[State, Effects]:
    """The red key on an item: keep it as a favourite, or take it away if kept; said in a message."""
    on = not is_favourite(state, entry.id)
    kept = (entry, *state.favourites) if on else tuple(f for f in state.favourites if f.id != entry.id)
    message = Message("stb.favourite_added" if on else "stb.favourite_removed", (("title", entry.title),),
                      now + MESSAGE_SECONDS)
    ids = state.favourite_ids | {entry.id} if on else state.favourite_ids - {entry.id}
    state = replace(state, favourites=kept, favourite_ids=ids, message=message,
                    favourites_sending=state.favourites_sending + 1)
    return _keep_focus_in_reach(state), (SetFavourite(entry.id, on, rows_members(state)),)


def on_loaded(state: State, event: HomeRowsLoaded, now: float) -> tuple[State, Effects]:
    """Home's rows arrived: kept if they are of the members watching now (an answer for others is late); while a
    red press is on its way the favourites shown stay as the press left them (the answer may predate it)."""
    if event.members != rows_members(state):
        return state, ()
    if state.favourites_sending:
        state = replace(state, recent=event.recent)
    else:
        kept = event.favourite_ids | {entry.id for entry in event.favourites}
        state = replace(state, recent=event.recent, favourites=event.favourites, favourite_ids=kept)
    return _keep_focus_in_reach(state), ()


def on_saved(state: State, event: FavouriteSaved, now: float) -> tuple[State, Effects]:
    """The server did as the red key asked; the rows it sends next are taken whole."""
    return replace(state, favourites_sending=max(0, state.favourites_sending - 1)), ()


def on_failed(state: State, event: FavouriteFailed, now: float) -> tuple[State, Effects]:
    """A favourite was not saved: say why (the server's words, or that it is offline); the rows that come next
    (the server's, or the kept ones offline) put the card back as it was."""
    if event.reason:
        message = Message("stb.favourite_refused", (("reason", event.reason),), now + MESSAGE_SECONDS)
    else:
        message = Message("stb.favourite_offline", (), now + MESSAGE_SECONDS)
    return replace(state, message=message, favourites_sending=max(0, state.favourites_sending - 1)), ()
