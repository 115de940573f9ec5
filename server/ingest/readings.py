"""Articles read aloud (朗读): which readings are wanted, made (once per site), kept and handed out.

The `readings` table is the truth (m029). A published article wants a reading of its current
text; the hash of that text (with the front end's version) says whether the reading on file
is of it. Any process may make a wanted one: a conditional UPSERT claims it, the audio is made
in a staging folder and moved into `media/readings/<item>/<hash>.m4a` whole, and the row is
finished only if the claim still holds. A reading of an older text is never handed out
(`current` compares the hashes), so a box never turns pages by another text's marks. A failure
is kept with its reason and tried again an hour later or when the text changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from keting_i18n import text
from server.core.db import write_transaction
from server.core.media_permissions import make_public_tree
from server.core.site import Site
from server.core.timestamps import format_utc
from server.ingest import speech
from server.ingest.hls_ladder import EncodeError
from server.ingest.speech_text import FRONT_END_VERSION, sentences
from server.ingest.transcode_jobs import this_worker

log = logging.getLogger(__name__)

FOLDER = "readings"
CLAIM_STALE = timedelta(minutes=15)  # a maker silent this long died: another may take the article
RETRY_AFTER = timedelta(hours=1)  # a failed reading is tried again this much later (or when the text changes)
READING_STATES = ("recorded", "ready", "making", "failed", "waiting", "none", "off")
# Longer articles are not read by the engine (about 80 minutes of speech); a recording can still be uploaded.
MAX_CHARACTERS = 20_000


@dataclass(frozen=True)
class CurrentReading:
    """The reading boxes get for an article now: the editor's recording, else the synthetic one of its text."""

    path: str  # under media/: an .m4a, or a recording's master playlist
    duration_s: float
    marks: list[list[float]]  # [offset in the text, start in the audio]; none for a recording (in proportion)
    kind: str  # "recorded" or "synthetic"


def text_hash(text: str) -> str:
    """What a reading reads, as a short hash: the text, the front end's version and the voice's settings."""
    voice = f"{FRONT_END_VERSION}/{speech.VOICE}/{speech.SYLLABLES_PER_MINUTE}/{speech.PAUSE_S}"
    return hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:24]


def current(db: Database, item_id: int, body_text: str | None) -> CurrentReading | None:
    """The reading of this article: its recording, else the synthetic reading of this text; None while there is
    neither (not made yet, being made, failed)."""
    row = db.execute("SELECT text_hash, path, duration_s, marks, recorded_path, recorded_duration_s FROM readings "
                     "WHERE item_id = ?", [item_id]).fetchone()
    if row is None:
        return None
    if row[4] is not None:
        return CurrentReading(row[4], row[5], [], "recorded")
    if row[1] is None or not body_text or row[0] != text_hash(body_text):
        return None
    return CurrentReading(row[1], row[2], json.loads(row[3]), "synthetic")


def states(db: Database, articles: Iterable, enabled: bool = True) -> dict[int, str]:
    """For editors: each article's reading (objects with id, kind, state, body_text), one of READING_STATES:
    recorded (an editor's recording), ready (the synthetic reading of its text as it is now), making, failed,
    waiting (to be made), none (only published articles are read by the engine), off (READ_ALOUD is off:
    `enabled` False)."""
    articles = [a for a in articles if a.kind == "article"]
    if not articles:
        return {}
    ids = [a.id for a in articles]
    found = {r[0]: r for r in db.execute(
        f"SELECT item_id, text_hash, making_hash, worker, failed_hash, recorded_path FROM readings "
        f"WHERE item_id IN ({','.join('?' * len(ids))})", ids)}
    answer = {}
    for article in articles:
        reading, digest = found.get(article.id), text_hash(article.body_text or "")
        if reading is not None and reading[5] is not None:
            answer[article.id] = "recorded"
        elif reading is not None and reading[1] == digest:
            answer[article.id] = "ready"
        elif article.state != "published" or not (article.body_text or "").strip():
            answer[article.id] = "none"
        elif not enabled:
            answer[article.id] = "off"
        elif reading is not None and reading[3] is not None and reading[2] == digest:
            answer[article.id] = "making"
        elif reading is not None and reading[4] == digest:
            answer[article.id] = "failed"
        else:
            answer[article.id] = "waiting"
    return answer


