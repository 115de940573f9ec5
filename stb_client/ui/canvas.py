"""The drawing vocabulary of the TV's frames: rectangles, texts, pictures, one focus ring, and the colours.

Pure data; render_model.py and render_study.py fill a Canvas, renderer.py draws the Frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from stb_client.ui.layout import SAFE_X, WIDTH

BACKGROUND = "#0B1A2E"
PANEL = "#13294B"
WHITE = "#FFFFFF"
SOFT = "#D8E1EE"  # secondary text: 12:1 on the background
FOCUS = "#FFC107"
FOCUS_RING_PX = 8
FOCUS_SCALE = 1.06
WIDE_SCALE = 1.02  # rows as wide as the screen grow less, to stay inside the safe area
ROW_X, ROW_W = SAFE_X + 40, WIDTH - 2 * SAFE_X - 80
THUMB_W, THUMB_H = 178, 100  # 16:9, like the thumbnails the server makes
THUMB_BACK = "#24406B"
NOW_PANEL = "#1E4A7A"  # a programme on air in the guide (white on it: 8.9:1)
HINT_PX = 36
READ_BAND = "#2A4C80"  # behind the sentence read aloud (white on it: 8.6:1)


@dataclass(frozen=True)
class Box:
    """A filled rectangle at (x, y), `w` by `h`, in `colour`."""

    x: int
    y: int
    w: int
    h: int
    colour: str
    layer: int = 0  # drawn over everything of lower layers (Canvas.overlay)


@dataclass(frozen=True)
class Label:
    """Text drawn at (x, y) (its top left; right-aligned when `align` is "right") over `behind`."""

    x: int
    y: int
    text: str
    size: int
    colour: str
    behind: str
    align: str = "left"
    max_width: int | None = None
    wrap: bool = False  # beyond max_width: next line (notices) or cut with an ellipsis (titles)
    layer: int = 0


@dataclass(frozen=True)
class Ring:
    """The focus: a ring of `width` px drawn around a target that is also drawn `scale` times larger."""

    x: int
    y: int
    w: int
    h: int
    width: int = FOCUS_RING_PX
    scale: float = FOCUS_SCALE


@dataclass(frozen=True)
class Picture:
    """An image from a URL (a thumbnail) fitted into the box; a plain box until it has arrived."""

    x: int
    y: int
    w: int
    h: int
    url: str
    layer: int = 0


@dataclass(frozen=True)
class Frame:
    """Everything one screen shows: rectangles, texts, pictures and the focus ring, over the video or not."""

    video: bool  # the player's picture is behind the drawing (nothing opaque over it but panels)
    boxes: tuple[Box, ...]
    labels: tuple[Label, ...]
    ring: Ring | None
    pictures: tuple[Picture, ...] = ()


class Canvas:
    """A Frame being drawn: boxes, labels and pictures in order, and at most one focus ring (on the screen's own
    layer). What is drawn after overlay() covers all that was drawn before, texts included."""

    def __init__(self, video: bool = False):
        self.video = video
        self.boxes: list[Box] = []
        self.labels: list[Label] = []
        self.pictures: list[Picture] = []
        self.ring: Ring | None = None
        self.layer = 0

    def overlay(self) -> None:
        """Start a layer over what is drawn so far (a notice, a message, a prompt: their panels hide the menu's
        texts beneath)."""
        self.layer += 1

    def box(self, x: int, y: int, w: int, h: int, colour: str) -> None:
        """A filled rectangle."""
        self.boxes.append(Box(x, y, w, h, colour, self.layer))

    def label(self, x: int, y: int, content: str, size: int, colour: str = WHITE, behind: str = BACKGROUND,
              align: str = "left", max_width: int | None = None, wrap: bool = False) -> None:
        """A text (nothing for an empty one)."""
        if content:
            self.labels.append(Label(x, y, content, size, colour, behind, align, max_width, wrap, self.layer))

    def picture(self, x: int, y: int, w: int, h: int, url: str | None) -> None:
        """An image from a URL (nothing without one)."""
        if url:
            self.pictures.append(Picture(x, y, w, h, url, self.layer))

    def frame(self) -> Frame:
        """What was drawn, as a Frame."""
        return Frame(self.video, tuple(self.boxes), tuple(self.labels), self.ring, tuple(self.pictures))
