"""Set-top API: the linear channels with now/next, and the programme guide for a time range."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app, request

from server.broadcast import guide
from server.broadcast.channel_art import logo_path
from server.broadcast.playout_store import builds_version
from server.core.errors import UserError
from server.core.timestamps import format_utc
from server.web.api import bp
from server.web.api.auth import require_device
from server.web.api.responses import conditional_json
from server.web.context import clock, current_lineup, get_db, poll_cache
from server.web.params import int_arg, time_field
from server.web.urls import media_url, site_url

MAX_GRID_HOURS = 8 * 24


def programme_json(programme: guide.Programme | None) -> dict | None:
    """A guide programme as the set-top API shows it (None stays None)."""
    if programme is None:
        return None
    return {"title": programme.title, "kind": programme.kind, "start": format_utc(programme.start),
            "end": format_utc(programme.end), "board_id": programme.board_id, "board_name": programme.board_name,
            "speaker": programme.speaker, "description": programme.description, "item_id": programme.item_id,
            "important": programme.important}


def _channel_json(channel, lowest: str) -> dict:
    return {"number": channel.number, "name": channel.name,
            "stream_url": site_url(f"live/{channel.number}/master.m3u8"),
            "lowest_url": site_url(f"live/{channel.number}/{lowest}.m3u8"),
            "logo_url": media_url(logo_path(channel.number))}


def lowest_rendition(ladder) -> str:
    """The ladder's smallest rendition: what a box's prepared neighbour channel plays (the cheapest to decode)."""
    return min(ladder.renditions, key=lambda rendition: rendition.height).name


@bp.get("/channels")
@require_device
def channels():
    """Every channel with its stream, logo, and the programme on air and next (answered from memory until a
    timeline is rebuilt or the minute turns)."""
    lineup, now = current_lineup(), clock()
    minute = now.replace(second=0, microsecond=0)

    def build():
        db = get_db()
        answer = []
        for channel in lineup.channels:
            on_air, following = guide.now_and_next(db, lineup, channel.number, now)
            answer.append({**_channel_json(channel, lowest_rendition(lineup.ladder)), "now": programme_json(on_air),
                           "next": programme_json(following),
                           "next_important": programme_json(guide.next_important(db, lineup, channel.number, now))})
        return {"timezone": current_app.config["TIMEZONE"], "channels": answer}
    # now/next move with time: the tag changes with every rebuild and, at most, every minute. The answer is the
    # same for every box: built once a minute (and after a rebuild) in this process, not once per box.
    tag = poll_cache().remember(("channels", minute), now,
                                lambda: (_tag("channels", builds_version(get_db()), format_utc(minute)), None))
    return conditional_json(tag, lambda: poll_cache().remember(("channels-body", minute), now, lambda: (build(), None)))


def _tag(*parts: object) -> str:
    """An entity tag for a guide answer: it changes with any timeline rebuild and with the question."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


@bp.get("/epg")
@require_device
def epg():
    """The guide grid: programmes of every channel (or ?channel=N) overlapping [from, to)."""
    db, lineup, now = get_db(), current_lineup(), clock()
    start = time_field(request.args, "from", required=False) or now - timedelta(hours=1)
    end = time_field(request.args, "to", required=False) or start + timedelta(hours=24)
    if end <= start or end - start > timedelta(hours=MAX_GRID_HOURS):
        raise UserError("api.bad_epg_range", hours=MAX_GRID_HOURS)
    wanted = int_arg("channel")
    numbers = [c.number for c in lineup.channels]
    if wanted is not None:
        if wanted not in numbers:
            raise UserError("guide.unknown_channel", status=404, value=wanted,
                            known="、".join(str(n) for n in numbers))
        numbers = [wanted]

    def build():
        return {"timezone": current_app.config["TIMEZONE"], "from": format_utc(start), "to": format_utc(end),
                "channels": [{**_channel_json(c, lowest_rendition(lineup.ladder)), "programmes": [
                    programme_json(p) for p in guide.programmes(db, lineup, c.number, start, end)]}
                    for c in lineup.channels if c.number in numbers]}
    return conditional_json(_tag("epg", builds_version(db), format_utc(start), format_utc(end), wanted), build)
