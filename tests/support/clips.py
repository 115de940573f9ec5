"""Tiny media files made by real ffmpeg for tests: good clips and the bad-input corpus."""

from __future__ import annotations

import subprocess
from pathlib import Path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", *args], check=True, timeout=120)


def lecture_clip(path: Path, seconds: float = 3, size: str = "640x360", rate: int = 25,
                 audio: bool = True, extra: tuple[str, ...] = ()) -> Path:
    """A test-pattern video with a tone, H.264 + AAC in MP4."""
    inputs = ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={rate}:d={seconds}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:d={seconds}"]
    ffmpeg(*inputs, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           *(["-c:a", "aac"] if audio else []), *extra, "-shortest", str(path))
    return path


def bad_inputs(folder: Path) -> dict[str, Path]:
    """The issue's corpus of bad inputs, made for real. Keys name the case."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = {}
    corpus["zero_bytes"] = folder / "zero.mp4"
    corpus["zero_bytes"].write_bytes(b"")
    corpus["text_as_mp4"] = folder / "notes.mp4"
    corpus["text_as_mp4"].write_text("会议记录：这不是视频。\n" * 20, encoding="utf-8")
    good = lecture_clip(folder / "whole.mp4", seconds=3)
    corpus["truncated_mp4"] = folder / "truncated.mp4"
    corpus["truncated_mp4"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    good.unlink()
    corpus["png"] = folder / "poster.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240", "-frames:v", "1", "-f", "image2", "-c:v", "png",
           str(corpus["png"]))
    corpus["huge_header"] = folder / "huge.y4m"
    corpus["huge_header"].write_bytes(b"YUV4MPEG2 W20000 H20000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(100_000))
    return corpus
