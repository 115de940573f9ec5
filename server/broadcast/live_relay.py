"""Live events: ffmpeg relays an input URL into the ladder format, the channel shows it, a recording stays.

LIVE_LEAD_SECONDS before an event starts, a relay run starts: one ffmpeg
reading the input (RTMP(S), RTSP, SRT or HLS over HTTP(S), checked again by
live_input.py and opened with only its scheme's protocols) and writing every
rung of the ladder as HLS under
media/live/events/<entry>/run-<n>/, loudness-normalised, with segments
numbered by capture time (live_feed.py). The database holds the runs and the
event's state; the channel's timeline follows it (playout_store.py): the
slate while the relay is not producing, the relay once it is.

An ffmpeg that exits before the event's end is run again after 2, 4, 8 …
(at most 30) seconds; the administrator sees the reason as one of a few known
messages (ffmpeg_errors.py), never ffmpeg's own output, which may quote the
input's secrets and stays in the server's log. When the event
ends the relay stops, and the segments of all runs are joined into one file
that comes in like an upload: a draft video on RECORDINGS_BOARD.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import ffmpeg
from sqlite_utils import Database

from keting_i18n import text
from server.broadcast.live_feed import run_folder
from server.broadcast.live_input import allowed_hosts, check_live_url, input_options
from server.broadcast.schedule import LiveState
from server.core.channels_yaml import Lineup
from server.core.child_process import die_with_parent
from server.core.errors import UserError
from server.core.timestamps import format_utc, to_ms
from server.ingest.ffmpeg_errors import message_id, reason_for
from server.ingest.hls_ladder import STDERR_TAIL_LINES, ladder_output

log = logging.getLogger(__name__)
BACKOFF_MAX_S = 30


def relay_args(url: str, lineup: Lineup, out_dir: Path, start_number: int, ffmpeg_cmd: str = "ffmpeg") -> list[str]:
    """The ffmpeg command line of one relay run, for a URL that live_input.check_live_url accepted."""
    ladder = lineup.ladder
    source = ffmpeg.input(url, **input_options(url))
    audio = (source.audio.filter("aformat", channel_layouts="stereo")
             .filter("loudnorm", I=ladder.loudness_lufs, TP=-1.5, LRA=11).filter("aresample", 48000))
    output = ladder_output(source.video, audio, ladder, ladder.renditions, out_dir, live_start_number=start_number)
    return output.global_args("-hide_banner", "-nostdin", "-loglevel", "error").compile(cmd=ffmpeg_cmd)


@dataclass
class _Relay:
    process: subprocess.Popen
    run: int
    folder: Path
    log_path: Path


def _tail(path: Path) -> str:
    """The end of a run's ffmpeg log (for the reason and the server's log only: never stored or shown)."""
    try:
        return "\n".join(path.read_text("utf-8", "replace").strip().splitlines()[-STDERR_TAIL_LINES:])
    except OSError:
        return ""


def _set_state(db: Database, entry_id: int, state: str, error: str | None = None, keep_error: bool = False) -> None:
    if keep_error:
        db.execute("UPDATE schedule_entries SET live_state = ? WHERE id = ?", [state, entry_id])
    else:
        db.execute("UPDATE schedule_entries SET live_state = ?, live_error = ? WHERE id = ?", [state, error, entry_id])


def make_recording(db: Database, lineup: Lineup, entry, media_root: Path, config, now: datetime) -> int | None:
    """Join the event's top-rung segments of every run into one file and bring it in as a draft video."""
    from server.ingest.uploads import import_file

    top = lineup.ladder.renditions[0].name
    segments: list[Path] = []
    for run in db.execute("SELECT run FROM live_runs WHERE entry_id = ? ORDER BY run", [entry["id"]]):
        folder = media_root / run_folder(entry["id"], run["run"]) / top
        segments += sorted(folder.glob("seg_*.ts"), key=lambda path: int(path.stem.split("_")[1]))
    if not segments:
        return None
    with tempfile.TemporaryDirectory(prefix="keting-recording-") as scratch:
        listing = Path(scratch) / "segments.txt"
        listing.write_text("".join(f"file '{path}'\n" for path in segments), "utf-8")
        joined = Path(scratch) / "recording.ts"
        subprocess.run([config["FFMPEG"], "-hide_banner", "-nostdin", "-loglevel", "error",
                        "-protocol_whitelist", "file", "-f", "concat",
                        "-safe", "0", "-i", str(listing), "-map", "0", "-c", "copy", str(joined)],
                       check=True, timeout=3600, preexec_fn=die_with_parent)
        accepted = import_file(db, lineup, joined, config["RECORDINGS_BOARD"], entry["title"], "", now, config)
    db.execute("UPDATE schedule_entries SET recording_item_id = ? WHERE id = ?", [accepted.item_id, entry["id"]])
    return accepted.item_id


