"""Resumable uploads (the tus 1.0 protocol): create, append, finish, cancel, expire.

Bytes stream to ORIGINALS_DIR/<random id>.part in small pieces, so memory
stays flat whatever the size; the client's file name is kept only as text,
never used as a path. When the last byte arrives the file is checked by
ffprobe: refused, it leaves no file and no row; accepted, it becomes a draft
item and a transcode job in one transaction. An upload naming an article
(`reading_for`) is that article's recorded reading instead: no new item, a
job that makes the reading's ladder.
"""

from __future__ import annotations

import base64
import binascii
import errno
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlite_utils import Database

from server.accounts.users import User
from server.catalogue.items import create_item
from server.core.channels_yaml import Lineup
from server.core.db import write_transaction
from server.core.errors import NotFound, UserError
from server.core.plain_text import checked
from server.core.timestamps import format_utc, parse_time
from server.ingest import transcode_jobs
from server.ingest.probe import probe_source

PIECE_BYTES = 1024 * 1024
# Keep this much free beyond the upload, so the database and logs can still write.
DISK_MARGIN_BYTES = 256 * 1024 * 1024
MAX_TEXT = 200


@dataclass(frozen=True)
class Accepted:
    """A finished upload that became an item and a transcode job."""

    item_id: int
    job_id: int


def parse_metadata(header: str | None) -> dict[str, str]:
    """tus Upload-Metadata: 'key base64value,key base64value'."""
    metadata: dict[str, str] = {}
    for pair in (header or "").split(","):
        key, _, encoded = pair.strip().partition(" ")
        if not key:
            continue
        try:
            metadata[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UserError("upload.bad_metadata", key=key) from None
    return metadata


def part_path(originals_dir: Path, upload_id: str) -> Path:
    """Where an upload's bytes accumulate in ORIGINALS_DIR until it is finished."""
    return originals_dir / f"{upload_id}.part"


def _digits(value: object, message_id: str) -> int:
    """A tus header's number: plain ASCII digits only (int() would also take " 1_0", "+5" or "١٢")."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise UserError(message_id, value=text[:40])
    return int(text)


def create_upload(db: Database, lineup: Lineup, user: User, length: object, metadata: dict[str, str],
                  now: datetime, config: dict) -> tuple[str, datetime]:
    """Open an upload of `length` bytes onto a board; return its id and expiry."""
    length = _digits(length, "upload.bad_length")
    if length <= 0:
        raise UserError("upload.bad_length", value=length)
    if length > config["MAX_UPLOAD_BYTES"]:
        raise UserError("upload.too_large", status=413, size=_gib(length), limit=_gib(config["MAX_UPLOAD_BYTES"]))
    reading_for = _reading_for(db, lineup, user, metadata)
    if reading_for is not None:  # an article's recorded reading: on the article's board, with its title
        metadata = {**metadata, "board": reading_for["board_id"], "title": reading_for["title"],
                    "speaker": "", "description": ""}
    board_id = metadata.get("board", "")
    if board_id not in lineup.boards_by_id:
        raise UserError("upload.unknown_board", value=board_id, known=", ".join(lineup.boards_by_id))
    if reading_for is None and not lineup.boards_by_id[board_id].has_video:
        raise UserError("item.board_takes_article", error_code="wrong_board_kind",
                        board=lineup.boards_by_id[board_id].name)
    if not user.may_edit(board_id):
        raise UserError("upload.board_forbidden", status=403, board=lineup.boards_by_id[board_id].name)
    filename = metadata.get("filename", "")[:MAX_TEXT]
    for field in ("title", "speaker", "description", "filename"):
        checked(metadata.get(field, ""), field)  # before the bytes come, not after
    title = (metadata.get("title") or Path(filename).stem or "").strip()[:MAX_TEXT]
    if not title:
        raise UserError("item.empty_title")
    originals = Path(config["ORIGINALS_DIR"])
    originals.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(originals).free
    if free < length + DISK_MARGIN_BYTES:
        raise UserError("upload.disk_full", status=507, size=_gib(length), free=_gib(free))
    upload_id = secrets.token_hex(16)
    expires_at = now + timedelta(seconds=config["UPLOAD_EXPIRY"])
    part_path(originals, upload_id).touch(exist_ok=False)
    db.execute(
        """INSERT INTO uploads (id, user_id, board_id, title, speaker, description, filename, length,
               created_at, expires_at, reading_for) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [upload_id, user.id, board_id, title, metadata.get("speaker", "")[:MAX_TEXT],
         metadata.get("description", "")[:2000], filename, length, format_utc(now), format_utc(expires_at),
         None if reading_for is None else reading_for["id"]])
    return upload_id, expires_at


