"""What a channel shows besides programmes: its slate clip and its logo, drawn once by ffmpeg.

The slate fills a gap no filler fits in. It is encoded once per channel in
the ladder format (same codecs, frame rate, segments, audio) so the channel
can stitch it like any item; the playout repeats it. The logo is what
players (the M3U's tvg-logo) show in their channel lists.
"""

from __future__ import annotations

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


def ensure_channel_art(media_root: Path, lineup: Lineup, channel: Channel, font: str, seconds: int,
                       lang: str = "zh_CN", ffmpeg_cmd: str = "ffmpeg") -> bool:
    """Make the channel's slate and logo unless they exist for this name and ladder; True if made now."""
    final = media_root / channel_dir(channel.number)
    recipe = _recipe(channel, lineup, seconds, lang)
    stamp = final / "art.json"
    if stamp.is_file() and json.loads(stamp.read_text("utf-8")) == recipe and (media_root / slate_path(
            channel.number)).is_file():
        return False
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".staging-{channel.number}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    ladder = lineup.ladder
    try:
        with tempfile.TemporaryDirectory(prefix="keting-art-") as scratch_name:
            scratch = Path(scratch_name)
            silence = ["-f", "lavfi", "-t", str(seconds), "-i", "anullsrc=r=48000:cl=stereo"]
            audio = ffmpeg.input(str(prepare_audio(silence, scratch / "silence.m4a", ladder, ffmpeg_cmd))).audio
            lines = [(f"{channel.number}  {channel.name}", 72, "(w-tw)/2", "h*0.28"),
                     (text("slate.waiting", lang=lang), 60, "(w-tw)/2", "h*0.48"),
                     (text("slate.guide_hint", lang=lang), 40, "(w-tw)/2", "h*0.66")]
            video = colour_card(SLATE_COLOUR, lines, seconds, ladder.fps, font, scratch, prefix="slate")
            run_ffmpeg(ladder_output(video, audio, ladder, ladder.renditions, staging / "slate"), ffmpeg_cmd)
            logo_lines = [(str(channel.number), 160, "(w-tw)/2", "h*0.12"),
                          (channel.name, 64, "(w-tw)/2", "h*0.66")]
            logo = colour_card(SLATE_COLOUR, logo_lines, 1, 1, font, scratch, (LOGO_SIZE, LOGO_SIZE), "logo")
            run_ffmpeg(ffmpeg.output(logo, str(staging / "logo.png"), vframes=1), ffmpeg_cmd)
        (staging / "art.json").write_text(json.dumps(recipe, ensure_ascii=False), "utf-8")
        replace_dir(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True