class LiveRelays:
    """The relay processes of this server; their truth (runs, states) is in the database."""

    def __init__(self, media_root: Path, originals_dir: Path):
        self.media_root = media_root
        self.logs = originals_dir / "live-logs"  # never served: input URLs may hold stream keys
        self.relays: dict[int, _Relay] = {}
        self.closed = False  # stop_all ran: a tick still running when the server stops starts nothing more
        self._lock = threading.Lock()  # stop_all (the server's thread) against a tick (the scheduler's)
        self.failures: dict[int, int] = {}
        self.retry_at: dict[int, int] = {}
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def stop_all(self) -> None:
        """Terminate every relay of this server, killing any that has not ended after 10 s. A tick may still be
        running in the scheduler's thread (it is shut down without waiting): it starts no relay after this."""
        with self._lock:
            self.closed = True
            relays = list(self.relays.values())
        for relay in relays:
            relay.process.terminate()
        for relay in relays:
            try:
                relay.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                relay.process.kill()
        with self._lock:
            self.relays.clear()

    def _start(self, db: Database, lineup: Lineup, entry, now_ms: int, config) -> bool:
        """Start a relay run; False (and the event failed) when its input is no longer allowed."""
        try:  # again now: the host's address may have changed since the event was scheduled
            url = check_live_url(entry["live_url"], allowed_hosts(config))
        except UserError as error:
            log.warning("live event %s: input refused at start: %s", entry["id"], error.message())
            _set_state(db, entry["id"], LiveState.FAILED, text("ffmpeg.not_allowed", lang=config["LANGUAGE"]))
            return False
        ffmpeg_cmd = config["FFMPEG"]
        seg_ms = lineup.ladder.segment_seconds * 1000
        epoch = entry["live_epoch_ms"]
        if epoch is None:
            epoch = now_ms
            db.execute("UPDATE schedule_entries SET live_epoch_ms = ? WHERE id = ?", [epoch, entry["id"]])
        run = db.execute("SELECT COALESCE(MAX(run), 0) + 1 FROM live_runs WHERE entry_id = ?",
                         [entry["id"]]).fetchone()[0]
        start_number = max(0, math.ceil((now_ms - epoch) / seg_ms))
        # The run's row before its process: an event deleted since this tick read it fails the foreign key here,
        # and no ffmpeg is left writing for nobody (it would be in no relay of ours, so never stopped).
        try:
            db.execute("""INSERT INTO live_runs (entry_id, run, start_number, worker, started_at_ms)
                          VALUES (?, ?, ?, ?, ?)""", [entry["id"], run, start_number, self.worker, now_ms])
        except sqlite3.IntegrityError:
            log.info("live event %s: deleted as its relay was starting", entry["id"])
            return False
        folder = self.media_root / run_folder(entry["id"], run)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"event-{entry['id']}-run-{run}.log"
        args = relay_args(url, lineup, folder, start_number, ffmpeg_cmd)
        try:
            with log_path.open("wb") as stderr:
                process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                           preexec_fn=die_with_parent)
        except OSError as error:  # no ffmpeg, no room for the log: the run ends at once, with the reason
            db.execute("UPDATE live_runs SET ended_at_ms = ?, error = ? WHERE entry_id = ? AND run = ?",
                       [now_ms, str(error), entry["id"], run])
            raise
        _set_state(db, entry["id"], LiveState.STARTING, keep_error=True)
        with self._lock:
            if self.closed:  # the server stopped while this relay started: it must not outlive it
                process.terminate()
                process.wait(timeout=10)
                return False
            self.relays[entry["id"]] = _Relay(process, run, folder, log_path)
        log.info("live event %s: relay run %s started", entry["id"], run)
        return True

    def _stop(self, entry_id: int) -> None:
        """End one relay's ffmpeg (killed if it has not ended after 10 s)."""
        relay = self.relays.get(entry_id)
        if relay is None:  # stop_all ended it already
            return
        process = relay.process
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def _end_run(self, db: Database, entry_id: int, now_ms: int, error: str | None) -> None:
        with self._lock:
            relay = self.relays.pop(entry_id, None)
        if relay is None:  # stop_all took it (the server is stopping)
            return
        db.execute("UPDATE live_runs SET ended_at_ms = ?, error = ? WHERE entry_id = ? AND run = ?",
                   [now_ms, error, entry_id, relay.run])

    def tick(self, db: Database, lineup: Lineup, now: datetime, config) -> bool:
        """Start, watch, retry and stop relays as the schedule says; True when a state changed."""
        now_ms, changed = to_ms(now), False
        stamp = format_utc(now)
        # Runs left open by a server that died (its ffmpeg died with it).
        for run in db.execute("SELECT entry_id, run FROM live_runs WHERE ended_at_ms IS NULL").fetchall():
            if run["entry_id"] not in self.relays:
                db.execute("UPDATE live_runs SET ended_at_ms = ?, error = 'server restarted' "
                           "WHERE entry_id = ? AND run = ?", [now_ms, run["entry_id"], run["run"]])
                changed = True
        lead = datetime.fromtimestamp((now_ms + config["LIVE_LEAD_SECONDS"] * 1000) / 1000, now.tzinfo)
        events = db.execute("""SELECT * FROM schedule_entries WHERE live_url IS NOT NULL AND state = 'scheduled'
                               AND start_at <= ? AND COALESCE(live_state, 'waiting') NOT IN ('done', 'failed')""",
                            [format_utc(lead)]).fetchall()
        wanted = {entry["id"] for entry in events}
        for entry_id in [entry_id for entry_id in list(self.relays) if entry_id not in wanted]:
            # Deleted (or pre-empted) while its relay ran: stop it, or ffmpeg would write on for nobody.
            self._stop(entry_id)
            self._end_run(db, entry_id, now_ms, None)
            log.info("live event %s: off the schedule, relay stopped", entry_id)
            changed = True
        for entry in events:
            relay = self.relays.get(entry["id"])
            if entry["end_at"] <= stamp:
                if relay is not None:
                    self._stop(entry["id"])
                    self._end_run(db, entry["id"], now_ms, None)
                _set_state(db, entry["id"], LiveState.DONE, keep_error=True)
                try:
                    make_recording(db, lineup, entry, self.media_root, config, now)
                except Exception:  # the broadcast is over either way; the log says why
                    log.exception("live event %s: the recording could not be made", entry["id"])
                changed = True
            elif relay is None:
                if self.retry_at.get(entry["id"], 0) <= now_ms:
                    self._start(db, lineup, entry, now_ms, config)
                    changed = True
            elif relay.process.poll() is not None:
                tail = _tail(relay.log_path)
                reason = reason_for(tail, relay.process.returncode)
                self._end_run(db, entry["id"], now_ms, reason)
                failures = self.failures.get(entry["id"], 0) + 1
                self.failures[entry["id"]] = failures
                self.retry_at[entry["id"]] = now_ms + min(BACKOFF_MAX_S, 2 ** failures) * 1000
                _set_state(db, entry["id"], LiveState.RETRYING, text(message_id(reason), lang=config["LANGUAGE"]))
                log.warning("live event %s: relay stopped (%s, exit %s): %s; retry %s", entry["id"], reason,
                            relay.process.returncode, tail, failures)
                changed = True
            else:
                changed |= self._check_first_segment(db, lineup, entry["id"], relay, now_ms)
        return changed

    def _check_first_segment(self, db: Database, lineup: Lineup, entry_id: int, relay: _Relay, now_ms: int) -> bool:
        """A run counts as producing once every rung has its first complete segment."""
        run = db.execute("SELECT * FROM live_runs WHERE entry_id = ? AND run = ?", [entry_id, relay.run]).fetchone()
        if run["first_segment_at_ms"] is not None:
            return False
        name = f"seg_{run['start_number']:05d}.ts"
        if not all((relay.folder / r.name / name).is_file() for r in lineup.ladder.renditions):
            return False
        db.execute("UPDATE live_runs SET first_segment_at_ms = ? WHERE entry_id = ? AND run = ?",
                   [now_ms, entry_id, relay.run])
        self.failures.pop(entry_id, None)
        _set_state(db, entry_id, LiveState.RUNNING)
        return True
