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

from .audio_prep import prepare_audio
from .cards import colour_card
from .catalogue import lineup_fingerprint
from .channels_yaml import Channel, Lineup
from .hls_ladder import MASTER_PLAYLIST, ladder_output, replace_dir, run_ffmpeg

SLATE_COLOUR = "#0D2A5C"  # deep blue: white text on it is 13:1
LOGO_SIZE = 400


def channel_dir(number: int) -> str:
    """The channel's folder relative to MEDIA_ROOT."""
    return f"channels/{number}"


def slate_path(number: int) -> str:
    """The slate's master playlist relative to MEDIA_ROOT."""
    return f"{channel_dir(number)}/slate/{MASTER_PLAYLIST}"


def logo_path(number: int) -> str:
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
    run_ffmpeg(ladder_output(video, audio, ladder, ladder.renditions, out_dir), ffmpeg_cmd)


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


def next_slate_path(channel: Channel, lineup: Lineup, title: str, when: str, seconds: int, lang: str) -> str:
    """Where the slate announcing `title` at `when` lives (relative to MEDIA_ROOT); the name
    changes with anything drawn on it, so a slate is never redrawn in place."""
    recipe = json.dumps([channel.name, title, when, seconds, lineup_fingerprint(lineup), lang], ensure_ascii=False)
    key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    return f"slates/{channel.number}/{key}/{MASTER_PLAYLIST}"


def ensure_next_slate(media_root: Path, lineup: Lineup, channel: Channel, title: str, when: str, font: str,
                      seconds: int, lang: str = "zh_CN", ffmpeg_cmd: str = "ffmpeg") -> bool:
    """Draw the slate that fills a gap before `title` at `when` (HH:MM); True if drawn now.

    It has the generic slate's length, so the planner swaps one for the other
    without changing the timeline.
    """
    path = media_root / next_slate_path(channel, lineup, title, when, seconds, lang)
    if path.is_file():
        return False

    def build(staging: Path, scratch: Path) -> None:
        lines = [(f"{channel.number}  {channel.name}", 60, "(w-tw)/2", "h*0.22"),
                 (text("slate.next", lang=lang), 52, "(w-tw)/2", "h*0.42"),
                 (f"{when}  {title}", 64, "(w-tw)/2", "h*0.56"),
                 (text("slate.guide_hint", lang=lang), 40, "(w-tw)/2", "h*0.74")]
        _draw_slate(staging, lines, lineup, font, seconds, scratch, ffmpeg_cmd)

    _build_into(path.parent, build)
    return True
