"""The ladder's audio, made once: measured, brought to the target loudness, encoded.

Two-pass linear normalisation (EBU R128): the meter reads the integrated
loudness (about 0.25 s per minute), then one encode applies the gain with a
true-peak limiter. The one AAC track is then copied into every rendition, so
the audio is not encoded once per rung; when the source's audio already is
AAC-LC 48 kHz stereo at the target loudness it is used as it is.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from server.core.channels_yaml import Ladder
from server.core.child_process import die_with_parent
from server.ingest.hls_ladder import STDERR_TAIL_LINES, EncodeError
from server.ingest.input_policy import probe_args, upload_options

TRUE_PEAK_DB = -1.5
# Within this many LU of the target the source audio is left as it is.
COPY_TOLERANCE_LU = 0.5
_INTEGRATED = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-inf) LUFS")


def _ffmpeg(ffmpeg_cmd: str, *args: str, timeout_s: float = 3600) -> subprocess.CompletedProcess:
    return subprocess.run([ffmpeg_cmd, "-hide_banner", "-nostdin", *args], capture_output=True, text=True,
                          timeout=timeout_s, check=False, preexec_fn=die_with_parent)


def integrated_loudness(input_args: list[str], ffmpeg_cmd: str = "ffmpeg") -> float | None:
    """Integrated loudness in LUFS of the first audio stream; None for silence or no audio."""
    result = _ffmpeg(ffmpeg_cmd, "-nostats", *input_args, "-map", "0:a:0", "-af", "ebur128", "-f", "null", "-")
    found = _INTEGRATED.findall(result.stderr)
    if result.returncode != 0 or not found or found[-1] == "-inf" or float(found[-1]) < -70:
        return None
    return float(found[-1])


def _fits_as_is(source: Path, measured: float | None, ladder: Ladder, ffprobe_cmd: str) -> bool:
    if measured is None or abs(measured - ladder.loudness_lufs) > COPY_TOLERANCE_LU:
        return False
    out = subprocess.run([ffprobe_cmd, "-v", "error", "-select_streams", "a:0", "-show_entries",
                          "stream=codec_name,profile,sample_rate,channels", "-of", "json",
                          *probe_args(upload_options(), source)],
                         capture_output=True, text=True, timeout=60, check=False).stdout
    stream = (json.loads(out or "{}").get("streams") or [{}])[0]
    return (stream.get("codec_name"), stream.get("profile"), stream.get("sample_rate"), stream.get("channels")) == (
        "aac", "LC", "48000", 2)


def prepare_audio(input_args: list[str], out: Path, ladder: Ladder, ffmpeg_cmd: str = "ffmpeg",
                  ffprobe_cmd: str = "ffprobe", source: Path | None = None) -> Path:
    """Write the ladder's audio track to `out` (.m4a); return the file the ladder should copy from.

    `input_args` are ffmpeg input arguments (a file, or lavfi for generated sound).
    For a `source` file whose audio already fits, that file itself is returned.
    """
    measured = integrated_loudness(input_args, ffmpeg_cmd)
    if source is not None and _fits_as_is(source, measured, ladder, ffprobe_cmd):
        return source
    gain_db = 0.0 if measured is None else ladder.loudness_lufs - measured
    limit = 10 ** (TRUE_PEAK_DB / 20)
    chain = (f"aformat=channel_layouts=stereo,aresample=48000,volume={gain_db:.2f}dB,"
             f"alimiter=limit={limit:.4f}:level=false:latency=true")
    result = _ffmpeg(ffmpeg_cmd, "-loglevel", "error", "-y", *input_args, "-map", "0:a:0", "-vn", "-af", chain,
                     "-c:a", "aac", "-b:a", str(ladder.audio_bitrate), "-ar", "48000", "-ac", "2", str(out))
    if result.returncode != 0:
        raise EncodeError(result.returncode, "\n".join(result.stderr.strip().splitlines()[-STDERR_TAIL_LINES:]))
    return out
