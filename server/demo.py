"""Demo content: an organisation tree, lecture clips and articles on all ten boards.

`keting demo` makes a fresh install look like a working system. It is
idempotent (items are keyed by demo_key; an item whose media is missing is
encoded again) and every item is marked: demo_key is set and titles carry
the 【演示】 prefix. Clips are drawn by ffmpeg (board colour, Chinese title in
Noto Sans CJK, a running clock and a soft chord) and encoded into the same
HLS ladder as real uploads, so they play on the box and can fill channels.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import ffmpeg
import yaml
from sqlite_utils import Database

from keting_i18n import text
from server.accounts.organisations import add_organisation
from server.broadcast import schedule
from server.catalogue.items import create_item
from server.core.channels_yaml import Board, Lineup
from server.core.media_permissions import make_public_tree
from server.ingest.audio_prep import prepare_audio
from server.ingest.cards import CARD_HEIGHT, board_card, title_lines
from server.ingest.hls_ladder import (
    MASTER_PLAYLIST,
    ladder_folder,
    ladder_output,
    make_thumbnail,
    renditions_for,
    run_ffmpeg,
)

CONTENT_FILE = Path(__file__).with_name("demo_content.yaml")
TITLE_PREFIX = "【演示】"
# Two encodes at once keep both cores busy: drawtext and the muxer are single-threaded.
PARALLEL_ENCODES = 2


@dataclass
class DemoReport:
    """What a demo run did."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def encode_clip(board: Board, title: str, speaker: str, seconds: int, lineup: Lineup,
                out_dir: Path, font: str, ffmpeg_cmd: str) -> None:
    """Draw one demo lecture (its board's card with a running clock) and encode it into the ladder."""
    with tempfile.TemporaryDirectory(prefix="keting-demo-") as scratch_name:
        lines = title_lines(text("demo.clip_label", board=board.name), title, speaker)
        lines.append(("%{pts:hms}", 40, "w-tw-90", "h-th-70"))
        video = board_card(board, lines, seconds, lineup.ladder.fps, font, Path(scratch_name))
        chord = "+".join(f"0.08*sin(2*PI*{f}*t)" for f in (262, 330, 392))
        tone = ["-f", "lavfi", "-i", f"aevalsrc={chord}|{chord}:s=48000:c=stereo:d={seconds}"]
        audio_path = prepare_audio(tone, Path(scratch_name) / "audio.m4a", lineup.ladder, ffmpeg_cmd)
        audio = ffmpeg.input(str(audio_path)).audio
        renditions = renditions_for(lineup.ladder, CARD_HEIGHT)
        run_ffmpeg(ladder_output(video, audio, lineup.ladder, renditions, out_dir), ffmpeg_cmd)
        lowest = out_dir / renditions[-1].name / "index.m3u8"
        make_thumbnail(lowest, out_dir / "thumb.jpg", seconds, lineup.ladder.segment_seconds, ffmpeg_cmd)


def _ensure_organisations(db: Database, nodes: list, parent_id: int | None, ids: dict[str, int]) -> None:
    for node in nodes:
        row = db.execute("SELECT id FROM organisations WHERE parent_id IS ? AND name = ?",
                         [parent_id, node["name"]]).fetchone()
        org_id = row["id"] if row else add_organisation(db, node["name"], node["kind"], parent_id).id
        ids[node["name"]] = org_id
        _ensure_organisations(db, node.get("children", []), org_id, ids)


def _existing(db: Database, demo_key: str):
    return db.execute("SELECT id, hls_path FROM items WHERE demo_key = ?", [f"demo:{demo_key}"]).fetchone()


def demo_content() -> dict:
    """The demo's content file (organisations, clips, articles, the roster and past lessons)."""
    return yaml.safe_load(CONTENT_FILE.read_text(encoding="utf-8"))


