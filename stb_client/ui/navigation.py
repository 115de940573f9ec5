"""Navigation as a pure reducer: reduce(state, event, now) -> (state, effects).

No I/O and no clock: keys, data from the server and player reports come in
as events, and what should happen outside (fetch, play, stop, report) goes
out as effects. Screens with playback (player, live TV, number entry) are in
playback_nav.py; this module holds the dispatch and the menus.

Rules for a remote held by someone who never used a computer:
- Home is one key away from anywhere (Home, or Back held down); Back on Home
  does nothing; every screen answers Back, so there is no dead end.
- Boards open with their digit from Home; on a board, items open by their
  number, so any item is at most three presses from Home.
- Messages stay at least MESSAGE_SECONDS on screen.
"""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui import (
    checkin_nav,
    guide_nav,
    home_nav,
    idle_nav,
    playback_nav,
    quiz_nav,
    reading_nav,
    study_nav,
    watch,
)
from stb_client.ui.keys import Key
from stb_client.ui.layout import article_pages, home_tiles
from stb_client.ui.model import (
    ITEMS_PER_PAGE,
    MESSAGE_SECONDS,
    NUMBER_ENTRY_SECONDS,
    VOLUME_STEP,
    BoardsLoaded,
    ChannelsLoaded,
    CheckinDone,
    CheckinFailed,
    ConnectionChanged,
    FavouriteFailed,
    FavouriteSaved,
    FetchBoards,
    FetchChannels,
    FetchHomeRows,
    FetchHousehold,
    FetchItem,
    FetchItems,
    GuideLoaded,
    HomeEntry,
    HomeRowsLoaded,
    HouseholdLoaded,
    ItemLoaded,
    ItemsLoaded,
    Notice,
    NoticesLoaded,
    Paired,
    PairingStarted,
    QuizLoaded,
    QuizSaved,
    ReadingEnded,
    ReadingFailed,
    ReadingPosition,
    Screen,
    SetVolume,
    State,
    StudyLoaded,
    Tick,
    View,
)
from stb_client.ui.stack import pop, push

Effects = tuple


def reduce(state: State, event: object, now: float) -> tuple[State, Effects]:
    """The next state and the effects to carry out, for one key or event at time `now` (seconds)."""
    if isinstance(event, Key):
        after, effects = _key(state, event, now)
    else:
        handler = _EVENTS.get(type(event))
        after, effects = (handler or playback_nav.on_event)(state, event, now)
    after, stopped = reading_nav.stop_if_left(after)
    effects = (*effects, *stopped)
    if after.screen.view is View.HOME and state.screen.view is not View.HOME \
            and not any(isinstance(effect, FetchHomeRows) for effect in effects):
        effects = (*effects, *home_nav.fetch(after))  # Home is back: what was just watched joins 最近看过
    return after, effects


def visible_notice(state: State) -> Notice | None:
    """The notice on screen: the first one not yet dismissed (none while pairing); a broadcast's reminder does not
    show while its own channel plays (the box shows it already; its check-in prompt is there), and a check-in
    programme's that is not important never shows (it only prompts on its channel)."""
    screen = state.screen
    if screen.view is View.PAIRING:
        return None
    here = state.playback.channel if state.playback is not None else None
    return next((n for n in state.notices if n.id not in state.dismissed and n.kind != "checkin"
                 and not (n.kind == "broadcast" and here is not None and n.channel == here)), None)


def go_home(state: State, now: float) -> tuple[State, Effects]:
    """Back to Home from anywhere, stopping playback; Home keeps its focus."""
    state, effects = playback_nav.stop_playback(state, now)
    return replace(state, stack=state.stack[:1], digits="", digits_deadline=None, pending=None), effects


def open_board(state: State, board_id: str) -> tuple[State, Effects]:
    """Open a board's page and fetch its items."""
    state = push(state, Screen(View.BOARD, board_id=board_id))
    return state, (FetchItems(board_id),)


def open_item(state: State, board_id: str, index: int, now: float) -> tuple[State, Effects]:
    """Open the board's index-th item: an article's page, or the player for a video."""
    items = state.items.get(board_id, ())
    if not 0 <= index < len(items):
        return state, ()
    item = items[index]
    state = replace(state, stack=(*state.stack[:-1], replace(state.screen, focus=index)))
    if item.kind == "article":
        return push(state, Screen(View.ARTICLE, item_id=item.id, board_id=board_id)), (FetchItem(item.id),)
    return study_nav.play_item(state, item.id, now)


