"""The nginx configuration Keting needs in front of it, generated from the site's own settings.

nginx serves media/ and the written channel playlists (no Python per viewer)
and proxies everything else to `keting serve`. It also enforces what the API
promises about items' files: they are served only through a signed,
unexpired prefix (core/media_signing.py), checked by nginx's secure_link
module with the site's MEDIA_SIGNING_KEY; asked for directly, 403.
`keting nginx-config` prints the server block; `standalone_config` wraps it
into a whole nginx.conf (the tests run real nginx with it).
"""

from __future__ import annotations

from pathlib import Path

from server.core.media_signing import PROTECTED_ROOTS, SIGNED_PREFIX

TYPES = ("types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; text/vtt vtt; image/jpeg jpg; "
         "image/png png; image/webp webp; }")


def _check(value: str, what: str) -> str:
    """A value written into nginx's configuration: refused if it could end a directive or open a block."""
    if any(ch in value for ch in ';{}"\'\n\r\\') or not value.strip():
        raise ValueError(f"{what} {value!r} cannot go into an nginx configuration")
    return value


def site_config(*, media_root: Path, signing_key: str, listen: str = "80", server_name: str = "_",
                upstream: str = "127.0.0.1:8080", media_path: str = "/media/") -> str:
    """The server block: signed item media, public media, written live playlists, the rest to Keting."""
    root = _check(str(Path(media_root).resolve()), "media folder")
    key, media = _check(signing_key, "signing key"), _check(media_path.rstrip("/") + "/", "media path")
    protected = "|".join(PROTECTED_ROOTS)
    signed = (f"^{media}{SIGNED_PREFIX}/(?<ks_expires>[0-9]+)/(?<ks_sig>[A-Za-z0-9_-]+)/"
              f"(?<ks_root>(?:{protected})/[^/]+)/(?<ks_file>.+)$")
    return f"""server {{
    listen {_check(listen, "listen")};
    server_name {_check(server_name, "server name")};
    client_max_body_size 0;  # tus uploads stream through; Keting bounds every other body itself
    server_tokens off;

    location {media} {{
        alias {root}/;
        {TYPES}
        # nginx tries the regular expressions below in order, before the prefix above.
        # Items' segments and subtitles: only through a signed, unexpired prefix that the API hands out.
        location ~ {signed} {{
            secure_link $ks_sig,$ks_expires;
            secure_link_md5 "$ks_expires$ks_root {key}";
            if ($secure_link = "") {{ return 403; }}
            if ($secure_link = "0") {{ return 410; }}
            alias {root}/$ks_root/$ks_file;
            add_header Cache-Control "private, max-age=3600";
        }}
        location ~ ^{media}(?:{protected})/ {{
            return 403;
        }}
        # Everything else under media/ is public: channel art, slates, live relays, article pictures.
        location ~ \\.m3u8$ {{ add_header Cache-Control "no-cache"; }}
        location ~ \\.ts$ {{ add_header Cache-Control "public, max-age=3600"; }}
    }}
    # Live channels: keting serve rewrites these files at every segment boundary.
    location ~ ^/live/(?<ks_channel>[0-9]+)/(?<ks_list>[A-Za-z0-9_-]+\\.m3u8)$ {{
        alias {root}/live/$ks_channel/$ks_list;
        types {{ application/vnd.apple.mpegurl m3u8; }}
        add_header Cache-Control "max-age=1";
    }}
    location / {{
        proxy_pass http://{_check(upstream, "upstream")};
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_request_buffering off;  # uploads reach Keting as they arrive (tus keeps cut bytes)
    }}
}}
"""


def standalone_config(site: str, prefix: Path) -> str:
    """A whole nginx.conf running `site` in the foreground with every file of its own under `prefix`."""
    folder = _check(str(Path(prefix).resolve()), "nginx folder")
    return f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    default_type application/octet-stream;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{site}}}
"""
