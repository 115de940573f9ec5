"""Reading an article aloud: Keting's reading against eSpeak NG reading the same text in one call.

A 办事指南 text of about 3,000 characters (the test paragraph of docs/tts.md, varied), RUNS times each:
  keting    server/ingest/speech.py as the server runs it: the front end (pinyin, numbers as words),
            one eSpeak NG call per sentence (the marks the TV turns pages by), the WAVs joined,
            loudness measured, one mono AAC encode
  plain     the same pinyin in one `espeak-ng -w` call (no marks), then one plain AAC encode
            (`ffmpeg -c:a aac`, no loudness step): the obvious way with this engine
  floor     the same, encoded with the fast coder Keting uses: the least any reading with this engine
            costs (what the marks and the loudness step add is keting against this)
Prints the medians (wall time, and the audio's length against it) and one RESULT line.

    .venv/bin/python bench/readaloud.py [--runs 3] [--chars 3000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.core.channels_yaml import load_lineup  # noqa: E402
from server.ingest import speech  # noqa: E402
from server.ingest.speech_text import pinyin_line, sentences  # noqa: E402

PARAGRAPH = ("办理居住证需携带身份证原件，到社区服务中心一楼{n}号窗口办理，重新办理的长者不必排队。"
             "办理时间：周一至周五8:30至17:00。咨询电话：0571-8601234{n}。"
             "2026年1月{n}日起，60周岁以上老人免费办理，已有1,2{n}0人办理，占9{n}%。")


def text_of(chars: int) -> str:
    """Paragraphs of the test text, numbered differently, until `chars` characters."""
    paragraphs, n = [], 0
    while sum(len(p) + 2 for p in paragraphs) < chars:
        paragraphs.append(PARAGRAPH.format(n=n % 9 + 1))
        n += 1
    return "\n\n".join(paragraphs)


def keting(text: str, work: Path, ladder) -> tuple[float, float]:
    """Wall time and audio length of the server's reading."""
    started = time.perf_counter()
    reading = speech.synthesize(sentences(text), work / "out.m4a", work, ladder)
    return time.perf_counter() - started, reading.duration_s


def plain(text: str, work: Path, coder: tuple[str, ...] = ()) -> float:
    """Wall time of one eSpeak NG call on the whole text's pinyin and one encode (ffmpeg's AAC, `coder`)."""
    line = " ".join(pinyin_line(s.text) for s in sentences(text))
    started = time.perf_counter()
    subprocess.run(["espeak-ng", "-v", speech.VOICE, "-s", str(speech.SYLLABLES_PER_MINUTE), "-w",
                    str(work / "plain.wav"), "--stdin"], input=line.encode(), check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", "-i", str(work / "plain.wav"), "-ac", "1",
                    "-c:a", "aac", *coder, "-b:a", str(speech.BITRATE), str(work / "plain.m4a")], check=True)
    return time.perf_counter() - started


def main() -> None:
    """Time both RUNS times on the same text and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chars", type=int, default=3000)
    args = parser.parse_args()
    lineup = load_lineup(REPO / "channels.yaml")
    text = text_of(args.chars)
    pinyin_line("预热")  # pypinyin's dictionaries load once per process, as in the server
    ours, theirs, floors, audio = [], [], [], 0.0
    for _ in range(args.runs):  # in turns, so a busy moment of the machine falls on each alike
        with tempfile.TemporaryDirectory() as folder:
            wall, audio = keting(text, Path(folder), lineup.ladder)
            ours.append(wall)
        with tempfile.TemporaryDirectory() as folder:
            theirs.append(plain(text, Path(folder)))
        with tempfile.TemporaryDirectory() as folder:
            floors.append(plain(text, Path(folder), ("-aac_coder", "fast")))
    keting_s, plain_s, floor_s = (statistics.median(x) for x in (ours, theirs, floors))
    print(f"text: {len(text)} characters, {len(sentences(text))} sentences, reading {audio:.0f} s")
    for name, median, runs in (("keting", keting_s, ours), ("plain", plain_s, theirs), ("floor", floor_s, floors)):
        print(f"{name:7} median {median:.2f} s ({audio / median:.0f}x realtime)  runs {[round(x, 2) for x in runs]}")
    print(f"RESULT chars={len(text)} audio_s={audio:.0f} keting_s={keting_s:.2f} plain_espeak_s={plain_s:.2f} "
          f"floor_s={floor_s:.2f} keting_vs_plain={keting_s / plain_s:.2f} keting_vs_floor={keting_s / floor_s:.2f} "
          f"realtime_x={audio / keting_s:.0f}")


if __name__ == "__main__":
    main()
