"""The uniform HLS ladder: one ffmpeg pass from a source to every rendition.

This is the contract that lets a linear channel stitch any item without
re-encoding (docs/architecture.md): H.264 + AAC-LC 48 kHz stereo at the
target loudness (audio_prep.py), constant
frame rate, closed GOP with a keyframe exactly every segment, segments of
the same length in every rendition, MPEG-TS segments and a master playlist.

All renditions come from one decode through a split filter, which measured
0.83x the time of one pass per rendition (docs/architecture.md, "Measured").
"""

from __future__ import annotations

import math
import secrets
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import ffmpeg

from server.core.channels_yaml import Ladder, Rendition
from server.core.child_process import die_with_parent
from server.core.media_permissions import make_public_tree
from server.ingest.input_policy import ladder_options

MASTER_PLAYLIST = "master.m3u8"
# ffmpeg's stderr is long; on failure we keep the end, where the reason is.
STDERR_TAIL_LINES = 15


class EncodeError(RuntimeError):
    """ffmpeg failed; `stderr_tail` holds the last lines it printed."""

    def __init__(self, returncode: int, stderr_tail: str):
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        super().__init__(f"ffmpeg exited with {returncode}: {stderr_tail}")


def renditions_for(ladder: Ladder, source_height: int) -> tuple[Rendition, ...]:
    """The rungs to make from a source: never upscale, and always at least one.

    A source lower than the lowest rung gets that rung at its own height.
    """
    fitting = tuple(r for r in ladder.renditions if r.height <= source_height)
    if fitting:
        return fitting
    lowest = ladder.renditions[-1]
    return (Rendition(lowest.name, max(2, source_height - source_height % 2), lowest.video_bitrate),)


def ladder_output(video, audio, ladder: Ladder, renditions: Sequence[Rendition], out_dir: Path,
                  copy_top: bool = False, live_start_number: int | None = None, preset: str = "veryfast"):
    """An ffmpeg-python output node that writes the ladder of `video`+`audio` into out_dir.

    out_dir/master.m3u8 lists out_dir/<rendition>/index.m3u8 and its seg_NNNNN.ts files.
    `audio` is already the ladder's AAC track (audio_prep.prepare_audio): it is
    copied into every rendition. With copy_top, `video` already is the top rung
    (transcoder.can_copy_video): it is copied too and only lower rungs are encoded.
    """
    seg = ladder.segment_seconds
    gop = ladder.fps * seg
    source_video = video
    encoded = len(renditions) - (1 if copy_top else 0)
    video = video.filter("fps", fps=ladder.fps)
    video_branches = video.filter_multi_output("split", encoded) if encoded > 1 else None
    # A live relay's audio is filtered (loudnorm) here, and a filter's output feeds one
    # stream only: split it once per rung. A prepared file's track is simply mapped again.
    live = live_start_number is not None
    audio_branches = audio.filter_multi_output("asplit", len(renditions)) if live and len(renditions) > 1 else None
    streams, options, stream_map = [], {}, []
    for index, rung in enumerate(renditions):
        # The codec is set per stream: ffmpeg applies the last matching option, so
        # a global -c:v after -c:v:0 copy would silently re-encode the copied rung.
        if copy_top and index == 0:
            streams.append(source_video)
            options["c:v:0"] = "copy"
        else:
            options[f"c:v:{index}"] = "libx264"
            branch_index = index - (1 if copy_top else 0)
            branch = video_branches[branch_index] if video_branches else video
            streams.append(branch.filter("scale", -2, rung.height).filter("setsar", 1))
        streams.append(audio_branches[index] if audio_branches else audio)
        options[f"b:v:{index}"] = rung.video_bitrate
        options[f"maxrate:v:{index}"] = int(rung.video_bitrate * 1.07)
        options[f"bufsize:v:{index}"] = int(rung.video_bitrate * 1.5)
        stream_map.append(f"v:{index},a:{index},name:{rung.name}")
    if not live:
        playlist = {"acodec": "copy", "hls_playlist_type": "vod", "hls_flags": "independent_segments"}
    else:
        # A live relay (live_relay.py): the audio is encoded here, the playlist grows, and
        # segments appear under their final name only when complete (temp_file), numbered
        # from start_number so a restarted relay continues the event's numbering.
        playlist = {"acodec": "aac", "b:a": ladder.audio_bitrate, "ar": 48000, "ac": 2,
                    "hls_playlist_type": "event", "hls_list_size": 0, "start_number": live_start_number,
                    "hls_flags": "independent_segments+temp_file"}
    return ffmpeg.output(
        *streams, str(out_dir / "%v" / "index.m3u8"),
        preset=preset, pix_fmt="yuv420p", g=gop, keyint_min=gop,
        sc_threshold=0, flags="+cgop", force_key_frames=f"expr:gte(t,n_forced*{seg})",
        f="hls", hls_time=seg, hls_segment_type="mpegts", hls_segment_filename=str(out_dir / "%v" / "seg_%05d.ts"),
        master_pl_name=MASTER_PLAYLIST, var_stream_map=" ".join(stream_map), **playlist, **options,
    )


def run_ffmpeg(output, ffmpeg_cmd: str = "ffmpeg", timeout_s: float | None = None) -> None:
    """Run an ffmpeg-python output node quietly; EncodeError with the tail of stderr on failure."""
    args = output.global_args("-hide_banner", "-nostdin", "-loglevel", "error").compile(cmd=ffmpeg_cmd)
    args.insert(1, "-y")
    completed = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout_s,
                               check=False, preexec_fn=die_with_parent)
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.decode("utf-8", "replace").strip().splitlines()[-STDERR_TAIL_LINES:])
        raise EncodeError(completed.returncode, tail)


THUMBNAIL_CANDIDATES = 60


def make_thumbnail(source: Path, dest: Path, duration_s: float, keyframe_interval_s: float,
                   ffmpeg_cmd: str = "ffmpeg", height: int = 360) -> None:
    """Save the most representative picture of the whole programme as a JPEG.

    Only keyframes are decoded (one per segment), at most THUMBNAIL_CANDIDATES
    of them spread over the whole length, and ffmpeg's thumbnail filter picks
    the one closest to the average: a black opening or a fade is passed over.
    """
    keyframes = max(1, math.ceil(duration_s / keyframe_interval_s))
    step = max(1, math.ceil(keyframes / THUMBNAIL_CANDIDATES))
    # The filter needs a batch of two or more; at the end of input it picks from what it has.
    batch = max(2, min(keyframes, THUMBNAIL_CANDIDATES))
    stream = (ffmpeg.input(str(source), skip_frame="nokey", **ladder_options())
              .filter("framestep", step).filter("scale", -2, height).filter("thumbnail", batch))
    run_ffmpeg(ffmpeg.output(stream, str(dest), vframes=1, **{"q:v": 3}), ffmpeg_cmd)


def ladder_folder(item_id: int, hls_path: str | None) -> str:
    """The folder (relative to MEDIA_ROOT) an item's ladder goes to: the one it has, else vod/<id>-<random>.

    The random part makes a folder unguessable (items' media are also only served through signed URLs:
    core/media_signing.py); a re-encode keeps the folder, so timelines that name it stay right.
    """
    if hls_path and hls_path.startswith("vod/") and hls_path.count("/") == 2:
        return hls_path.rsplit("/", 1)[0]
    return f"vod/{item_id}-{secrets.token_urlsafe(12)}"


def replace_dir(staging: Path, final: Path) -> None:
    """Move a finished output folder into place, so readers never see half an item.

    Its modes are made readable for the web server first (media_permissions.py).
    """
    make_public_tree(staging)
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
