"""What a channel shows besides programmes: its slate clip and its logo, drawn once by ffmpeg.

The slate fills a gap no filler fits in. It is encoded once per channel in
the ladder format (same codecs, frame rate, segments, audio) so the channel
can stitch it like any item; the playout repeats it. The logo is what
players (the M3U's tvg-logo) show in their channel lists.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import ffmpeg

from keting_i18n import text
from server.catalogue.visibility import lineup_fingerprint
from server.core.channels_yaml import Channel, Lineup
from server.ingest.audio_prep import prepare_audio
from server.ingest.cards import colour_card
from server.ingest.hls_ladder import MASTER_PLAYLIST, ladder_output, replace_dir, run_ffmpeg

SLATE_COLOUR = "#0D2A5C"  # deep blue: white text on it is 13:1
LOGO_SIZE = 400


def channel_dir(number: int) -> str:
    """The channel's folder relative to MEDIA_ROOT."""
    return f"channels/{number}"


def slate_path(number: int) -> str:
    """The slate's master playlist relative to MEDIA_ROOT."""
    return f"{channel_dir(number)}/slate/{MASTER_PLAYLIST}"


def logo_path(number: int) -> str:
    """The channel's logo picture relative to MEDIA_ROOT."""
    return f"{channel_dir(number)}/logo.png"


def _recipe(channel: Channel, lineup: Lineup, seconds: int, lang: str) -> dict:
    return {"name": channel.name, "seconds": seconds, "ladder": lineup_fingerprint(lineup), "lang": lang,
            "version": 1}


def _draw_slate(out_dir: Path, lines: list[tuple[str, int, str, str]], lineup: Lineup, font: str, seconds: int,
                scratch: Path, ffmpeg_cmd: str) -> None:
    """A slate clip of `seconds` with `lines` of text, silent, in every rung of the ladder."""
    ladder = lineup.ladder
    silence = ["-f", "lavfi", "-t", str(seconds), "-i", "anullsrc=r=48000:cl=stereo"]
    audio = ffmpeg.input(str(prepare_audio(silence, scratch / "silence.m4a", ladder, ffmpeg_cmd))).audio
    video = colour_card(SLATE_COLOUR, lines, seconds, ladder.fps, font, scratch, prefix="slate")
    # A still picture needs no search effort: the fastest preset, same codecs, GOP and segments.
    run_ffmpeg(ladder_output(video, audio, ladder, ladder.renditions, out_dir, preset="ultrafast"), ffmpeg_cmd)


def _build_into(final: Path, build) -> None:
    """Run build(staging, scratch) and move the result into place whole, or leave nothing."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".staging-{final.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        with tempfile.TemporaryDirectory(prefix="keting-art-") as scratch_name:
            build(staging, Path(scratch_name))
        replace_dir(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def ensure_channel_art(media_root: Path, lineup: Lineup, channel: Channel, font: str, seconds: int,
                       lang: str = "zh_CN", ffmpeg_cmd: str = "ffmpeg") -> bool:
    """Make the channel's slate and logo unless they exist for this name and ladder; True if made now."""
    final = media_root / channel_dir(channel.number)
    recipe = _recipe(channel, lineup, seconds, lang)
    stamp = final / "art.json"
    if stamp.is_file() and json.loads(stamp.read_text("utf-8")) == recipe and (media_root / slate_path(
            channel.number)).is_file():
        return False

    def build(staging: Path, scratch: Path) -> None:
        lines = [(f"{channel.number}  {channel.name}", 72, "(w-tw)/2", "h*0.28"),
                 (text("slate.waiting", lang=lang), 60, "(w-tw)/2", "h*0.48"),
                 (text("slate.guide_hint", lang=lang), 40, "(w-tw)/2", "h*0.66")]
        _draw_slate(staging / "slate", lines, lineup, font, seconds, scratch, ffmpeg_cmd)
        logo_lines = [(str(channel.number), 160, "(w-tw)/2", "h*0.12"), (channel.name, 64, "(w-tw)/2", "h*0.66")]
        logo = colour_card(SLATE_COLOUR, logo_lines, 1, 1, font, scratch, (LOGO_SIZE, LOGO_SIZE), "logo")
        run_ffmpeg(ffmpeg.output(logo, str(staging / "logo.png"), vframes=1), ffmpeg_cmd)
        (staging / "art.json").write_text(json.dumps(recipe, ensure_ascii=False), "utf-8")

    _build_into(final, build)
    return True


def clock_slate_path(channel: Channel, lineup: Lineup, start_ms: int, segments: int, title: str, when: str,
                     lang: str) -> str:
    """Where the clip made for one gap lives: it starts at `start_ms` and lasts `segments` segments."""
    recipe = json.dumps([channel.name, start_ms, segments, title, when, lineup_fingerprint(lineup), lang],
                        ensure_ascii=False)
    key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    return f"slates/{channel.number}/clock-{start_ms}-{key}/{MASTER_PLAYLIST}"


def ensure_clock_slate(media_root: Path, lineup: Lineup, channel: Channel, start_ms: int, segments: int,
                       title: str, when: str, utc_offset_s: int, font: str, lang: str = "zh_CN",
                       ffmpeg_cmd: str = "ffmpeg") -> bool:
    """Draw the clip that fills one gap: the channel, a clock that runs with the time it plays at,
    and the programme after it. True if drawn now.

    It is made for its place on the timeline (the clock is the clip's own time
    plus the gap's start), so it plays once instead of looping.
    """
    path = media_root / clock_slate_path(channel, lineup, start_ms, segments, title, when, lang)
    if path.is_file():
        return False
    epoch = start_ms // 1000 + utc_offset_s  # drawn as UTC: the zone's offset is added here

    def build(staging: Path, scratch: Path) -> None:
        lines = [(f"{channel.number}  {channel.name}", 60, "(w-tw)/2", "h*0.16"),
                 (f"%{{pts:gmtime:{epoch}:%H\\:%M}}", 150, "(w-tw)/2", "h*0.30")]
        if title:
            lines += [(text("slate.next", lang=lang), 48, "(w-tw)/2", "h*0.60"),
                      (f"{when}  {title}", 60, "(w-tw)/2", "h*0.71")]
        _draw_slate(staging, lines, lineup, font, segments * lineup.ladder.segment_seconds, scratch, ffmpeg_cmd)

    _build_into(path.parent, build)
    return True


def remove_old_clock_slates(media_root: Path, before_ms: int) -> int:
    """Delete the clips of gaps that started before `before_ms`; return how many went."""
    removed = 0
    for folder in media_root.glob("slates/*/clock-*"):
        try:
            started = int(folder.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if started < before_ms:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
