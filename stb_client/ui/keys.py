"""The remote's keys, and how a keyboard, an IR receiver or the HTTP remote name them."""

from __future__ import annotations

from enum import StrEnum


class Key(StrEnum):
    """Every key the client understands; digits are their own value ("0".."9")."""

    UP = "up"
    DOWN = "down"
    LEFT = "left"
    RIGHT = "right"
    OK = "ok"
    BACK = "back"
    BACK_LONG = "back_long"  # Back held down: always Home
    HOME = "home"
    MENU = "menu"
    CH_UP = "ch_up"
    CH_DOWN = "ch_down"
    VOL_UP = "vol_up"
    VOL_DOWN = "vol_down"
    MUTE = "mute"
    PLAY_PAUSE = "play_pause"
    RED = "red"
    GREEN = "green"
    YELLOW = "yellow"
    BLUE = "blue"
    D0 = "0"
    D1 = "1"
    D2 = "2"
    D3 = "3"
    D4 = "4"
    D5 = "5"
    D6 = "6"
    D7 = "7"
    D8 = "8"
    D9 = "9"

    @property
    def digit(self) -> int | None:
        """The key's number for a digit key, else None."""
        return int(self.value) if self.value.isdigit() else None


# Keyboard names as pygame's key.name() gives them.
KEYBOARD: dict[str, Key] = {
    "up": Key.UP, "down": Key.DOWN, "left": Key.LEFT, "right": Key.RIGHT,
    "return": Key.OK, "enter": Key.OK, "escape": Key.BACK, "backspace": Key.BACK, "home": Key.HOME,
    "m": Key.MENU, "page up": Key.CH_UP, "page down": Key.CH_DOWN, "=": Key.VOL_UP, "+": Key.VOL_UP,
    "-": Key.VOL_DOWN, "0": Key.D0, "1": Key.D1, "2": Key.D2, "3": Key.D3, "4": Key.D4, "5": Key.D5,
    "6": Key.D6, "7": Key.D7, "8": Key.D8, "9": Key.D9, "[0]": Key.D0, "[1]": Key.D1, "[2]": Key.D2,
    "[3]": Key.D3, "[4]": Key.D4, "[5]": Key.D5, "[6]": Key.D6, "[7]": Key.D7, "[8]": Key.D8, "[9]": Key.D9,
    "space": Key.PLAY_PAUSE, "f1": Key.RED, "f2": Key.GREEN, "f3": Key.YELLOW, "f4": Key.BLUE, "f5": Key.MUTE,
}

# Linux input event codes (linux/input-event-codes.h) as IR receivers (ir-keytable) and
# HDMI-CEC (the kernel's CEC input) report them through evdev.
EVDEV: dict[str, Key] = {
    "KEY_UP": Key.UP, "KEY_DOWN": Key.DOWN, "KEY_LEFT": Key.LEFT, "KEY_RIGHT": Key.RIGHT,
    "KEY_OK": Key.OK, "KEY_ENTER": Key.OK, "KEY_SELECT": Key.OK, "KEY_BACK": Key.BACK, "KEY_EXIT": Key.BACK,
    "KEY_ESC": Key.BACK, "KEY_HOME": Key.HOME, "KEY_HOMEPAGE": Key.HOME, "KEY_MENU": Key.MENU,
    "KEY_EPG": Key.MENU, "KEY_CHANNELUP": Key.CH_UP, "KEY_CHANNELDOWN": Key.CH_DOWN,
    "KEY_VOLUMEUP": Key.VOL_UP, "KEY_VOLUMEDOWN": Key.VOL_DOWN, "KEY_MUTE": Key.MUTE,
    "KEY_PLAYPAUSE": Key.PLAY_PAUSE, "KEY_PLAY": Key.PLAY_PAUSE, "KEY_PAUSE": Key.PLAY_PAUSE,
    "KEY_RED": Key.RED, "KEY_GREEN": Key.GREEN, "KEY_YELLOW": Key.YELLOW, "KEY_BLUE": Key.BLUE,
    **{f"KEY_{n}": Key(str(n)) for n in range(10)}, **{f"KEY_NUMERIC_{n}": Key(str(n)) for n in range(10)},
}
