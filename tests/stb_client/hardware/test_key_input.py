"""Keys from remotes: the shared press/hold/release rules, and Linux input devices (IR, HDMI-CEC)
read through python-evdev; the IR receiver itself is a test double (no such hardware here)."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import evdev
import pytest

from stb_client.hardware.key_input import EvdevInput, KeyTranslator, is_remote
from stb_client.ui.keys import Key
from tests.support.processes import wait_for


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys():
    pressed: list[Key] = []
    clock = FakeClock()
    return KeyTranslator(pressed.append, clock), pressed, clock


def test_back_decides_on_release_short_or_long(keys):
    translator, pressed, clock = keys
    translator.down(Key.BACK)
    clock.now += 0.3
    translator.up(Key.BACK)
    translator.down(Key.BACK)
    translator.down(Key.BACK, repeat=True)
    clock.now += 1.2
    translator.up(Key.BACK)
    assert pressed == [Key.BACK, Key.BACK_LONG]


def test_held_arrows_repeat_but_a_resting_finger_on_a_digit_does_not(keys):
    translator, pressed, _ = keys
    for key in (Key.DOWN, Key.D5, Key.OK):
        translator.down(key)
        translator.down(key, repeat=True)
        translator.down(key, repeat=True)
        translator.up(key)
    assert pressed == [Key.DOWN, Key.DOWN, Key.DOWN, Key.D5, Key.OK]


def test_kernel_key_names_map_to_remote_keys(keys):
    translator, pressed, clock = keys
    translator.evdev("KEY_CHANNELUP", 1)
    translator.evdev(["KEY_MUTE", "KEY_MIN_INTERESTING"], 1)  # a code with two names
    translator.evdev("KEY_NUMERIC_7", 1)
    translator.evdev("KEY_F13", 1)  # not a remote key: ignored
    translator.evdev("KEY_BACK", 1)
    translator.evdev("KEY_BACK", 0)
    assert pressed == [Key.CH_UP, Key.MUTE, Key.D7, Key.BACK]


def test_a_remote_is_told_from_a_mouse():
    codes = evdev.ecodes
    ir = [codes.KEY_UP, codes.KEY_DOWN, codes.KEY_OK, codes.KEY_BACK, codes.KEY_1]
    mouse = [codes.BTN_LEFT, codes.BTN_RIGHT, codes.BTN_MIDDLE]
    power = [codes.KEY_POWER]
    assert is_remote(ir, codes) and not is_remote(mouse, codes) and not is_remote(power, codes)


class FakeReceiver:
    """An IR receiver as python-evdev shows it: a readable file descriptor and key events."""

    def __init__(self, path: str, keys: list[int]):
        self.path, self.name, self.keys = path, "gpio_ir_recv", keys
        self.read_end, self.write_end = os.pipe()
        self.pending: list = []
        self.unplugged = False

    def fileno(self) -> int:
        return self.read_end

    def capabilities(self):
        return {evdev.ecodes.EV_KEY: self.keys}

    def send(self, code: int, value: int) -> None:
        self.pending.append(SimpleNamespace(type=evdev.ecodes.EV_KEY, code=code, value=value))
        os.write(self.write_end, b"x")

    def read(self):
        os.read(self.read_end, 1)
        if self.unplugged:
            raise OSError(19, "No such device")
        events, self.pending = self.pending[:1], self.pending[1:]
        return events

    def close(self) -> None:
        pass


def test_evdev_input_reads_every_remote_and_survives_an_unplug(monkeypatch):
    codes = evdev.ecodes
    remote = FakeReceiver("/dev/input/event3", [codes.KEY_OK, codes.KEY_UP, codes.KEY_DOWN, codes.KEY_BACK])
    mouse = FakeReceiver("/dev/input/event4", [codes.BTN_LEFT])
    found = {remote.path: remote, mouse.path: mouse}
    monkeypatch.setattr(evdev, "list_devices", lambda: list(found))
    monkeypatch.setattr(evdev, "InputDevice", lambda path: found[path])
    monkeypatch.setattr("stb_client.hardware.key_input.RESCAN_SECONDS", 0.1)
    pressed: list[Key] = []
    arrived = threading.Event()
    source = EvdevInput(lambda key: (pressed.append(key), arrived.set()))
    source.start()
    try:
        remote.send(codes.KEY_OK, 1)
        remote.send(codes.KEY_OK, 0)
        remote.send(codes.KEY_DOWN, 1)
        remote.send(codes.KEY_DOWN, 2)
        wait_for(lambda: len(pressed) == 3, 5, "three keys from the IR receiver")
        assert pressed == [Key.OK, Key.DOWN, Key.DOWN]
        remote.unplugged = True
        remote.send(codes.KEY_UP, 1)  # the read fails: the device is dropped, the thread goes on
        plugged_again = FakeReceiver(remote.path, remote.keys)
        found[remote.path] = plugged_again  # the receiver comes back; a rescan finds it
        wait_for(lambda: (plugged_again.send(codes.KEY_UP, 1), len(pressed) > 3)[1], 5, "keys after re-plugging")
        assert source.thread.is_alive() and set(pressed[3:]) == {Key.UP}
    finally:
        source.stop()
