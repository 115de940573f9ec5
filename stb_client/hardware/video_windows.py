"""Video windows of the client's own on an X display, one per libVLC player.

Without them each libVLC player opens a full-screen window of its own: a second, prepared player would show
itself over the channel being watched, and a playing video covers the menus drawn beneath it (the guide over
live TV). Here each player draws into a child window of the TV's window (SDL's), made by the client:
  - a window that is not mapped is not seen, but libVLC still decodes and draws into it, so a prepared channel
    has its picture ready;
  - showing another player's window is a map and an unmap, seen on the next picture (within a frame);
  - with no window mapped, the menus show.
A window has no background (X's None): until libVLC paints, the picture beneath stays, not a black flash.
libVLC draws every picture into its window, shown or not. Drawing hidden pictures small (a tiny window, or
libVLC's scale) was tried: shown again, libVLC takes about 60 ms more to draw at the full size (measured under
Xvfb), which is the gap between under and over 0.1 s for the channel change; so hidden windows keep the full
size, and where drawing costs CPU (no GPU) the spare costs it too (docs/architecture.md, "Measured").
Key and mouse events are not selected here, so they go on to SDL's window.
"""

from __future__ import annotations

from Xlib import X
from Xlib import display as xdisplay


class VideoWindows:
    """`count` child windows covering the X window `parent_id`, all hidden at first."""

    def __init__(self, parent_id: int, count: int, display_name: str | None = None):
        self.display = xdisplay.Display(display_name)
        parent = self.display.create_resource_object("window", parent_id)
        geometry = parent.get_geometry()
        self.windows = [parent.create_window(0, 0, geometry.width, geometry.height, 0, X.CopyFromParent, X.InputOutput,
                                             X.CopyFromParent, background_pixmap=X.NONE, event_mask=0)
                        for _ in range(count)]
        self.shown: int | None = None
        self.display.sync()

    @property
    def ids(self) -> list[int]:
        """The windows' X ids, for libVLC's set_xwindow."""
        return [window.id for window in self.windows]

    def show(self, index: int | None) -> None:
        """Show window `index` above its siblings and hide the others (None: hide them all, the menus show).
        The new window is mapped before the old one is unmapped, so the menus never flash between them."""
        if index == self.shown:
            return
        if index is not None:
            self.windows[index].configure(stack_mode=X.Above)
            self.windows[index].map()
        for n, window in enumerate(self.windows):
            if n != index:
                window.unmap()
        self.display.sync()  # done before SDL (another connection) draws the menus that were beneath
        self.shown = index

    def close(self) -> None:
        """Destroy the windows and close the X connection."""
        for window in self.windows:
            window.destroy()
        self.display.close()
