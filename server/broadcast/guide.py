"""The programme guide: what plays when on each channel, as JSON for boxes, XMLTV and M3U for players.

Read from the channels' timelines (playout_store.py), so the guide shows
what will really play, filler and slate included, at the times the streams
will reach them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from keting_i18n import text
from server.broadcast.channel_art import logo_path
from server.core.channels_yaml import Channel, Lineup
from server.core.plain_text import without_controls
from server.core.timestamps import from_ms, to_ms

XMLTV_DOCTYPE = '<!DOCTYPE tv SYSTEM "xmltv.dtd">'
# A filler block's description names its first few videos.
FILLER_TITLES_SHOWN = 5


@dataclass(frozen=True)
class Programme:
    """One programme of a channel, as viewers see it in the guide."""

    channel: int
    kind: str  # programme, filler or slate
    start: datetime
    end: datetime
    title: str
    board_id: str | None
    board_name: str | None
    description: str
    speaker: str
    item_id: int | None
    entry_id: int | None
    important: bool


def programmes(db: Database, lineup: Lineup, channel: int, start: datetime, end: datetime) -> list[Programme]:
    """The channel's programmes overlapping [start, end), in order."""
    rows = db.execute("""
        SELECT p.kind, p.start_ms, p.end_ms, p.title, p.item_id, p.entry_id, i.board_id, i.description,
               i.speaker, COALESCE(e.important, 0) AS important
        FROM playout p LEFT JOIN items i ON i.id = p.item_id LEFT JOIN schedule_entries e ON e.id = p.entry_id
        WHERE p.channel = ? AND p.start_ms < ? AND p.end_ms > ? ORDER BY p.start_ms""",
                      [channel, to_ms(end), to_ms(start)])
    found = []
    for row in rows:
        board = lineup.boards_by_id.get(row["board_id"]) if row["board_id"] else None
        found.append(Programme(channel, row["kind"], from_ms(row["start_ms"]), from_ms(row["end_ms"]), row["title"],
                               board.id if board else None, board.name if board else None,
                               row["description"] or "", row["speaker"] or "", row["item_id"], row["entry_id"],
                               bool(row["important"])))
    return found


def in_blocks(listing: list[Programme], lang: str = "zh_CN") -> list[Programme]:
    """The guide as a viewer can act on it: each run of consecutive filler becomes one entry
    ("精选：党员教育", its boards named, its titles in the description), and consecutive slate pieces one gap.
    Scheduled programmes stay as they are."""
    blocks: list[Programme] = []
    run: list[Programme] = []

    def close_run() -> None:
        if len(run) == 1:
            blocks.append(run.pop())
        if not run:
            return
        first, last = run[0], run[-1]
        if first.kind == "filler":
            boards = list(dict.fromkeys(p.board_name for p in run if p.board_name))
            title = text("guide.filler_block", lang=lang, boards="、".join(boards)) if boards else first.title
            shown = [p.title for p in run[:FILLER_TITLES_SHOWN]]
            more = len(run) - len(shown)
            description = "、".join(shown) + (text("guide.filler_more", lang=lang, count=more) if more > 0 else "")
            board_id, board_name = (first.board_id, first.board_name) if len(boards) == 1 else (None, None)
        else:
            title, description, board_id, board_name = first.title, "", None, None
        blocks.append(Programme(first.channel, first.kind, first.start, last.end, title, board_id, board_name,
                                description, "", None, None, False))
        run.clear()

    for programme in listing:
        if run and (programme.kind != run[0].kind or programme.start != run[-1].end):
            close_run()
        if programme.kind in ("filler", "slate"):
            run.append(programme)
        else:
            close_run()
            blocks.append(programme)
    close_run()
    return blocks


def now_and_next(db: Database, lineup: Lineup, channel: int, now: datetime) -> tuple[Programme | None,
                                                                                     Programme | None]:
    """The programme on air and the one after it."""
    now_ms = to_ms(now)
    row = db.execute("SELECT end_ms FROM playout WHERE channel = ? AND start_ms <= ? ORDER BY start_ms DESC LIMIT 1",
                     [channel, now_ms]).fetchone()
    if row is None or row["end_ms"] <= now_ms:
        return None, None
    found = programmes(db, lineup, channel, now, from_ms(row["end_ms"] + 1))
    return (found[0] if found else None), (found[1] if len(found) > 1 else None)


