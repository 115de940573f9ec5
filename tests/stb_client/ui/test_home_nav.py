"""Home's rows (最近看过, 收藏) and the red key that keeps a favourite from anywhere, in the pure reducer."""

from __future__ import annotations

from dataclasses import replace

from stb_client.ui import home_nav
from stb_client.ui.keys import Key
from stb_client.ui.model import (
    MESSAGE_SECONDS,
    ConnectionChanged,
    FavouriteFailed,
    FavouriteSaved,
    FetchHomeRows,
    FetchItem,
    HomeEntry,
    HomeRowsLoaded,
    Household,
    HouseholdLoaded,
    ItemDetail,
    ItemLoaded,
    Member,
    Paired,
    PairingStarted,
    Play,
    SetFavourite,
    View,
)
from stb_client.ui.render_model import render
from tests.stb_client.ui.test_navigation import Remote

RECENT = tuple(HomeEntry(200 + n, "video", f"党课第{n + 1}讲：学习新思想的体会", "b5", 1800.0, 60.0 * n)
               for n in range(7))
FAVOURITES = (HomeEntry(104, "article", "节目5", "b5"), HomeEntry(300, "video", "科普讲座", "b0", 900.0))
LIVE_TILE = 10


def with_rows(recent=RECENT, favourites=FAVOURITES) -> Remote:
    return Remote().send(HomeRowsLoaded(recent, favourites, (), frozenset(f.id for f in favourites)))


def on_rows(remote: Remote) -> Remote:
    """Focus on the live tile (from the first board: the second row of boards, then the live tile)."""
    return remote.press(Key.DOWN, Key.DOWN)


def test_home_rows_are_asked_for_the_members_watching_whenever_home_comes_back():
    remote = Remote().press("5")
    remote.effects.clear()
    remote.press(Key.BACK)
    assert remote.view is View.HOME and remote.effects == [FetchHomeRows(())]
    family = Household((Member(7, "张三"), Member(8, "李四")))
    remote.effects.clear()
    remote.send(HouseholdLoaded(family))  # the household arrived: its rows, before anyone is chosen
    assert remote.effects == [FetchHomeRows((7, 8))]
    remote.state = replace(remote.state, viewers=(8,))
    assert home_nav.fetch(remote.state) == (FetchHomeRows((8,)),)


def test_rows_of_other_members_arriving_late_are_left():
    remote = Remote().send(HomeRowsLoaded(RECENT, FAVOURITES, (7,)))
    assert remote.state.recent == ()
    assert with_rows().state.recent == RECENT


def test_down_from_the_live_tile_reaches_the_rows_and_up_comes_back():
    remote = on_rows(with_rows()).press(Key.DOWN)
    assert remote.state.screen.focus == LIVE_TILE + 1 and home_nav.entry_at(remote.state, 11) == RECENT[0]
    remote.press(*[Key.RIGHT] * 9)  # along the row, stopping at its end
    assert home_nav.card_at(remote.state, remote.state.screen.focus) == ("recent", 6)
    remote.press(Key.DOWN)  # to 收藏, the nearest card
    assert home_nav.card_at(remote.state, remote.state.screen.focus) == ("favourites", 1)
    remote.press(Key.DOWN)
    assert home_nav.card_at(remote.state, remote.state.screen.focus) == ("favourites", 1)
    remote.press(Key.UP, Key.UP)
    assert remote.state.screen.focus == LIVE_TILE
    assert on_rows(with_rows((), ())).press(Key.DOWN).state.screen.focus == LIVE_TILE  # no rows: nowhere to go


def test_ok_on_a_recent_video_plays_it_and_on_an_article_opens_it():
    remote = on_rows(with_rows()).press(Key.DOWN, Key.RIGHT, Key.OK)
    assert remote.view is View.PLAYER and remote.last(FetchItem) == FetchItem(201)
    remote.send(ItemLoaded(ItemDetail(201, "video", "党课第2讲", "http://s/v.m3u8", None, 60.0, 1800.0)))
    assert remote.last(Play) == Play("http://s/v.m3u8", 60.0, None)
    article = on_rows(with_rows()).press(Key.DOWN, Key.DOWN, Key.OK)
    assert article.view is View.ARTICLE and article.state.screen.item_id == 104


def test_red_on_a_board_item_keeps_it_and_again_takes_it_away_saying_so():
    remote = with_rows((), ()).press("5", Key.DOWN, Key.RED)
    assert remote.last(SetFavourite) == SetFavourite(101, True, ())
    assert [f.id for f in remote.state.favourites] == [101]
    assert remote.state.message.message_id == "stb.favourite_added"
    assert remote.state.message.until == remote.now + MESSAGE_SECONDS
    assert "已收藏" in " ".join(label.text for label in render(remote.state, remote.now, "19:28").labels)
    remote.press(Key.RED)
    assert remote.last(SetFavourite) == SetFavourite(101, False, ()) and remote.state.favourites == ()
    assert remote.state.message.message_id == "stb.favourite_removed"


