"""Keys a site makes for itself once and keeps in its instance folder (mode 600), unless a setting gives one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def instance_key(instance_path: str | Path, name: str, configured: str = "") -> str:
    """`configured` if set, else the key in instance/<name>, made now (64 hex digits) if it is not there yet.

    Every process of one site reads the same file, so they agree on the key.
    """
    if configured:
        return configured
    path = Path(instance_path) / name
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the instance folder is private
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()
