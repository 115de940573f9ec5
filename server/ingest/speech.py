"""A synthetic Mandarin reading of an article: eSpeak NG sentence by sentence, one AAC file.

Each sentence of the front end (speech_text.py) is one call of `espeak-ng -v cmn-latn-pinyin`
writing a WAV; their samples are joined with a short pause between them, and where each
sentence starts in the audio is kept beside where it starts in the text (the marks the TV
turns pages by). The joined WAV is brought to the lectures' loudness (channels.yaml's ladder)
and encoded once, as mono AAC at the engine's rate, into `out`. Nothing is written to `out` unless all of it worked.
"""

from __future__ import annotations

import subprocess
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from server.core.channels_yaml import Ladder
from server.core.child_process import die_with_parent
from server.ingest.audio_prep import TRUE_PEAK_DB, integrated_loudness
from server.ingest.hls_ladder import STDERR_TAIL_LINES, EncodeError
from server.ingest.speech_text import Sentence, pinyin_line

VOICE = "cmn-latn-pinyin"
SYLLABLES_PER_MINUTE = 190  # about 3 a second with the pauses: slower than a newsreader, for elderly listeners
PAUSE_S = 0.3  # between sentences, beside the engine's own
ENGINE_TIMEOUT_S = 60
ENGINE_CALLS = 2
ENCODE_TIMEOUT_S = 600
BITRATE = 64_000  # mono speech


@dataclass(frozen=True)
class Reading:
    """A made reading: its length and, for each sentence, (offset in the text, start in the audio)."""

    duration_s: float
    marks: tuple[tuple[int, float], ...]


def _speak(line: str, wav: Path, espeak_cmd: str) -> None:
    try:
        result = subprocess.run([espeak_cmd, "-v", VOICE, "-s", str(SYLLABLES_PER_MINUTE), "-w", str(wav), "--stdin"],
                                input=line.encode(), capture_output=True, timeout=ENGINE_TIMEOUT_S,
                                preexec_fn=die_with_parent, check=False)
    except FileNotFoundError as error:
        raise EncodeError(127, f"{espeak_cmd}: not found") from error
    except subprocess.TimeoutExpired as error:
        raise EncodeError(-9, f"{espeak_cmd}: no answer in {ENGINE_TIMEOUT_S} s") from error
    if result.returncode != 0 or not wav.exists():
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-STDERR_TAIL_LINES:]
        raise EncodeError(result.returncode, "\n".join(tail) or f"{espeak_cmd} wrote no audio")


def _encode(wav: Path, out: Path, ladder: Ladder, ffmpeg_cmd: str) -> None:
    """The reading at the lectures' loudness, as mono AAC (a voice; the native encoder's fast coder:
    its default took 8 s for two minutes of eSpeak's output, this takes 1 s)."""
    measured = integrated_loudness(["-i", str(wav)], ffmpeg_cmd)
    gain_db = 0.0 if measured is None else ladder.loudness_lufs - measured
    limit = 10 ** (TRUE_PEAK_DB / 20)
    # At the engine's own rate (22,050 Hz: a voice needs no more, and the limiter and encoder do half the work).
    chain = f"volume={gain_db:.2f}dB,alimiter=limit={limit:.4f}:level=false:latency=true"
    result = subprocess.run([ffmpeg_cmd, "-loglevel", "error", "-nostdin", "-y", "-i", str(wav), "-af", chain,
                             "-ac", "1", "-c:a", "aac", "-aac_coder", "fast", "-b:a", str(BITRATE),
                             "-movflags", "+faststart", str(out)],
                            capture_output=True, timeout=ENCODE_TIMEOUT_S, preexec_fn=die_with_parent, check=False)
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-STDERR_TAIL_LINES:]
        raise EncodeError(result.returncode, "\n".join(tail))


def synthesize(sentences: list[Sentence], out: Path, work: Path, ladder: Ladder, espeak_cmd: str = "espeak-ng",
               ffmpeg_cmd: str = "ffmpeg") -> Reading:
    """Read `sentences` aloud into `out` (.m4a), working in the empty folder `work`; raise EncodeError."""
    spoken = [(sentence.offset, line, work / f"{number}.wav") for number, sentence in enumerate(sentences)
              if (line := pinyin_line(sentence.text))]
    if not spoken:
        raise EncodeError(1, "nothing to read")
    # Two engine calls at a time (each is one process, mostly its start): half the wait on two cores.
    with ThreadPoolExecutor(ENGINE_CALLS) as pool:
        list(pool.map(lambda part: _speak(part[1], part[2], espeak_cmd), spoken))
    spoken = [(offset, wav) for offset, _, wav in spoken]
    joined = work / "speech.wav"
    marks: list[tuple[int, float]] = []
    frames_written = 0
    try:
        with wave.open(str(joined), "wb") as target:
            for offset, part in spoken:
                with wave.open(str(part), "rb") as source:
                    if not marks:
                        target.setparams(source.getparams())
                    rate = source.getframerate()
                    marks.append((offset, round(frames_written / rate, 3)))
                    pause_frames = int(rate * PAUSE_S)
                    target.writeframes(source.readframes(source.getnframes())
                                       + b"\0" * (pause_frames * source.getsampwidth() * source.getnchannels()))
                    frames_written += source.getnframes() + pause_frames
                part.unlink()
            duration_s = frames_written / target.getframerate()
    except (wave.Error, EOFError) as error:
        raise EncodeError(1, f"{espeak_cmd} wrote audio that is not a WAV file: {error}") from error
    encoded = work / "speech.m4a"
    _encode(joined, encoded, ladder, ffmpeg_cmd)
    joined.unlink()
    encoded.replace(out)
    return Reading(round(duration_s, 3), tuple(marks))
