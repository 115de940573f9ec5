"""What editors see of the catalogue: every item of their boards, whatever its state, with its latest job."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from server.accounts.users import User
from server.catalogue.items import STATES, ItemKind
from server.core.channels_yaml import Lineup
from server.core.errors import NotFound

KINDS = tuple(ItemKind)
MAX_ROWS = 500


@dataclass(frozen=True)
class LibraryItem:
    """An item as the editors' library shows it, with its latest transcode job, targets and subtitle languages."""

    id: int
    kind: str
    board_id: str
    title: str
    speaker: str
    description: str
    state: str
    publish_at: str | None
    expire_at: str | None
    pinned: bool
    sort_order: int
    duration_s: float | None
    thumbnail_path: str | None
    hls_path: str | None
    body_markdown: str | None
    updated_at: str
    job_id: int | None
    job_state: str | None
    job_progress: float | None
    job_eta_s: float | None
    job_error: str | None
    targets: tuple[int, ...]
    subtitles: tuple[str, ...]
    body_text: str | None = None  # an article's plain text (what its reading reads)

    @property
    def ready(self) -> bool:
        """Whether the item is ready to publish: an article always, a video once it has HLS output."""
        return self.kind == "article" or bool(self.hls_path)


_SELECT = """
    SELECT i.*, j.id AS job_id, j.state AS job_state, j.progress AS job_progress, j.eta_s AS job_eta_s,
           j.error_tail AS job_error,
           (SELECT json_group_array(org_id) FROM item_targets t WHERE t.item_id = i.id) AS target_ids,
           (SELECT json_group_array(lang) FROM item_subtitles s WHERE s.item_id = i.id) AS subtitle_langs
    FROM items i
    LEFT JOIN transcode_jobs j ON j.id = (SELECT max(id) FROM transcode_jobs WHERE item_id = i.id)"""


def _library_item(row) -> LibraryItem:
    return LibraryItem(
        row["id"], row["kind"], row["board_id"], row["title"], row["speaker"], row["description"], row["state"],
        row["publish_at"], row["expire_at"], bool(row["pinned"]), row["sort_order"], row["duration_s"],
        row["thumbnail_path"], row["hls_path"], row["body_markdown"], row["updated_at"], row["job_id"],
        row["job_state"], row["job_progress"], row["job_eta_s"], row["job_error"],
        tuple(json.loads(row["target_ids"])), tuple(json.loads(row["subtitle_langs"])), row["body_text"])


def editable_boards(lineup: Lineup, user: User) -> list:
    """The lineup's boards that `user` may edit."""
    return [board for board in lineup.boards if user.may_edit(board.id)]


def list_items(db: Database, lineup: Lineup, user: User, *, board_id: str = "", state: str = "", kind: str = "",
               query: str = "") -> list[LibraryItem]:
    """Items of the boards `user` may edit, newest change first, filtered; at most MAX_ROWS."""
    boards = [b.id for b in editable_boards(lineup, user)]
    if board_id:
        boards = [b for b in boards if b == board_id]
    if not boards:
        return []
    where = [f"i.board_id IN ({', '.join('?' for _ in boards)})"]
    params: list[object] = list(boards)
    if state in STATES:
        where.append("i.state = ?")
        params.append(state)
    if kind in KINDS:
        where.append("i.kind = ?")
        params.append(kind)
    if query.strip():
        # instr() instead of LIKE: the editor's % and _ are plain characters.
        where.append("(instr(i.title, ?) > 0 OR instr(i.speaker, ?) > 0 OR instr(i.description, ?) > 0)")
        params.extend([query.strip()] * 3)
    rows = db.execute(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY i.updated_at DESC, i.id DESC LIMIT ?",
                      [*params, MAX_ROWS]).fetchall()
    return [_library_item(row) for row in rows]


def get_item(db: Database, user: User, item_id: int) -> LibraryItem:
    """One item for its editor; another board's item is 'not found', as it is not theirs to see."""
    row = db.execute(f"{_SELECT} WHERE i.id = ?", [item_id]).fetchone()
    if row is None or not user.may_edit(row["board_id"]):
        raise NotFound("item.not_found", id=item_id)
    return _library_item(row)
