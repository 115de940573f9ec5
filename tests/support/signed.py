"""Signed media URLs in tests: make one as the server would, or read the plain path behind one."""

from __future__ import annotations

import re

from server.core.media_signing import MediaSigner, expiry

_SIGNED = re.compile(r"/s/\d+/[A-Za-z0-9_-]+/")


def unsigned(url: str) -> str:
    """`url` with its signature part (s/<expires>/<signature>/) taken out, for comparing with a plain path."""
    return _SIGNED.sub("/", url)


def signed_path(app, path: str, now_s: float, lifetime_s: int = 3600) -> str:
    """`path` signed with the app's key, valid `lifetime_s` after `now_s` (as media_url would make it)."""
    return MediaSigner(app.config["MEDIA_SIGNING_KEY"]).path(path, expiry(now_s, lifetime_s))
