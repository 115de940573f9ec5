"""Keys as remotes send them, turned into the client's key presses.

KeyTranslator holds the rules every source shares: Back decides on release
(held a second or more: Home), a held arrow or volume key repeats, a held
digit or OK does not (an elderly finger rests on a key). EvdevInput reads
Linux input devices (IR receivers set up with ir-keytable, HDMI-CEC through the
kernel's CEC input, USB remotes) with python-evdev, in a thread, picking up
devices plugged in later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from stb_client.ui.keys import EVDEV, Key

log = logging.getLogger(__name__)
LONG_PRESS_SECONDS = 1.0
REPEATING = frozenset({Key.UP, Key.DOWN, Key.LEFT, Key.RIGHT, Key.VOL_UP, Key.VOL_DOWN})
RESCAN_SECONDS = 5.0


class KeyTranslator:
    """Raw key downs and ups turned into presses: Back decided on release, held keys repeating or not."""

    def __init__(self, press: Callable[[Key], None], clock: Callable[[], float] = time.monotonic,
                 long_press_s: float = LONG_PRESS_SECONDS):
        self.press = press
        self.clock = clock
        self.long_press_s = long_press_s
        self._back_down: float | None = None

    def down(self, key: Key, repeat: bool = False) -> None:
        """A key went down (or, with `repeat`, is held): press it, unless it is Back or a held non-repeating key."""
        if key is Key.BACK:
            if not repeat:
                self._back_down = self.clock()
        elif not repeat or key in REPEATING:
            self.press(key)

    def up(self, key: Key) -> None:
        """A key went up: Back becomes Back or, held a second or more, Back-long."""
        if key is Key.BACK and self._back_down is not None:
            held = self.clock() - self._back_down
            self._back_down = None
            self.press(Key.BACK_LONG if held >= self.long_press_s else Key.BACK)

    def evdev(self, names: str | list[str] | tuple[str, ...] | None, value: int) -> None:
        """One EV_KEY event: its code's name(s) from evdev.ecodes, value 1 down, 2 repeat, 0 up."""
        if isinstance(names, str):
            names = (names,)
        key = next((EVDEV[name] for name in names or () if name in EVDEV), None)
        if key is None:
            return
        if value == 0:
            self.up(key)
        else:
            self.down(key, repeat=value == 2)


def is_remote(key_codes: list[int], ecodes) -> bool:
    """Whether a device's EV_KEY codes include remote keys (not a mouse or a power button alone)."""
    names = set()
    for code in key_codes:
        found = ecodes.KEY.get(code) or ecodes.BTN.get(code)
        names.update([found] if isinstance(found, str) else found or [])
    return len(names & set(EVDEV)) >= 3


class EvdevInput:
    """Every Linux input device with remote keys, read in a thread; needs python-evdev (Linux)."""

    def __init__(self, press: Callable[[Key], None]):
        self.translator = KeyTranslator(press)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="evdev", daemon=True)

    def start(self) -> None:
        """Start reading the input devices, in a thread of its own."""
        self.thread.start()

    def stop(self) -> None:
        """Ask the reading thread to end."""
        self.stopping.set()

    def _run(self) -> None:
        import selectors

        import evdev

        devices: dict[str, evdev.InputDevice] = {}
        selector = selectors.DefaultSelector()
        next_scan = 0.0
        while not self.stopping.is_set():
            if time.monotonic() >= next_scan:
                next_scan = time.monotonic() + RESCAN_SECONDS
                for path in evdev.list_devices():
                    if path in devices:
                        continue
                    try:
                        device = evdev.InputDevice(path)
                        if is_remote(device.capabilities().get(evdev.ecodes.EV_KEY, []), evdev.ecodes):
                            devices[path] = device
                            selector.register(device, selectors.EVENT_READ)
                            log.info("remote keys from %s (%s)", device.name, path)
                        else:
                            device.close()
                    except OSError as error:
                        log.info("input device %s: %s", path, error)
            for ready, _ in selector.select(timeout=1.0) if devices else ():
                device = ready.fileobj
                try:
                    for event in device.read():
                        if event.type == evdev.ecodes.EV_KEY:
                            self.translator.evdev(evdev.ecodes.KEY.get(event.code), event.value)
                except OSError:  # unplugged: forget it, a rescan finds it again
                    selector.unregister(device)
                    devices.pop(device.path, None)
            if not devices:
                self.stopping.wait(1.0)