def test_red_in_an_article_and_on_a_playing_video_for_the_viewers_chosen():
    remote = with_rows((), ())
    remote.state = replace(remote.state, household=Household((Member(7, "张三"), Member(8, "李四"))), viewers=(7,))
    article = remote.press("5", "5").send(ItemLoaded(ItemDetail(104, "article", "节目5", text="正文")))
    article.press(Key.RED)
    assert article.last(SetFavourite) == SetFavourite(104, True, (7,))
    player = with_rows((), ()).press("5", "2").send(
        ItemLoaded(ItemDetail(101, "video", "节目2", "http://s/v.m3u8", None, 0.0, 600.0)))
    player.press(Key.RED)
    assert player.view is View.PLAYER and player.last(SetFavourite) == SetFavourite(101, True, ())
    assert player.state.playback.controls_until > player.now  # the controls show, with the message


def test_red_on_a_favourite_card_takes_it_away_and_the_focus_stays_in_the_rows():
    remote = on_rows(with_rows()).press(Key.DOWN, Key.DOWN, Key.RIGHT)
    assert home_nav.entry_at(remote.state, remote.state.screen.focus) == FAVOURITES[1]
    remote.press(Key.RED)
    assert remote.last(SetFavourite) == SetFavourite(300, False, ()) and remote.state.favourites == FAVOURITES[:1]
    assert home_nav.entry_at(remote.state, remote.state.screen.focus) == FAVOURITES[0]
    remote.press(Key.RED)  # the last one: the focus goes to the last card of 最近看过
    assert home_nav.entry_at(remote.state, remote.state.screen.focus) == RECENT[-1]
    remote.press(Key.RED)  # a recent card: kept as a favourite
    assert remote.state.favourites == (RECENT[-1],)


def test_rows_emptied_by_the_server_put_the_focus_back_on_the_live_tile():
    remote = on_rows(with_rows()).press(Key.DOWN).send(HomeRowsLoaded((), ()))
    assert remote.state.screen.focus == LIVE_TILE


def test_a_favourite_not_saved_is_said_with_the_reason():
    remote = with_rows().send(FavouriteFailed(101, "收藏已满（最多 500 个）。"))
    assert remote.state.message.message_id == "stb.favourite_refused"
    assert "收藏已满" in " ".join(label.text for label in render(remote.state, remote.now, "19:28").labels)
    offline = with_rows().send(FavouriteFailed(101))
    assert offline.state.message.message_id == "stb.favourite_offline"


def test_the_rows_page_slides_with_the_focus_and_names_the_place():
    remote = on_rows(with_rows()).press(Key.DOWN, *[Key.RIGHT] * 6)
    texts = [label.text for label in render(remote.state, remote.now, "19:28").labels]
    assert "最近看过" in texts and "收藏" in texts and "第 7 个，共 7 个" in texts
    assert not any(text.startswith("党课第1讲") for text in texts)  # slid out of sight
    assert "党课第7讲：\n学习新思想…" in texts  # two lines, the rest cut
    assert "看到 6:00" in texts  # the 7th card's resume point
    tiles = render(with_rows().state, 0, "19:28")
    assert any("最近看过 7 个，收藏 2 个" in label.text for label in tiles.labels)


def test_rows_fetched_before_a_red_press_do_not_undo_it():
    remote = with_rows((), ()).press("5", Key.DOWN, Key.RED)  # kept: on its way to the server
    remote.send(HomeRowsLoaded(RECENT, ()))  # an answer asked before the press
    assert remote.state.recent == RECENT and [f.id for f in remote.state.favourites] == [101]
    remote.press(Key.RED)  # so the second press takes it away again
    assert remote.last(SetFavourite) == SetFavourite(101, False, ())
    remote.send(FavouriteSaved(101), FavouriteSaved(101), HomeRowsLoaded(RECENT, ()))  # both answered
    assert remote.state.favourites == () and remote.state.favourites_sending == 0


def test_a_favourite_beyond_the_row_is_known_and_taken_away():
    remote = with_rows().send(HomeRowsLoaded(RECENT, FAVOURITES, (), frozenset({104, 300, 101})))
    remote.press("5", Key.DOWN)  # 节目2 (101): kept, though not among the row's cards
    texts = " ".join(label.text for label in render(remote.state, remote.now, "19:28").labels)
    assert "已收藏" in texts
    remote.press(Key.RED)
    assert remote.last(SetFavourite) == SetFavourite(101, False, ())


def test_home_focus_stays_on_a_card_when_one_goes_while_home_is_not_on_screen():
    remote = on_rows(with_rows()).press(Key.DOWN, Key.DOWN, Key.LEFT, Key.OK)  # the article, the first favourite
    assert remote.view is View.ARTICLE
    remote.send(ItemLoaded(ItemDetail(104, "article", "节目5", text="正文"))).press(Key.RED)  # taken away
    remote.send(HomeRowsLoaded(RECENT, FAVOURITES[1:]))
    remote.press(Key.BACK)
    assert home_nav.entry_at(remote.state, remote.state.screen.focus) == FAVOURITES[1]
    remote.press(Key.RED, Key.BACK)  # the last favourite goes too
    assert home_nav.entry_at(remote.state, remote.state.screen.focus) == RECENT[-1]


def test_rows_are_asked_again_when_the_server_comes_back_and_once_when_paired():
    remote = with_rows().send(ConnectionChanged(False))
    remote.effects.clear()
    remote.send(ConnectionChanged(True))
    assert FetchHomeRows(()) in remote.effects
    pairing = Remote().send(PairingStarted("123456"))
    pairing.effects.clear()
    pairing.send(Paired())
    assert pairing.effects.count(FetchHomeRows(())) == 1
