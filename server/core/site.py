"""A running site as background work sees it: its settings, line-up and clock, and a way to open the database.

The web layer builds one per app (create_app); the transcode and channel
runners and the CLI get it passed in, so no domain code reaches for Flask's
current_app, and a test fixes "now" in one place for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from server.core.channels_yaml import Lineup
from server.core.db import connect


@dataclass(frozen=True)
class Site:
    """One site's settings (typed, see settings.py), channels.yaml and clock."""

    config: Mapping[str, object]
    lineup: Lineup
    clock: Callable[[], datetime]

    def now(self) -> datetime:
        """The site's current time: the one clock every runner and command reads."""
        return self.clock()

    def connect(self) -> Database:
        """A new connection to the site's database (the caller closes it)."""
        return connect(self.config["DATABASE"])