def next_important(db: Database, lineup: Lineup, channel: int, now: datetime,
                   horizon: timedelta = timedelta(days=7)) -> Programme | None:
    """The channel's first important broadcast starting after `now` (within `horizon`, as far as its timeline
    is built), or None: for the TV's idle screen, beyond the programme after the one on air."""
    row = db.execute("""SELECT p.start_ms FROM playout p JOIN schedule_entries e ON e.id = p.entry_id
                        WHERE p.channel = ? AND p.start_ms > ? AND p.start_ms <= ? AND e.important = 1
                        ORDER BY p.start_ms LIMIT 1""", [channel, to_ms(now), to_ms(now + horizon)]).fetchone()
    if row is None:
        return None
    start = from_ms(row["start_ms"])
    found = [p for p in programmes(db, lineup, channel, start, from_ms(row["start_ms"] + 1)) if p.important]
    return found[0] if found else None


def _xmltv_time(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y%m%d%H%M%S %z")


def xmltv_channel_id(channel: Channel) -> str:
    """The channel's id in XMLTV and in the M3U's tvg-id (they must match for players to pair them)."""
    return f"{channel.number}.keting"


def xmltv(lineup: Lineup, listing: dict[int, list[Programme]], zone: str, media_base: str, lang: str = "zh") -> bytes:
    """An XMLTV document (valid against xmltv.dtd) of the given channels' programmes.

    Texts are stripped of control characters, which XML 1.0 cannot carry (rows from before they were refused).
    """
    tv = ElementTree.Element("tv", {"generator-info-name": "Keting", "source-info-name": "Keting"})
    for channel in lineup.channels:
        element = ElementTree.SubElement(tv, "channel", {"id": xmltv_channel_id(channel)})
        ElementTree.SubElement(element, "display-name", {"lang": lang}).text = channel.name
        ElementTree.SubElement(element, "display-name").text = str(channel.number)
        ElementTree.SubElement(element, "icon", {"src": media_base + logo_path(channel.number)})
    for channel in lineup.channels:
        for programme in listing.get(channel.number, []):
            element = ElementTree.SubElement(tv, "programme", {
                "start": _xmltv_time(programme.start, zone), "stop": _xmltv_time(programme.end, zone),
                "channel": xmltv_channel_id(channel)})
            ElementTree.SubElement(element, "title", {"lang": lang}).text = without_controls(programme.title)
            description = "\n".join(part for part in (programme.speaker, programme.description) if part)
            if description:
                ElementTree.SubElement(element, "desc", {"lang": lang}).text = without_controls(description)
            if programme.board_name:
                ElementTree.SubElement(element, "category", {"lang": lang}).text = programme.board_name
    body = ElementTree.tostring(tv, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{XMLTV_DOCTYPE}\n{body}\n'.encode()


def _attribute(value: str) -> str:
    """An M3U attribute value: players split on quotes, commas and lines, so those become look-alikes."""
    return without_controls(value).replace('"', "＂").replace(",", "，").replace("\r", " ").replace("\n", " ")


def m3u(lineup: Lineup, base_url: str, media_base: str, group: str) -> str:
    """An extended M3U of the channels for VLC, Kodi IPTV Simple, Jellyfin and TiviMate."""
    lines = [f'#EXTM3U x-tvg-url="{base_url}epg.xml" url-tvg="{base_url}epg.xml"']
    for channel in lineup.channels:
        name = _attribute(channel.name)
        lines.append(f'#EXTINF:-1 tvg-id="{xmltv_channel_id(channel)}" tvg-chno="{channel.number}" '
                     f'tvg-name="{name}" tvg-logo="{media_base}{logo_path(channel.number)}" '
                     f'group-title="{_attribute(group)}",{name}')
        lines.append(f"{base_url}live/{channel.number}/master.m3u8")
    return "\n".join(lines) + "\n"