def _reading_for(db: Database, lineup: Lineup, user: User, metadata: dict[str, str]):
    """The article a recorded reading is uploaded for (metadata `reading_for`: its id), checked; None for a
    lecture's upload."""
    raw = metadata.get("reading_for")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise UserError("upload.bad_reading_for", value=raw[:40])
    row = db.execute("SELECT id, kind, board_id, title FROM items WHERE id = ?", [int(raw)]).fetchone()
    if row is None or not user.may_edit(row["board_id"]):
        raise NotFound("item.not_found", id=raw)
    if row["kind"] != "article":
        raise UserError("upload.reading_not_article", id=raw)
    return row


def get_upload(db: Database, upload_id: str, user: User, now: datetime, originals_dir: Path):
    """The upload row if it belongs to `user` (administrators: anyone's); 404 / 410 otherwise."""
    row = db.execute("SELECT * FROM uploads WHERE id = ?", [upload_id]).fetchone()
    if row is None or (row["user_id"] != user.id and user.role != "admin"):
        raise NotFound("upload.not_found", id=upload_id)
    if now >= parse_time(row["expires_at"]):
        discard(db, upload_id, originals_dir)
        raise UserError("upload.expired", status=410)
    return row


def append(db: Database, upload_id: str, user: User, offset: object, body: BinaryIO, now: datetime,
           originals_dir: Path) -> int:
    """Write the body at `offset` (which must be where the upload stands); return the new offset."""
    row = get_upload(db, upload_id, user, now, originals_dir)
    if row["item_id"] is not None:
        raise UserError("upload.already_finished", status=409, item_id=row["item_id"])
    offset = _digits(offset, "upload.bad_offset")
    if offset != row["offset"]:
        raise UserError("upload.offset_mismatch", status=409, given=offset, expected=row["offset"])
    path = part_path(originals_dir, upload_id)
    written = 0
    remaining = row["length"] - offset
    try:
        with path.open("r+b") as part:
            part.seek(offset)
            part.truncate()
            while True:
                piece = body.read(PIECE_BYTES)  # b"" also where the connection broke: keep what arrived
                if not piece:
                    break
                if written + len(piece) > remaining:
                    raise UserError("upload.beyond_length", status=413, length=row["length"])
                part.write(piece)
                written += len(piece)
    except OSError as error:
        with path.open("r+b") as part:
            part.truncate(offset)  # drop the half-written piece; the client resumes from `offset`
        if error.errno == errno.ENOSPC:
            raise UserError("upload.disk_full", status=507, size=_gib(row["length"]),
                            free=_gib(shutil.disk_usage(originals_dir).free)) from None
        raise
    except UserError:
        with path.open("r+b") as part:
            part.truncate(offset)
        raise
    new_offset = offset + written
    db.execute("UPDATE uploads SET offset = ? WHERE id = ?", [new_offset, upload_id])
    return new_offset


