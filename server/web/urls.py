"""Every absolute URL the server hands out, built in one place.

A set-top box, VLC or a CDN must reach what an answer names, also behind a
proxy: the base is KETING_PUBLIC_URL when set (else the address the request
came to, else HOST:PORT for the CLI), and media live under KETING_MEDIA_URL,
which may itself be absolute (a CDN or a separate nginx).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urljoin

from flask import current_app, has_request_context, request

from server.core.media_signing import MediaSigner, expiry, protected_root
from server.web.context import clock

# A box gets a fresh URL each time it opens an item; one it keeps works at least this long.
MEDIA_URL_LIFETIME_S = 6 * 3600


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def public_base(config: Mapping[str, object], request_base: str | None = None) -> str:
    """The server's base URL ending in /: PUBLIC_URL, else the request's, else http://HOST:PORT/."""
    if config["PUBLIC_URL"]:
        return _slash(str(config["PUBLIC_URL"]))
    if request_base:
        return _slash(request_base)
    host = str(config["HOST"])
    return f"http://[{host}]:{config['PORT']}/" if ":" in host else f"http://{host}:{config['PORT']}/"


def base_url() -> str:
    """The base URL players and boxes reach this server at (see public_base)."""
    return public_base(current_app.config, request.host_url if has_request_context() else None)


def site_url(path: str) -> str:
    """An absolute URL for a path on this server, e.g. site_url("live/1/master.m3u8")."""
    return urljoin(base_url(), path.lstrip("/"))


def media_base() -> str:
    """The absolute URL of MEDIA_ROOT's top, ending in /."""
    return _slash(urljoin(base_url(), str(current_app.config["MEDIA_URL"])))


def media_expiry() -> int:
    """When the signed media URLs handed out now expire (hour-aligned, so answers stay the same for an hour:
    a catalogue ETag includes it)."""
    return expiry(clock().timestamp(), MEDIA_URL_LIFETIME_S)


def media_url(path: str | None) -> str | None:
    """Absolute URL of a file under MEDIA_ROOT, as a box must fetch it; an item's segments and subtitles are
    signed and expire (media_signing.py).

    `path` is relative to MEDIA_ROOT; a path starting with / or a full URL
    (an image an editor linked) resolves as a browser would resolve it.
    """
    if not path:
        return None
    if protected_root(path) is not None:
        path = MediaSigner(str(current_app.config["MEDIA_SIGNING_KEY"])).path(path, media_expiry())
    return urljoin(media_base(), path)


def media_path(relative: str) -> str:
    """A file under MEDIA_ROOT as MEDIA_URL names it, without a host (what article Markdown keeps,
    so a site that moves keeps its pictures)."""
    return _slash(str(current_app.config["MEDIA_URL"])) + relative.lstrip("/")
