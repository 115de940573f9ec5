"""Set-top API: the linear channels with now/next, and the programme guide for a time range."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app, request

from .. import guide
from ..channel_art import logo_path
from ..context import current_lineup, get_db
from ..errors import UserError
from ..guide_routes import base_url, media_base
from ..playout_store import builds_version
from ..timestamps import format_utc
from . import bp
from .auth import clock, require_device
from .responses import conditional_json, time_field

MAX_GRID_HOURS = 8 * 24


def programme_json(programme: guide.Programme | None) -> dict | None:
    if programme is None:
        return None
    return {"title": programme.title, "kind": programme.kind, "start": format_utc(programme.start),
            "end": format_utc(programme.end), "board_id": programme.board_id, "board_name": programme.board_name,
            "speaker": programme.speaker, "description": programme.description, "item_id": programme.item_id,
            "important": programme.important}


def _channel_json(channel) -> dict:
    return {"number": channel.number, "name": channel.name,
            "stream_url": f"{base_url()}live/{channel.number}/master.m3u8",
            "logo_url": media_base() + logo_path(channel.number)}


@bp.get("/channels")
@require_device
def channels():
    """Every channel with its stream, logo, and the programme on air and next."""
    db, lineup, now = get_db(), current_lineup(), clock()
    minute = now.replace(second=0, microsecond=0)

    def build():
        answer = []
        for channel in lineup.channels:
            on_air, following = guide.now_and_next(db, lineup, channel.number, now)
            answer.append({**_channel_json(channel), "now": programme_json(on_air),
                           "next": programme_json(following)})
        return {"timezone": current_app.config["TIMEZONE"], "channels": answer}
    # now/next move with time: the tag changes with every rebuild and, at most, every minute.
    return conditional_json(_tag("channels", builds_version(db), format_utc(minute)), build)


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
    wanted = request.args.get("channel")
    numbers = [c.number for c in lineup.channels]
    if wanted is not None:
        if not wanted.isdigit() or int(wanted) not in numbers:
            raise UserError("guide.unknown_channel", status=404, value=wanted,
                            known="、".join(str(n) for n in numbers))
        numbers = [int(wanted)]

    def build():
        return {"timezone": current_app.config["TIMEZONE"], "from": format_utc(start), "to": format_utc(end),
                "channels": [{**_channel_json(c), "programmes": [
                    programme_json(p) for p in guide.programmes(db, lineup, c.number, start, end)]}
                    for c in lineup.channels if c.number in numbers]}
    return conditional_json(_tag("epg", builds_version(db), format_utc(start), format_utc(end), wanted), build)
