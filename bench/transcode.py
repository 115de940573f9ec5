"""Transcoding speed: the one-pass ladder against one ffmpeg per rendition, and the copy path.

Generates a 60 s lecture-like 720p clip (a still slide, a small moving speaker
window, a voice-like tone), then, RUNS times each, in this one process:
  pipeline  the project's ladder as jobs run it: audio measured and encoded once,
            one ffmpeg pass for all renditions (split filter)
  baseline  one ffmpeg per rendition, each normalising (loudnorm) and encoding
            its own audio, same video settings (the naive way)
  copy_top  a source that already is the 720p rung: copied, lower rungs encoded
  copy_only a source that already is the 360p rung (the only rung) with audio at
            the target loudness: nothing is encoded
Prints the median wall time and realtime factor of each, and one RESULT line.

    .venv/bin/python bench/transcode.py [--seconds 60] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.core.channels_yaml import load_lineup  # noqa: E402
from server.ingest.audio_prep import prepare_audio  # noqa: E402
from server.ingest.hls_ladder import renditions_for  # noqa: E402
from server.ingest.probe import probe_source  # noqa: E402
from server.ingest.transcoder import plan_ladder, prepare_source_audio, run_with_progress  # noqa: E402


def run(*args: str) -> None:
    """Run ffmpeg quietly with `args`, overwriting outputs; fail if it fails."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", *args], check=True)


def lecture(path: Path, seconds: int, size: str, rate: int, video_args: list[str]) -> Path:
    """A still slide with a moving speaker window and a voice-like tone."""
    width, height = (int(n) for n in size.split("x"))
    speaker = f"testsrc2=s={width // 4}x{height // 3}:r={rate}:d={seconds}"
    slide = f"color=c=0xF4F1E8:s={size}:r={rate}:d={seconds},drawgrid=w={width // 8}:h={height // 12}:c=0x1E3A5F@0.4"
    voice = f"aevalsrc=0.2*sin(2*PI*180*t)*(0.5+0.5*sin(2*PI*3*t)):s=44100:d={seconds}"
    run("-f", "lavfi", "-i", slide, "-f", "lavfi", "-i", speaker, "-f", "lavfi", "-i", voice,
        "-filter_complex", f"[0][1]overlay=x=W-w-{width // 20}:y=H-h-{height // 20}[v]",
        "-map", "[v]", "-map", "2:a", *video_args, "-c:a", "aac", "-shortest", str(path))
    return path


def encode(output) -> None:
    """Run a planned ladder's ffmpeg to the end, ignoring its progress."""
    run_with_progress(output, "ffmpeg", 1.0, lambda _percent, _eta: True)


def pipeline(source_path: Path, lineup, board, out: Path, scratch: Path) -> float:
    """Wall time of the project's path, audio preparation included."""
    start = time.perf_counter()
    source = probe_source(source_path)
    audio = prepare_source_audio(source_path, source, lineup.ladder, scratch)
    output, _ = plan_ladder(source_path, source, audio, lineup, board, "t", "s", out, None, scratch)
    encode(output)
    return time.perf_counter() - start


def naive_rendition(camera: Path, ladder, rung, out: Path) -> float:
    """One rendition the naive way: its own decode, loudnorm and AAC encode, same video settings."""
    gop = ladder.fps * ladder.segment_seconds
    graph = (f"[0:v]fps={ladder.fps},scale=-2:{rung.height},setsar=1[v];"
             f"[0:a]aformat=channel_layouts=stereo,loudnorm=I={ladder.loudness_lufs}:TP=-1.5:LRA=11,"
             f"aresample=48000[a]")
    start = time.perf_counter()
    run("-i", str(camera), "-filter_complex", graph, "-map", "[v]", "-map", "[a]",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", str(gop), "-keyint_min", str(gop),
        "-sc_threshold", "0", "-flags", "+cgop", "-force_key_frames", f"expr:gte(t,n_forced*{ladder.segment_seconds})",
        "-b:v", str(rung.video_bitrate), "-maxrate", str(int(rung.video_bitrate * 1.07)),
        "-bufsize", str(int(rung.video_bitrate * 1.5)), "-c:a", "aac", "-b:a", str(ladder.audio_bitrate),
        "-ar", "48000", "-ac", "2", "-f", "hls", "-hls_time", str(ladder.segment_seconds),
        "-hls_playlist_type", "vod", "-hls_segment_filename", str(out / "seg_%05d.ts"), str(out / "index.m3u8"))
    return time.perf_counter() - start


def main() -> None:
    """Time the project's ladder, the naive per-rendition way and the copy paths, and print the results."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lineup = load_lineup(REPO / "channels.yaml")
    board = lineup.boards_by_id["dangke"]
    ladder = lineup.ladder
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        camera = lecture(folder / "camera.mp4", args.seconds, "1280x720", 30,
                         ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-g", "300"])
        matching = ["-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
                    "-flags", "+cgop", "-pix_fmt", "yuv420p"]
        top = lecture(folder / "top.mp4", args.seconds, "1280x720", 25,
                      [*matching, "-b:v", "2000k", "-maxrate", "2400k", "-bufsize", "4000k"])
        raw_bottom = lecture(folder / "raw-bottom.mp4", args.seconds, "640x360", 25,
                             [*matching, "-b:v", "600k", "-maxrate", "700k", "-bufsize", "1200k"])
        ready_audio = prepare_audio(["-i", str(raw_bottom)], folder / "ready.m4a", ladder)
        bottom = folder / "bottom.mp4"
        run("-i", str(raw_bottom), "-i", str(ready_audio), "-map", "0:v", "-map", "1:a", "-c", "copy", str(bottom))
        times: dict[str, list[float]] = {"pipeline": [], "baseline": [], "copy_top": [], "copy_only": []}
        for _ in range(args.runs):
            for name, source_path in (("pipeline", camera), ("copy_top", top), ("copy_only", bottom)):
                out = folder / name
                shutil.rmtree(out, ignore_errors=True)
                times[name].append(pipeline(source_path, lineup, board, out, folder))
            total = 0.0
            for rung in renditions_for(ladder, probe_source(camera).height):
                out = folder / f"baseline-{rung.name}"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                total += naive_rendition(camera, ladder, rung, out)
            times["baseline"].append(total)
    medians = {name: statistics.median(values) for name, values in times.items()}
    rtf = {name: args.seconds / value for name, value in medians.items()}
    for name in times:
        runs = ", ".join(f"{t:.1f}" for t in times[name])
        print(f"{name:>9}: median {medians[name]:.1f} s ({runs}) = {rtf[name]:.1f}x realtime")
    print(f"RESULT seconds={args.seconds} pipeline_rtf={rtf['pipeline']:.2f} baseline_rtf={rtf['baseline']:.2f} "
          f"pipeline_vs_baseline={medians['baseline'] / medians['pipeline']:.2f} "
          f"copy_top_rtf={rtf['copy_top']:.2f} copy_only_rtf={rtf['copy_only']:.2f}")


if __name__ == "__main__":
    main()