# ---- keys -------------------------------------------------------------------------------

def _key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    if state.screen.view is View.PAIRING:
        return state, ()  # nothing to do until an administrator approves the box
    state, only_woke = idle_nav.on_key(state)
    state, answered = watch.on_key(state, now)
    if only_woke:
        return state, ()  # the idle screen: the key wakes it and does nothing else
    if answered and key not in (Key.HOME, Key.BACK_LONG):
        return state, ()  # the key said "still here" to 还在看吗 and does nothing else
    if key in (Key.HOME, Key.BACK_LONG):
        return go_home(state, now)
    if key in (Key.VOL_UP, Key.VOL_DOWN, Key.MUTE):
        return _volume(state, key, now)
    notice = visible_notice(state)
    if notice is not None:
        return _notice_key(state, notice, key, now)
    handler = {View.HOME: _home_key, View.BOARD: _board_key, View.ARTICLE: _article_key,
               View.GUIDE: guide_nav.on_key, View.VIEWERS: study_nav.on_viewers_key,
               View.STUDY: study_nav.on_study_key, View.QUIZ: quiz_nav.on_key}.get(state.screen.view,
                                                                                  playback_nav.on_key)
    return handler(state, key, now)


def _volume(state: State, key: Key, now: float) -> tuple[State, Effects]:
    volume, muted = state.volume, state.muted
    if key is Key.MUTE:
        muted = not muted
    else:
        volume = max(0, min(100, volume + (VOLUME_STEP if key is Key.VOL_UP else -VOLUME_STEP)))
        muted = False
    state = replace(state, volume=volume, muted=muted, volume_until=now + MESSAGE_SECONDS)
    return state, (SetVolume(volume, muted),)


def _notice_key(state: State, notice: Notice, key: Key, now: float) -> tuple[State, Effects]:
    """A notice is answered first: OK watches an announced broadcast (or closes), Back closes."""
    if key not in (Key.OK, Key.BACK):
        return state, ()
    state = replace(state, dismissed=state.dismissed | {notice.id})
    if key is Key.OK and notice.kind == "broadcast" and notice.channel is not None:
        return study_nav.play_channel(state, notice.channel, now)
    return state, ()


def _grid_move(focus: int, key: Key, count: int, columns: int) -> int:
    """Move on a grid of `count` tiles, `columns` wide; Down from the row above a short last
    row lands on its last tile (the live TV tile)."""
    row, column = divmod(focus, columns)
    last_row = (count - 1) // columns
    if key is Key.LEFT:
        return focus - 1 if column > 0 else focus
    if key is Key.RIGHT:
        return focus + 1 if column < columns - 1 and focus + 1 < count else focus
    if key is Key.UP:
        return focus - columns if row > 0 else focus
    if key is Key.DOWN and row < last_row:
        return min(focus + columns, count - 1)
    return focus


def _home_key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    tiles = home_tiles(state.boards)
    screen = state.screen
    if key.digit is not None:
        board = next((b for b in state.boards if b.key == key.digit), None)
        return open_board(state, board.id) if board else (state, ())
    card = home_nav.entry_at(state, screen.focus)
    if card is not None and key in (Key.UP, Key.DOWN, Key.LEFT, Key.RIGHT, Key.OK, Key.RED):
        return _card_key(state, card, key, now)
    if key is Key.DOWN and screen.focus == len(tiles) - 1:  # the live tile: Home's rows are below
        return home_nav.down_from_tiles(state) or state, ()
    if key in (Key.UP, Key.DOWN, Key.LEFT, Key.RIGHT):
        focus = _grid_move(screen.focus, key, len(tiles), 5)
        return replace(state, stack=(replace(screen, focus=focus),)), ()
    if key is Key.OK and tiles:
        tile = tiles[min(screen.focus, len(tiles) - 1)]
        return open_board(state, tile.id) if tile is not None else study_nav.play_channel(state, None, now)
    if key in (Key.CH_UP, Key.CH_DOWN, Key.RED):
        return study_nav.play_channel(state, None, now)
    if key is Key.MENU:
        return guide_nav.open_guide(state)
    if key is Key.GREEN and len(state.household.members) > 1:
        return study_nav.ask_viewers(state, None)
    if key is Key.BLUE:
        return study_nav.open_study(state)
    return state, ()  # Back on Home: already home


