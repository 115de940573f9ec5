"""The XMLTV guide written as files (media/guide/epg.xml and .xml.gz), like the live playlists.

A whole week of two channels is tens of thousands of programmes: building it
per request took seconds. The channel runner writes it at each timeline
rebuild and every hour (the window slides), in blocks (guide.in_blocks).
Channel logos need the site's absolute media URL: with PUBLIC_URL set the
files are final and nginx serves them as they are; without it they carry
BASE_PLACEHOLDER, which the /epg.xml route replaces with the request's own
address (a string replacement, not a rebuild).
"""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from server.broadcast import guide
from server.core.channels_yaml import Lineup
from server.core.media_permissions import replace_file

GUIDE_FOLDER = "guide"
XML_NAME = "epg.xml"
GZ_NAME = "epg.xml.gz"
BASE_PLACEHOLDER = "keting-media-base:/"
PAST = timedelta(hours=6)
AHEAD = timedelta(days=8)


def listing(db: Database, lineup: Lineup, now: datetime, lang: str) -> dict[int, list[guide.Programme]]:
    """Every channel's programmes from 6 hours ago to 8 days ahead, in blocks."""
    start, end = now - PAST, now + AHEAD
    return {c.number: guide.in_blocks(guide.programmes(db, lineup, c.number, start, end), lang)
            for c in lineup.channels}


def write_guide(db: Database, lineup: Lineup, media_root: Path, now: datetime, zone: str, lang: str,
                media_base: str = BASE_PLACEHOLDER) -> int:
    """Write epg.xml and epg.xml.gz under media/guide/; return the number of programmes listed."""
    found = listing(db, lineup, now, lang)
    body = guide.xmltv(lineup, found, zone, media_base)
    folder = media_root / GUIDE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    replace_file(folder / XML_NAME, body)
    replace_file(folder / GZ_NAME, gzip.compress(body, 6, mtime=0))
    return sum(len(programmes) for programmes in found.values())


def read_guide(media_root: Path, media_base: str, compressed: bool) -> bytes | None:
    """The written guide with the placeholder replaced by `media_base`; None before the first write."""
    folder = media_root / GUIDE_FOLDER
    try:
        raw = (folder / XML_NAME).read_bytes()
    except FileNotFoundError:
        return None
    placeholder = BASE_PLACEHOLDER.encode()
    if placeholder not in raw:
        return (folder / GZ_NAME).read_bytes() if compressed else raw
    body = raw.replace(placeholder, media_base.encode())
    return gzip.compress(body, 6, mtime=0) if compressed else body