def finish(db: Database, lineup: Lineup, upload_id: str, now: datetime, config: dict) -> Accepted:
    """Check the complete file; refuse it without a trace, or turn it into an item and a job."""
    row = db.execute("SELECT * FROM uploads WHERE id = ?", [upload_id]).fetchone()
    originals = Path(config["ORIGINALS_DIR"])
    def remember(item_id: int, job_id: int) -> None:
        db.execute("UPDATE uploads SET item_id = ?, job_id = ? WHERE id = ?", [item_id, job_id, upload_id])

    try:
        if row["reading_for"] is not None:
            return accept_reading(db, part_path(originals, upload_id), row["reading_for"], now, config,
                                  also=remember)
        return accept_source(db, lineup, part_path(originals, upload_id), row["board_id"], row["title"],
                             row["speaker"], row["description"], now, config, also=remember)
    except UserError:
        discard(db, upload_id, originals)
        raise


def accept_source(db: Database, lineup: Lineup, part: Path, board_id: str, title: str, speaker: str,
                  description: str, now: datetime, config: dict, also=lambda item_id, job_id: None) -> Accepted:
    """Validate a complete file in ORIGINALS_DIR and make it a draft item with a queued job.

    The rows and the file's move happen together: a failure leaves neither.
    The caller removes `part` when this raises.
    """
    source = probe_source(part, config["FFPROBE"], config["FFMPEG"])
    with write_transaction(db):
        item_id = create_item(db, lineup, kind="video", board_id=board_id, title=title, speaker=speaker,
                              description=description, duration_s=round(source.duration_s, 3), now=now)
        original = part.with_name(f"item-{item_id}.source")
        job_id = transcode_jobs.enqueue(db, item_id, str(original), now)
        also(item_id, job_id)
        part.rename(original)  # same folder, so atomic; last, so a failure above undoes the rows
    return Accepted(item_id, job_id)


def accept_reading(db: Database, part: Path, article_id: int, now: datetime, config: dict,
                   also=lambda item_id, job_id: None) -> Accepted:
    """Validate a complete recording (it must have sound) and queue its transcode as the article's recorded
    reading; the rows and the file's move together, as accept_source."""
    source = probe_source(part, config["FFPROBE"], config["FFMPEG"])
    if source.audio_codec is None:
        raise UserError("upload.reading_silent", status=422)
    with write_transaction(db):
        if db.execute("SELECT 1 FROM items WHERE id = ?", [article_id]).fetchone() is None:
            raise NotFound("item.not_found", id=article_id)  # deleted while it uploaded
        original = part.with_name(f"reading-{article_id}-{secrets.token_hex(8)}.source")
        job_id = transcode_jobs.enqueue(db, article_id, str(original), now, reading=True)
        also(article_id, job_id)
        part.rename(original)
    return Accepted(article_id, job_id)


def import_file(db: Database, lineup: Lineup, path: Path, board_id: str, title: str, speaker: str,
                now: datetime, config: dict) -> Accepted:
    """Bring a file from the server's disk in as an upload would (`keting import`)."""
    if not path.is_file():
        raise NotFound("upload.file_missing", path=path)
    board = lineup.boards_by_id.get(board_id)
    if board is None:
        raise UserError("upload.unknown_board", value=board_id, known=", ".join(lineup.boards_by_id))
    originals = Path(config["ORIGINALS_DIR"])
    originals.mkdir(parents=True, exist_ok=True)
    part = part_path(originals, secrets.token_hex(16))
    try:
        shutil.copyfile(path, part)
        return accept_source(db, lineup, part, board_id, title.strip() or path.stem, speaker, "", now, config)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def discard(db: Database, upload_id: str, originals_dir: Path) -> None:
    """Remove an upload's row and its partial file."""
    db.execute("DELETE FROM uploads WHERE id = ?", [upload_id])
    part_path(originals_dir, upload_id).unlink(missing_ok=True)


def expire_uploads(db: Database, now: datetime, originals_dir: Path) -> int:
    """Delete uploads past their expiry, with their files; return how many."""
    rows = db.execute("SELECT id FROM uploads WHERE expires_at <= ?", [format_utc(now)]).fetchall()
    for row in rows:
        discard(db, row["id"], originals_dir)
    return len(rows)


def _gib(size: int) -> str:
    return f"{size / 1024 ** 3:.2f} GiB"