def wanted(db: Database, now: datetime) -> list[tuple[int, str]]:
    """Published articles without a reading of their text that nobody is making: (item id, text hash)."""
    stale, retry = format_utc(now - CLAIM_STALE), format_utc(now - RETRY_AFTER)
    found = []
    for item_id, body_text, have, worker, claimed_at, failed in db.execute(
            """SELECT i.id, i.body_text, r.text_hash, r.worker, r.claimed_at, r.failed_hash
               FROM items i LEFT JOIN readings r ON r.item_id = i.id
               WHERE i.kind = 'article' AND i.state = 'published' AND trim(coalesce(i.body_text, '')) != ''
               ORDER BY i.id"""):
        digest = text_hash(body_text)
        if digest == have or (worker is not None and claimed_at >= stale):
            continue
        if failed == digest and claimed_at is not None and claimed_at >= retry:
            continue
        found.append((item_id, digest))
    return found


def claim(db: Database, item_id: int, digest: str, worker: str, now: datetime) -> bool:
    """Take the making of an article's reading; False when another maker holds it."""
    cursor = db.execute(
        """INSERT INTO readings (item_id, making_hash, worker, claimed_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (item_id) DO UPDATE SET making_hash = excluded.making_hash, worker = excluded.worker,
               claimed_at = excluded.claimed_at
           WHERE readings.worker IS NULL OR readings.claimed_at < ?""",
        [item_id, digest, worker, format_utc(now), format_utc(now - CLAIM_STALE)])
    return cursor.rowcount == 1


def finish(db: Database, item_id: int, worker: str, path: str, reading: speech.Reading,
           now: datetime) -> tuple[bool, str | None]:
    """Keep a made reading if the claim still holds; (kept, the path of the reading it replaced)."""
    with write_transaction(db):
        row = db.execute("SELECT path, making_hash FROM readings WHERE item_id = ? AND worker = ?",
                         [item_id, worker]).fetchone()
        if row is None:
            return False, None
        db.execute("""UPDATE readings SET text_hash = making_hash, path = ?, duration_s = ?, marks = ?, made_at = ?,
                          worker = NULL, making_hash = NULL, failed_hash = NULL, error = NULL WHERE item_id = ?""",
                   [path, reading.duration_s, json.dumps([list(m) for m in reading.marks]), format_utc(now),
                    item_id])
    return True, row[0] if row[0] != path else None


def failure(db: Database, item_id: int) -> str | None:
    """Why the article's last reading could not be made (None: it did not fail)."""
    row = db.execute("SELECT error FROM readings WHERE item_id = ? AND failed_hash IS NOT NULL", [item_id]).fetchone()
    return row[0] if row else None


def fail(db: Database, item_id: int, worker: str, error: str, now: datetime) -> None:
    """Keep why a reading could not be made; it is tried again after RETRY_AFTER or for another text."""
    db.execute("""UPDATE readings SET failed_hash = making_hash, error = ?, claimed_at = ?, worker = NULL,
                      making_hash = NULL WHERE item_id = ? AND worker = ?""",
               [error[:2000], format_utc(now), item_id, worker])


def release(db: Database, item_id: int, worker: str) -> None:
    """Give a claim back without a verdict (the text changed since it was taken: the next round reads it)."""
    db.execute("UPDATE readings SET worker = NULL, making_hash = NULL WHERE item_id = ? AND worker = ?",
               [item_id, worker])


def _make(db: Database, site: Site, item_id: int, digest: str, worker: str) -> None:
    config, media_root = site.config, Path(site.config["MEDIA_ROOT"])
    staging = media_root / FOLDER / ".staging" / f"{item_id}-{worker.replace(':', '-')}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        row = db.execute("SELECT body_text FROM items WHERE id = ?", [item_id]).fetchone()
        if row is None or text_hash(row[0] or "") != digest:
            release(db, item_id, worker)  # deleted, or edited since this round began
            return
        if len(row[0]) > MAX_CHARACTERS:
            fail(db, item_id, worker, text("reading.too_long", lang=config["LANGUAGE"], chars=len(row[0]),
                                           limit=MAX_CHARACTERS), site.now())
            return
        made = staging / "made.m4a"
        reading = speech.synthesize(sentences(row[0]), made, staging, site.lineup.ladder,
                                    config["ESPEAK"], config["FFMPEG"])
        folder = media_root / FOLDER / str(item_id)
        folder.mkdir(parents=True, exist_ok=True)
        make_public_tree(folder)
        # A name of its own: a maker whose claim was taken over never touches the other's file.
        relative = f"{FOLDER}/{item_id}/{digest}-{secrets.token_hex(4)}.m4a"
        made.chmod(0o644)
        made.replace(media_root / relative)
        kept, replaced = finish(db, item_id, worker, relative, reading, site.now())
        if not kept:
            (media_root / relative).unlink(missing_ok=True)
        elif replaced:
            (media_root / replaced).unlink(missing_ok=True)
    except Exception as error:  # noqa: BLE001 - whatever it was, the article says so and the claim is given back
        reason = str(getattr(error, "stderr_tail", "") or error)
        log.warning("reading of article %s not made: %s", item_id, reason, exc_info=not isinstance(error, EncodeError))
        fail(db, item_id, worker, reason, site.now())
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def recorded_folder(item_id: int) -> str:
    """Where an article's recorded reading's ladder goes (under vod/: served through signed URLs); a new
    random part each time, so a box never mixes the segments of two recordings."""
    return f"vod/{item_id}-reading-{secrets.token_urlsafe(12)}"


