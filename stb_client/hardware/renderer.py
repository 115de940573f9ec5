"""Drawing a Frame (render_model.py) on the TV with pygame-ce (SDL2).

The frame is laid out for 1920x1080 and scaled to the window (a 1280x720
TV gets 2/3). Where video plays, the frame's transparent parts show it: the
window is cleared to black and libVLC draws into its own window beneath the
overlays, or the overlays are all there is (dummy output in tests).
"""

from __future__ import annotations

import io
import os
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path

from stb_client.ui.layout import HEIGHT, NO_LINE_START, WIDTH
from stb_client.ui.render_model import FOCUS, Frame, Label

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402
import pygame.freetype  # noqa: E402


def fit_lines(width_of: Callable[[str], float], text: str, max_width: float | None, wrap: bool) -> list[str]:
    """A label's lines within `max_width` (`width_of` measures a text in the font): wrapped at characters (Chinese
    has no spaces; closing punctuation stays with its line), or, without `wrap`, a line too long cut with an
    ellipsis. A line that fits is never cut."""
    if max_width is None:
        return text.split("\n")
    lines = []
    for paragraph in text.split("\n"):
        if width_of(paragraph) <= max_width:
            lines.append(paragraph)
            continue
        line = ""
        for char in paragraph:
            too_wide = width_of(line + char + ("" if wrap else "…")) > max_width
            if line and too_wide and not (wrap and char in NO_LINE_START):
                if not wrap:
                    line += "…"
                    break
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
    return lines


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


class Screen:
    """A pygame window (full screen on a box) that draws frames."""

    def __init__(self, font_path: str, size: tuple[int, int] = (WIDTH, HEIGHT), fullscreen: bool = False):
        pygame.display.init()
        pygame.freetype.init()
        flags = pygame.FULLSCREEN if fullscreen else 0
        self.surface = pygame.display.set_mode(size, flags)
        pygame.display.set_caption("客厅党建")
        pygame.mouse.set_visible(False)
        self.scale = self.surface.get_width() / WIDTH
        self.font = pygame.freetype.Font(font_path)
        self.font.antialiased = True
        self.images: dict[str, object] = {}  # url -> Surface, bytes (arrived, not decoded) or None (fetching)
        self.lock = threading.Lock()
        self.dirty = False  # an image arrived: the same frame should be drawn again

    def x_window(self) -> int | None:
        """The X window SDL draws in (None: not on X, as on KMS/DRM or SDL's dummy driver)."""
        if pygame.display.get_driver() != "x11":
            return None
        return pygame.display.get_wm_info().get("window")

    def close(self) -> None:
        """Close the window."""
        pygame.display.quit()

    def _image(self, url: str):
        """The picture at `url` as a Surface, or None while it is fetched (in a thread, once)."""
        with self.lock:
            found = self.images.get(url, ...)
            if found is ...:
                self.images[url] = None
                threading.Thread(target=self._fetch, args=(url,), daemon=True).start()
                return None
        if isinstance(found, bytes):
            try:
                found = pygame.image.load(io.BytesIO(found))
            except pygame.error:
                found = False  # not an image: keep the plain box
            with self.lock:
                self.images[url] = found
        return found or None

    def _fetch(self, url: str) -> None:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read(2_000_000)
        except OSError:
            body = b""
        with self.lock:
            self.images[url] = body
            self.dirty = True

    def _s(self, value: float) -> int:
        return round(value * self.scale)

    def draw(self, frame: Frame) -> None:
        """Draw one frame and show it."""
        self.surface.fill((0, 0, 0))
        ring = frame.ring
        layers = sorted({0} | {part.layer for part in (*frame.boxes, *frame.labels, *frame.pictures)})
        for layer in layers:  # each layer covers the ones below it, their texts too
            for box in (b for b in frame.boxes if b.layer == layer):
                if layer == 0 and ring is not None and (box.x, box.y, box.w, box.h) == (ring.x, ring.y, ring.w, ring.h):
                    pygame.draw.rect(self.surface, _rgb(box.colour), self._grown(ring))  # the focused target
                else:
                    pygame.draw.rect(self.surface, _rgb(box.colour), (self._s(box.x), self._s(box.y),
                                                                      self._s(box.w), self._s(box.h)))
            if layer == 0 and ring is not None:
                pygame.draw.rect(self.surface, _rgb(FOCUS),
                                 self._grown(ring).inflate(self._s(2 * ring.width), self._s(2 * ring.width)),
                                 width=max(1, self._s(ring.width)))
            for picture in (p for p in frame.pictures if p.layer == layer):
                image = self._image(picture.url)
                if image is not None:
                    fitted = pygame.transform.smoothscale(image, (self._s(picture.w), self._s(picture.h)))
                    self.surface.blit(fitted, (self._s(picture.x), self._s(picture.y)))
            for label in (label for label in frame.labels if label.layer == layer):
                self._label(label)
        self.dirty = False
        pygame.display.flip()

    def _grown(self, ring) -> pygame.Rect:
        """The focused target's rectangle, drawn `ring.scale` times larger about its centre."""
        grown_w, grown_h = ring.w * ring.scale, ring.h * ring.scale
        left, top = ring.x - (grown_w - ring.w) / 2, ring.y - (grown_h - ring.h) / 2
        return pygame.Rect(self._s(left), self._s(top), self._s(grown_w), self._s(grown_h))

    def _label(self, label: Label) -> None:
        size = self._s(label.size)
        max_width = self._s(label.max_width) if label.max_width else None
        y = self._s(label.y)
        for line in fit_lines(lambda text: self.font.get_rect(text, size=size).width, label.text, max_width,
                              label.wrap):
            surface, rect = self.font.render(line, _rgb(label.colour), size=size)
            x = self._s(label.x) - rect.width if label.align == "right" else self._s(label.x)
            self.surface.blit(surface, (x, y))
            y += round(size * 1.3)

    def save(self, path: Path) -> None:
        """Write what is on screen as a PNG (test artefacts, support requests)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.surface, str(path))