def load_demo(db: Database, lineup: Lineup, media_root: Path, ffmpeg_cmd: str, font: str,
              log: Callable[[str], None] = lambda _line: None) -> DemoReport:
    """Create whatever demo content is missing; leave what is there."""
    content = demo_content()
    report = DemoReport()
    org_ids: dict[str, int] = {}
    _ensure_organisations(db, content["organisations"], None, org_ids)

    for article in content["articles"]:
        if article["board"] not in lineup.boards_by_id:
            report.skipped.append(article["key"])
            continue
        if _existing(db, article["key"]):
            report.kept.append(article["key"])
            continue
        targets = (org_ids[article["target"]],) if article.get("target") else ()
        create_item(db, lineup, kind="article", board_id=article["board"], title=TITLE_PREFIX + article["title"],
                    body_markdown=article["body"], state="published", targets=targets,
                    demo_key=f"demo:{article['key']}")
        report.created.append(article["key"])

    todo = []
    for video in content["videos"]:
        if video["board"] not in lineup.boards_by_id:
            report.skipped.append(video["key"])
            continue
        row = _existing(db, video["key"])
        if row and row["hls_path"] and (media_root / row["hls_path"]).is_file():
            report.kept.append(video["key"])
            continue
        if row:  # its media is gone: encode it again under a new item
            db.execute("DELETE FROM items WHERE id = ?", [row["id"]])
        todo.append(video)

    staging_root = media_root / "vod" / ".staging"
    staging_root.mkdir(parents=True, exist_ok=True)

    stagings: list[Path] = []

    def encode(video: dict) -> Path:
        staging = Path(tempfile.mkdtemp(prefix=f"demo-{video['key']}-", dir=staging_root))
        stagings.append(staging)
        encode_clip(lineup.boards_by_id[video["board"]], video["title"], video["speaker"],
                    video["seconds"], lineup, staging, font, ffmpeg_cmd)
        return staging

    try:
        _publish_encoded(db, lineup, media_root, todo, encode, report, log)
    finally:
        # A failed run leaves no half clips: whatever was not moved into place goes.
        for staging in stagings:
            shutil.rmtree(staging, ignore_errors=True)
        if staging_root.exists() and not any(staging_root.iterdir()):
            staging_root.rmdir()
    return report


def _publish_encoded(db: Database, lineup: Lineup, media_root: Path, todo: list[dict], encode,
                     report: DemoReport, log: Callable[[str], None]) -> None:
    """Encode the clips (two at a time) and publish each as its encode completes."""
    with ThreadPoolExecutor(PARALLEL_ENCODES) as pool:
        for video, staging in zip(todo, pool.map(encode, todo), strict=True):
            log(text("demo.encoded", title=video["title"]))
            item_id = create_item(db, lineup, kind="video", board_id=video["board"],
                                  title=TITLE_PREFIX + video["title"], speaker=video["speaker"],
                                  description=video["description"], duration_s=float(video["seconds"]),
                                  demo_key=f"demo:{video['key']}")
            folder = ladder_folder(item_id, None)
            make_public_tree(staging)  # mkdtemp made it 0700; nginx's workers must read it
            staging.rename(media_root / folder)
            db.execute("UPDATE items SET hls_path = ?, thumbnail_path = ?, state = 'published' WHERE id = ?",
                       [f"{folder}/{MASTER_PLAYLIST}", f"{folder}/thumb.jpg", item_id])
            report.created.append(video["key"])


def remove_demo(db: Database, media_root: Path) -> int:
    """Delete every demo item and its media; return how many items went."""
    rows = db.execute("SELECT id, kind, hls_path FROM items WHERE demo_key IS NOT NULL").fetchall()
    for row in rows:
        if row["kind"] == "video" and row["hls_path"]:
            shutil.rmtree(media_root / row["hls_path"].rsplit("/", 1)[0], ignore_errors=True)
    db.execute("DELETE FROM items WHERE demo_key IS NOT NULL")
    return len(rows)


def schedule_demo(db: Database, lineup: Lineup, now: datetime, zone: str, horizon_days: int) -> int | None:
    """A daily 19:30 lesson on the first channel from the first demo video of its first filler board, taking
    check-ins (签到) for its first 15 minutes.

    Returns the new rule's id, or None when a demo rule exists already or
    there is nothing to schedule. The rest of the day comes from filler.
    """
    if not lineup.channels:
        return None
    channel = lineup.channels[0]
    demo_ids = [row[0] for row in db.execute(
        "SELECT id FROM items WHERE demo_key IS NOT NULL AND kind = 'video' AND hls_path IS NOT NULL "
        "AND board_id = ? ORDER BY id", [channel.filler[0] if channel.filler else ""])]
    if not demo_ids:
        return None
    placeholders = ", ".join("?" * len(demo_ids))
    if db.execute(f"SELECT 1 FROM schedule_rules WHERE item_id IN ({placeholders})", demo_ids).fetchone():
        return None
    outcome = schedule.add_rule(db, lineup, channel=channel.number, item_id=demo_ids[0], cron="30 19 * * *",
                                zone=zone, first=now.astimezone(ZoneInfo(zone)).date(), last=None, important=False,
                                now=now, horizon_days=horizon_days, checkin_minutes=15)
    return outcome.rule_id
