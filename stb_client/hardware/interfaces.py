"""What the shell (app.py) needs of a player and a screen, as Protocols.

The real ones are libVLC (player.py) and pygame-ce (renderer.py); a box with
other hardware, or a test without a TV, gives any object with these methods.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from stb_client.ui.render_model import Frame


class Player(Protocol):
    """Plays one stream at a time and reports what happened as the reducer's events."""

    osd: str  # the text shown over the picture now

    def play(self, url: str, start_s: float = 0.0, subtitles_url: str | None = None, live: bool = False) -> None:
        """Start `url` (from `start_s` for video on demand), replacing what played."""

    def stop(self) -> None:
        """Stop playing."""

    def prepare(self, url: str, lowest_url: str) -> None:
        """Keep live channel `url` ready (hidden, muted, its `lowest_url` rung) so that playing it is instant; a
        player without a spare ignores it."""

    def show_video(self, shown: bool) -> None:
        """Whether the frame shows video: hide the picture while the menus are shown over it."""

    def standby(self) -> dict | None:
        """The prepared channel, for the status: {"url", "purpose", "ready", "swaps"} (None: no spare player)."""

    def video_height(self) -> int:
        """The height of the picture playing (0: none)."""

    def seek(self, position_s: float) -> None:
        """Jump to a position of the video on demand playing."""

    def set_paused(self, paused: bool) -> None:
        """Pause or resume."""

    def show_subtitles(self, on: bool) -> None:
        """Show or hide the subtitles."""

    def set_subtitles(self, url: str) -> None:
        """Add a subtitle track to what plays and show it."""

    def set_volume(self, level: int, muted: bool) -> None:
        """Set the volume (0-100) and mute."""

    def read_aloud(self, url: str, start_s: float = 0.0) -> None:
        """Play an article's reading (audio only, beside the menus) from `start_s`, replacing the one playing."""

    def stop_reading(self) -> None:
        """Stop the reading aloud."""

    def reading_position(self) -> float | None:
        """Where the reading aloud is, in seconds of its audio (None: nothing is read)."""

    def show_osd(self, text: str) -> None:
        """Write `text` over the picture ("" hides it)."""

    def osd_shown(self) -> bool:
        """Whether text is over the picture now."""

    def subtitle_track(self) -> int:
        """The subtitle track on screen (-1: none)."""

    def displayed_pictures(self) -> int:
        """Pictures shown since the current stream started."""

    def poll(self) -> list:
        """What happened since the last poll, as events (position, ended, failed; the reading's too)."""

    def release(self) -> None:
        """Free the player at the end of the client's life."""


class Screen(Protocol):
    """Draws frames on the TV."""

    dirty: bool  # something arrived (a picture): draw the same frame again

    def draw(self, frame: Frame) -> None:
        """Show `frame`."""

    def save(self, path: Path) -> None:
        """Save what is on screen as a PNG."""

    def close(self) -> None:
        """Close the window at the end of the client's life."""
