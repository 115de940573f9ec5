"""Media files the web server can read: nginx's workers run as another user (www-data, nobody).

Everything under MEDIA_ROOT is public by design (items' files are guarded by
signed URLs, not by file modes), so folders are 0755 and files 0644. Two
things would break that: a process umask such as 077 (systemd's UMask=, a
hardened shell), which ffmpeg's output inherits, and folders made by
tempfile.mkdtemp (always 0700) then moved into place. `keting` sets
MEDIA_UMASK at start, every folder moved into place goes through
make_public_tree first, and single files are written with replace_file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

MEDIA_UMASK = 0o022
FOLDER_MODE = 0o755
FILE_MODE = 0o644


def use_media_umask() -> None:
    """Give files this process (and its ffmpeg children) creates modes the web server can read."""
    os.umask(MEDIA_UMASK)


def make_public_tree(root: Path) -> None:
    """Folders 0755 and files 0644 under `root` (included), whatever made them."""
    os.chmod(root, FOLDER_MODE)
    for folder, folders, files in os.walk(root):
        for name in folders:
            os.chmod(os.path.join(folder, name), FOLDER_MODE)
        for name in files:
            os.chmod(os.path.join(folder, name), FILE_MODE)


def replace_file(path: Path, content: bytes) -> None:
    """Write a media file whole (nginx never serves half of it), readable by the web server: a staging file of
    its own in the same folder (other threads and processes may write the same file), moved into place."""
    handle, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(staging, FILE_MODE)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def unreadable_by_others(root: Path) -> list[Path]:
    """The folders and files under `root` that a user other than the owner cannot read (or enter)."""
    found = []
    for folder, folders, files in os.walk(root):
        for name in folders:
            path = Path(folder, name)
            if path.lstat().st_mode & (stat.S_IROTH | stat.S_IXOTH) != (stat.S_IROTH | stat.S_IXOTH):
                found.append(path)
        for name in files:
            path = Path(folder, name)
            if not path.lstat().st_mode & stat.S_IROTH:
                found.append(path)
    return found