def _card_key(state: State, card: HomeEntry, key: Key, now: float) -> tuple[State, Effects]:
    """A key on a card of Home's rows: the arrows move, OK opens it (a video from where it stopped), red keeps or
    takes away the favourite."""
    if key is Key.OK:
        if card.kind == "article":
            return push(state, Screen(View.ARTICLE, item_id=card.id, board_id=card.board_id)), (FetchItem(card.id),)
        return study_nav.play_item(state, card.id, now)
    if key is Key.RED:
        return home_nav.toggle(state, card, now)
    return home_nav.move(state, key), ()


def _board_key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    screen = state.screen
    items = state.items.get(screen.board_id, ())
    if key.digit is not None and screen.board_id not in state.items:
        # Typed before the list arrived: keep the digits, decided when it comes (_items_loaded).
        return replace(state, digits=state.digits + key.value, digits_deadline=now + NUMBER_ENTRY_SECONDS), ()
    if key.digit is not None or (key is Key.OK and state.digits):
        return playback_nav.number_entry(state, key, now, [str(n) for n in range(1, len(items) + 1)],
                                         lambda s, number: open_item(s, screen.board_id, int(number) - 1, now))
    focus = screen.focus
    if key is Key.UP:
        focus = max(0, focus - 1)
    elif key is Key.DOWN:
        focus = min(max(0, len(items) - 1), focus + 1)
    elif key is Key.LEFT:
        focus = max(0, (focus // ITEMS_PER_PAGE - 1) * ITEMS_PER_PAGE)
    elif key is Key.RIGHT:
        next_page = (focus // ITEMS_PER_PAGE + 1) * ITEMS_PER_PAGE
        focus = next_page if next_page < len(items) else focus
    elif key is Key.OK:
        return open_item(state, screen.board_id, focus, now)
    elif key is Key.RED and focus < len(items):  # 收藏 (or taken away)
        item = items[focus]
        return home_nav.toggle(state, HomeEntry(item.id, item.kind, item.title, screen.board_id or "",
                                                item.duration_s), now)
    elif key is Key.GREEN and focus < len(items) and items[focus].kind == "video":
        return study_nav.take_quiz(state, items[focus].id, now)  # 随堂测验 without watching again
    elif key is Key.BACK:
        return pop(replace(state, digits="", digits_deadline=None)), ()
    elif key is Key.MENU:
        return guide_nav.open_guide(state)
    return replace(state, stack=(*state.stack[:-1], replace(screen, focus=focus))), ()


def _article_key(state: State, key: Key, now: float) -> tuple[State, Effects]:
    reading = reading_nav.on_key(state, key, now)
    if reading is not None:
        return reading
    if key is Key.YELLOW:  # 朗读
        return reading_nav.toggle(state, now)
    screen = state.screen
    detail = state.details.get(screen.item_id)
    pages = len(article_pages(detail.text)) if detail else 1
    if key in (Key.DOWN, Key.RIGHT, Key.OK, Key.CH_DOWN):
        if key is Key.OK and screen.page >= pages - 1:
            return pop(state), ()  # OK on the last page: done reading
        return replace(state, stack=(*state.stack[:-1], replace(screen, page=min(pages - 1, screen.page + 1)))), ()
    if key in (Key.UP, Key.LEFT, Key.CH_UP):
        return replace(state, stack=(*state.stack[:-1], replace(screen, page=max(0, screen.page - 1)))), ()
    if key is Key.BACK:
        return pop(state), ()
    if key is Key.RED and detail is not None:  # 收藏 (or taken away)
        return home_nav.toggle(state, HomeEntry(detail.id, detail.kind, detail.title, screen.board_id or ""), now)
    return state, ()


# ---- events -----------------------------------------------------------------------------

def _boards_loaded(state: State, event: BoardsLoaded, now: float) -> tuple[State, Effects]:
    return replace(state, boards=event.boards), ()


def _items_loaded(state: State, event: ItemsLoaded, now: float) -> tuple[State, Effects]:
    state = replace(state, items={**state.items, event.board_id: event.items})
    screen = state.screen
    if state.digits and screen.view is View.BOARD and screen.board_id == event.board_id:
        numbers = [str(n) for n in range(1, len(event.items) + 1)]
        typed = state.digits
        state = replace(state, digits="", digits_deadline=None)
        if typed in numbers and not any(n != typed and n.startswith(typed) for n in numbers):
            return open_item(state, event.board_id, int(typed) - 1, now)
        if any(n.startswith(typed) for n in numbers):
            return replace(state, digits=typed, digits_deadline=now + NUMBER_ENTRY_SECONDS), ()
    return state, ()


def _item_loaded(state: State, event: ItemLoaded, now: float) -> tuple[State, Effects]:
    before = state.details.get(event.item.id)
    state = replace(state, details={**state.details, event.item.id: replace(event.item, loaded_at=now)})
    state, stopped = reading_nav.on_detail(state, before, now)
    state, effects = playback_nav.start_if_waiting(state, event.item, now)
    return state, (*stopped, *effects)


def _channels_loaded(state: State, event: ChannelsLoaded, now: float) -> tuple[State, Effects]:
    changed = replace(state, channels=event.channels, zone=event.zone or state.zone)
    return playback_nav.channels_changed(changed, state.channels, now)


def _guide_loaded(state: State, event: GuideLoaded, now: float) -> tuple[State, Effects]:
    return replace(state, guide=event.guide, zone=event.guide.zone or state.zone), ()


def _notices_loaded(state: State, event: NoticesLoaded, now: float) -> tuple[State, Effects]:
    return replace(state, notices=event.notices), ()


def _connection(state: State, event: ConnectionChanged, now: float) -> tuple[State, Effects]:
    if event.online and state.offline:  # back: refresh what is on screen
        effects = [FetchBoards(), FetchChannels(), FetchHousehold(), *home_nav.fetch(state)]
        if state.screen.board_id:
            effects.append(FetchItems(state.screen.board_id))
        return replace(state, offline=False), tuple(effects)
    return replace(state, offline=not event.online), ()


def _pairing(state: State, event: PairingStarted, now: float) -> tuple[State, Effects]:
    return replace(state, stack=(Screen(View.PAIRING),), pairing_code=event.code), ()


def _paired(state: State, event: Paired, now: float) -> tuple[State, Effects]:
    state = replace(state, stack=(Screen(View.HOME),), pairing_code="")
    return state, (FetchBoards(), FetchChannels(), FetchHousehold(), *home_nav.fetch(state))


def _tick(state: State, event: Tick, now: float) -> tuple[State, Effects]:
    if state.message is not None and now >= state.message.until:
        state = replace(state, message=None)
    effects: Effects = ()
    if state.screen.view is View.BOARD and state.digits and state.digits_deadline is not None \
            and now >= state.digits_deadline:  # 2 s after the last digit: open that item
        digits, board_id = state.digits, state.screen.board_id
        state, effects = open_item(replace(state, digits="", digits_deadline=None), board_id, int(digits) - 1,
                                   now)
    state, more = playback_nav.on_tick(state, now)
    state = idle_nav.on_tick(state, now, visible_notice(state) is not None)
    return state, effects + more


def _household_loaded(state: State, event: HouseholdLoaded, now: float) -> tuple[State, Effects]:
    ids = {m.id for m in event.household.members}
    viewers = state.viewers
    if viewers is not None:  # a member who left the household no longer watches
        viewers = tuple(v for v in viewers if v in ids) or None
    before = home_nav.rows_members(state)
    state = replace(state, household=event.household, viewers=viewers)
    if state.screen.view is View.HOME and home_nav.rows_members(state) != before:
        return state, home_nav.fetch(state)  # other members watch: their rows
    return state, ()


def _study_loaded(state: State, event: StudyLoaded, now: float) -> tuple[State, Effects]:
    return replace(state, studies={**state.studies, event.card.member_id: event.card}), ()


_EVENTS = {
    BoardsLoaded: _boards_loaded, ItemsLoaded: _items_loaded, ItemLoaded: _item_loaded,
    ChannelsLoaded: _channels_loaded, GuideLoaded: _guide_loaded, NoticesLoaded: _notices_loaded,
    ConnectionChanged: _connection, PairingStarted: _pairing, Paired: _paired, Tick: _tick,
    HouseholdLoaded: _household_loaded, StudyLoaded: _study_loaded,
    QuizLoaded: quiz_nav.on_loaded, QuizSaved: quiz_nav.on_saved,
    CheckinDone: checkin_nav.on_done, CheckinFailed: checkin_nav.on_failed,
    HomeRowsLoaded: home_nav.on_loaded, FavouriteSaved: home_nav.on_saved, FavouriteFailed: home_nav.on_failed,
    ReadingPosition: reading_nav.on_position, ReadingEnded: reading_nav.on_ended, ReadingFailed: reading_nav.on_failed,
}
