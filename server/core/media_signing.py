"""Signed, expiring paths for protected media: what nginx's secure_link (and Flask in development) check.

An item's segments and subtitles are not public: drafts, expired items and
items for one community must not be fetched by whoever guesses a path. The
API hands out URLs of the form

    <MEDIA_URL>s/<expires>/<signature>/<protected root>/<file…>

where the protected root is the first two parts of the path (vod/<folder>,
subtitles/<item> or readings/<item>) and the signature is nginx's secure_link_md5 of
"<expires><root> <key>" (base64url, no padding). Every file under the root
shares it, so a master playlist's relative URIs (720p/index.m3u8, its
segments) resolve under the same signed prefix and need no signature of their
own. nginx checks it without Python (deploy.md); media_files.py checks the
same in development. Expiry times are rounded up to the hour, so a URL (and
the answers and playlists that carry it) stays the same for an hour.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from dataclasses import dataclass

PROTECTED_ROOTS = ("vod", "subtitles", "readings")
SIGNED_PREFIX = "s"
HOUR_S = 3600


def plain_path(path: str) -> bool:
    """Whether a media path names one file by itself: no empty, "." or ".." part and no backslash, so it
    cannot climb out of the folder a signature covers (a server normalising "a/../b" would serve b)."""
    return bool(path) and "\\" not in path and all(part not in ("", ".", "..") for part in path.split("/"))


def protected_root(path: str) -> str | None:
    """The protected root of a media path ("vod/12-abc" of "vod/12-abc/720p/seg_00001.ts"), or None."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] in PROTECTED_ROOTS and parts[1] not in ("", ".", ".."):
        return f"{parts[0]}/{parts[1]}"
    return None


def expiry(now_s: float, lifetime_s: int) -> int:
    """When a URL handed out at `now_s` expires: at least `lifetime_s` later, on a whole hour."""
    return math.ceil((now_s + lifetime_s) / HOUR_S) * HOUR_S


def signature(root: str, expires: int, key: str) -> str:
    """nginx's secure_link_md5 "$expires$root <key>", as its base64url without padding."""
    # MD5 because nginx's secure_link computes it; keyed with a long random key, as nginx documents.
    digest = hashlib.md5(f"{expires}{root} {key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class MediaSigner:
    """Turns media paths into signed ones with one key."""

    key: str

    def path(self, path: str, expires: int) -> str:
        """`path` (relative to MEDIA_ROOT) as the client must ask for it: signed if it is protected."""
        root = protected_root(path)
        if root is None:
            return path
        return f"{SIGNED_PREFIX}/{expires}/{signature(root, expires, self.key)}/{path}"

    def check(self, signed_path: str, now_s: float) -> str | None:
        """The media path behind a signed one, if its signature holds and it has not expired; else None."""
        parts = signed_path.split("/", 3)
        if len(parts) != 4 or parts[0] != SIGNED_PREFIX or not parts[1].isascii() or not parts[1].isdigit():
            return None
        expires, given, path = int(parts[1]), parts[2], parts[3]
        root = protected_root(path)
        if root is None or expires < now_s or not plain_path(path):
            return None
        return path if hmac.compare_digest(given, signature(root, expires, self.key)) else None
