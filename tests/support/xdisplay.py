"""A virtual X display (Xvfb) and a reader of what it shows, for the TV client on a desktop box: the tests and
bench/stb.py look at the screen as a viewer would, not at what the client says it shows, and type on its
keyboard."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from Xlib import XK, X
from Xlib import display as xdisplay
from Xlib.ext import xtest


@contextmanager
def virtual_display(size: str = "1280x720") -> Iterator[str]:
    """Xvfb on a display number it chose free (-displayfd), `size` at 24 bits; yields its name (":N")."""
    readable, writable = os.pipe()
    server = subprocess.Popen([shutil.which("Xvfb") or "/usr/bin/Xvfb", "-displayfd", str(writable), "-screen", "0",
                               f"{size}x24", "-nolisten", "tcp"], pass_fds=(writable,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(writable)
    try:
        with os.fdopen(readable) as announced:
            ready, _, _ = select.select([announced], [], [], 15)
            if not ready:
                raise RuntimeError("Xvfb did not say which display it took")
            yield f":{announced.readline().strip()}"
    finally:
        server.terminate()
        server.wait(timeout=10)


class ScreenReader:
    """Reads pixels of the whole X screen (the root window with every window shown on it), a round trip each."""

    def __init__(self, name: str):
        self.display = xdisplay.Display(name)
        self.root = self.display.screen().root

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        """The colour at (x, y) as (red, green, blue)."""
        data = self.root.get_image(x, y, 1, 1, X.ZPixmap, 0xFFFFFFFF).data  # 32 bits a pixel: BGRX
        return data[2], data[1], data[0]

    def type_keys(self, *keysyms: str) -> None:
        """Press and release each key (X keysym names: "5", "Return", "Escape") on the X server's keyboard
        (XTEST), as a keyboard on the box would: the window under the pointer, the client's, gets them."""
        for keysym in keysyms:
            code = self.display.keysym_to_keycode(XK.string_to_keysym(keysym))
            xtest.fake_input(self.display, X.KeyPress, code)
            xtest.fake_input(self.display, X.KeyRelease, code)
            self.display.sync()

    def close(self) -> None:
        self.display.close()


def near(colour: tuple[int, int, int], target: tuple[int, int, int], tolerance: int = 24) -> bool:
    """Whether two colours are the same within `tolerance` on each channel (video is lossy)."""
    return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))
