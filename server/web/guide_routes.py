"""Public channel interfaces for players: live playlists, /channels.m3u and /epg.xml.

They carry no token, like the media files themselves: VLC, Kodi's IPTV
Simple client, Jellyfin and TiviMate open them as they are. In production
nginx serves the playlists written under media/live/ at the same URLs
(docs/deploy.md); these routes compute the same text on the fly.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from flask import Blueprint, Response, current_app

from keting_i18n import text
from server.broadcast import guide, guide_files
from server.broadcast.live_playlist import master_playlist
from server.broadcast.station import channel_by_number
from server.core.errors import NotFound
from server.web.context import clock, current_lineup, get_db, station
from server.web.urls import base_url, media_base

bp = Blueprint("guide", __name__)
HLS_TYPE = "application/vnd.apple.mpegurl"


def _channel(number: int):
    channel = channel_by_number(current_lineup(), number)
    if channel is None:
        raise NotFound("guide.unknown_channel", value=number,
                       known="、".join(str(c.number) for c in current_lineup().channels))
    return channel


def _hls(content: str) -> Response:
    response = Response(content, mimetype=HLS_TYPE)
    # A live playlist changes every segment; players must not cache it longer.
    response.headers["Cache-Control"] = "max-age=1"
    return response


@bp.get("/live/<int:number>/master.m3u8")
def live_master(number: int):
    """A channel's master playlist, naming one media playlist per rendition of the ladder."""
    _channel(number)
    return _hls(master_playlist(current_lineup().ladder))


@bp.get("/live/<int:number>/<rendition>.m3u8")
def live_media(number: int, rendition: str):
    """A channel's live media playlist of one rendition at this moment; 404 until its timeline is built."""
    lineup = current_lineup()
    channel = _channel(number)
    if rendition not in {r.name for r in lineup.ladder.renditions}:
        raise NotFound("guide.unknown_rendition", value=rendition,
                       known="、".join(r.name for r in lineup.ladder.renditions))
    current = station().channel_window(get_db(), lineup, channel, clock())
    if current is None:
        raise NotFound("guide.channel_not_ready", value=number)
    return _hls(current.media(rendition))


@bp.get("/channels.m3u")
def channels_m3u():
    """The M3U list of every channel with its stream and logo, for IPTV players."""
    body = guide.m3u(current_lineup(), base_url(), media_base(), text("guide.m3u_group", lang=current_app.config[
        "LANGUAGE"]))
    return Response(body, mimetype="audio/x-mpegurl", headers={"Cache-Control": "max-age=300"})


@bp.get("/epg.xml")
def epg_xml():
    """The XMLTV guide of every channel, from 6 hours ago to 8 days ahead, in blocks (as the runner wrote it)."""
    return _guide(compressed=False)


@bp.get("/epg.xml.gz")
def epg_xml_gz():
    """The same guide, gzipped (players that fetch .xml.gz expect the file compressed, not the transfer)."""
    return _guide(compressed=True)


def _guide(compressed: bool) -> Response:
    """The written guide (guide_files.py) with this site's address; built here only before the first write."""
    config = current_app.config
    body = guide_files.read_guide(Path(config["MEDIA_ROOT"]), media_base(), compressed)
    if body is None:
        listing = guide_files.listing(get_db(), current_lineup(), clock(), config["LANGUAGE"])
        body = guide.xmltv(current_lineup(), listing, config["TIMEZONE"], media_base())
        body = gzip.compress(body, 6, mtime=0) if compressed else body
    return Response(body, mimetype="application/gzip" if compressed else "application/xml",
                    headers={"Cache-Control": "max-age=300"})
