"""What the box remembers across a restart (volume, mute, the last channel), kept in its cache as it changes."""

from __future__ import annotations

import sqlite3

import pytest

from stb_client.app import ClientApp, remembered
from stb_client.hardware.player import VlcPlayer
from stb_client.link.cache import AnswerCache
from stb_client.link.server_api import ServerApi
from stb_client.ui.keys import Key
from stb_client.ui.model import VOLUME_STEP, ItemDetail, ItemLoaded, State
from tests.stb_client.ui.test_navigation import Remote

NOWHERE = "http://127.0.0.1:9/"  # nothing is asked of the server here


def a_box(path) -> ClientApp:
    """A box as it starts: its cache file opened, its state from what it remembers (no screen, no player)."""
    return ClientApp(ServerApi(NOWHERE), None, None, cache=AnswerCache(path))


def test_the_subtitle_size_comes_back_after_a_restart(tmp_path):
    path = tmp_path / "cache.sqlite3"
    box = a_box(path)
    assert box.state.subtitle_size == "large"
    box.state = Remote().press("5", "2").send(ItemLoaded(ItemDetail(101, "video", "节目2", "http://s/v.m3u8",
                                                                    "http://s/zh.vtt"))).state
    box.apply(Key.BLUE, 1000.0)
    assert box.state.subtitle_size == "larger"
    assert a_box(path).state.subtitle_size == "larger"


def test_volume_mute_and_last_channel_come_back_after_a_restart(tmp_path):
    path = tmp_path / "cache.sqlite3"
    box = a_box(path)
    assert (box.state.volume, box.state.muted, box.state.last_channel) == (60, False, None)
    menus = Remote().state  # the server's boards and channels, as a running box has them
    box.state = State(boards=menus.boards, channels=menus.channels, items=menus.items)
    for key in (Key.VOL_UP, Key.VOL_UP, Key.MUTE, Key.CH_UP, Key.CH_UP):
        box.apply(key, 1000.0)
    assert (box.state.volume, box.state.muted) == (60 + 2 * VOLUME_STEP, True)
    tuned = box.state.last_channel
    assert tuned is not None and tuned != menus.channels[0].number  # CH+ twice: the second channel
    again = a_box(path)  # the power cut: a new process on the same file
    assert (again.state.volume, again.state.muted, again.state.last_channel) == (80, True, tuned)


def test_the_player_starts_at_the_volume_the_box_was_left_with(tmp_path):
    """Real libVLC with the ALSA output module (no sound card needed: the volume is kept before anything plays;
    the dummy output has no volume at all)."""
    path = tmp_path / "cache.sqlite3"
    box = a_box(path)
    box.apply(Key.VOL_UP, 1000.0)
    box.apply(Key.MUTE, 1000.0)
    player = VlcPlayer(("--vout=dummy", "--aout=alsa"))
    try:
        again = ClientApp(ServerApi(NOWHERE), None, player, cache=AnswerCache(path))
        assert player.player.audio_get_volume() != 60 + VOLUME_STEP  # libVLC's own default until told
        again.restore_player()
        assert (player.player.audio_get_volume(), bool(player.player.audio_get_mute())) == (60 + VOLUME_STEP, True)
    finally:
        player.release()


@pytest.mark.parametrize("kept", [
    {"volume": "loud", "muted": 1, "last_channel": True},
    {"volume": 250, "muted": None, "last_channel": 0},
    {"volume": -5, "last_channel": 1000, "subtitle_size": "huge"},
    {"subtitle_size": ["large"]},
])
def test_a_damaged_preference_is_left_at_its_default(kept):
    state = remembered(kept)
    assert (state.volume, state.muted, state.last_channel, state.subtitle_size) == (60, False, None, "large")


def test_a_preference_that_cannot_be_written_is_only_forgotten(tmp_path):
    box = a_box(tmp_path / "cache.sqlite3")
    box.cache.db.execute("DROP TABLE preferences")  # as if the flash broke under it
    box.apply(Key.VOL_UP, 1000.0)
    assert box.state.volume == 60 + VOLUME_STEP
    with pytest.raises(sqlite3.OperationalError):
        box.cache.preferences()