def keep_recorded(db: Database, item_id: int, job_id: int, path: str, duration_s: float,
                  now: datetime) -> tuple[bool, str | None]:
    """Make `path` (a master playlist), made by job `job_id`, the article's recorded reading unless a later
    upload's is there already; (kept, the path of the recording it replaced)."""
    row = db.execute("SELECT recorded_path, recorded_job FROM readings WHERE item_id = ?", [item_id]).fetchone()
    if row is not None and row[1] is not None and row[1] > job_id:
        return False, None  # a later recording finished first: it stays
    db.execute("""INSERT INTO readings (item_id, recorded_path, recorded_duration_s, recorded_at, recorded_job)
                  VALUES (?, ?, ?, ?, ?)
                  ON CONFLICT (item_id) DO UPDATE SET recorded_path = excluded.recorded_path,
                      recorded_duration_s = excluded.recorded_duration_s, recorded_at = excluded.recorded_at,
                      recorded_job = excluded.recorded_job""",
               [item_id, path, round(duration_s, 3), format_utc(now), job_id])
    return True, row[0] if row is not None and row[0] != path else None


def drop_recorded(db: Database, item_id: int, media_root: Path, now: datetime) -> bool:
    """Take an article's recorded reading away (the synthetic one is handed out again), and cancel the
    recordings still being transcoded for it (they would bring one back); False if there was neither."""
    with write_transaction(db):
        row = db.execute("SELECT recorded_path FROM readings WHERE item_id = ?", [item_id]).fetchone()
        cancelled = db.execute("""UPDATE transcode_jobs SET state = 'cancelled', finished_at = ?
                                  WHERE item_id = ? AND reading = 1 AND state IN ('queued', 'running')""",
                               [format_utc(now), item_id]).rowcount
        if row is not None and row[0] is not None:
            db.execute("UPDATE readings SET recorded_path = NULL, recorded_duration_s = NULL, recorded_at = NULL "
                       "WHERE item_id = ?", [item_id])
    if row is None or row[0] is None:
        return cancelled > 0
    shutil.rmtree(media_root / row[0].rsplit("/", 1)[0], ignore_errors=True)
    return True


def sweep(db: Database, media_root: Path, now: datetime) -> None:
    """Delete the reading folders of deleted articles, and recordings' ladders no article names (an hour
    after they were written: a transcode moves its ladder into place just before it names it)."""
    root = media_root / FOLDER
    kept = {str(row[0]) for row in db.execute("SELECT item_id FROM readings")}
    for folder in root.iterdir() if root.is_dir() else ():
        if folder.name.isdigit() and folder.name not in kept:
            shutil.rmtree(folder, ignore_errors=True)
    named = {row[0].rsplit("/", 1)[0] for row in db.execute(
        "SELECT recorded_path FROM readings WHERE recorded_path IS NOT NULL")}
    for folder in (media_root / "vod").glob("*-reading-*"):
        if f"vod/{folder.name}" not in named and folder.stat().st_mtime < (now - RETRY_AFTER).timestamp():
            shutil.rmtree(folder, ignore_errors=True)


def make_readings(db: Database, site: Site) -> int:
    """Make every wanted reading this process can claim (READ_ALOUD on); return how many were tried."""
    if not site.config["READ_ALOUD"]:
        return 0
    worker, tried = this_worker(), 0
    for item_id, digest in wanted(db, site.now()):
        if claim(db, item_id, digest, worker, site.now()):
            _make(db, site, item_id, digest, worker)
            tried += 1
    sweep(db, Path(site.config["MEDIA_ROOT"]), site.now())
    return tried
