"""Small helpers the console's pages share: local times, the rendering context."""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, g, render_template

from keting_i18n import catalogue_for
from server.core.timestamps import parse_time
from server.web.context import current_lineup
from server.web.urls import media_url

# Message ids the console's scripts need, sent with every page.
SCRIPT_MESSAGES = "console.js."


def zone() -> ZoneInfo:
    """The server's TIMEZONE setting as a zone."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_input(stored: str | datetime | None) -> str:
    """A UTC time (stored text or datetime) as the value of an <input type=datetime-local> in the server's zone."""
    if not stored:
        return ""
    moment = parse_time(stored) if isinstance(stored, str) else stored
    return moment.astimezone(zone()).strftime("%Y-%m-%dT%H:%M")


def local_text(stored: str | datetime | None) -> str:
    """A UTC time (stored text or datetime) as YYYY-MM-DD HH:MM in the server's zone; empty for none."""
    if not stored:
        return ""
    moment = parse_time(stored) if isinstance(stored, str) else stored
    return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M")


def duration_text(seconds: float | None) -> str:
    """A duration in seconds as H:MM:SS, or M:SS under an hour; empty for none."""
    if not seconds:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@functools.cache
def script_messages(lang: str) -> dict[str, str]:
    """The console.js.* messages of a language, without their prefix (made once per language)."""
    return {key[len(SCRIPT_MESSAGES):]: value for key, value in catalogue_for(lang).items()
            if key.startswith(SCRIPT_MESSAGES)}


def page(template: str, **values):
    """Render a console page with what every page needs: the user, boards, script messages."""
    return render_template(template, user=g.get("user"), lineup=current_lineup(),
                           script_text=script_messages(current_app.config["LANGUAGE"]),
                           timezone=current_app.config["TIMEZONE"], local_input=local_input,
                           local_text=local_text, duration_text=duration_text, media_url=media_url, **values)

