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

import re
from pathlib import Path

from server.core.media_signing import PROTECTED_ROOTS, SIGNED_PREFIX

TYPES = ("types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; text/vtt vtt; image/jpeg jpg; "
         "image/png png; image/webp webp; audio/mp4 m4a; }")


def _check(value: str, what: str) -> str:
    """A value written into nginx's configuration: refused if it could end a directive or open a block."""
    if any(ch in value for ch in ';{}"\'\n\r\\') or not value.strip():
        raise ValueError(f"{what} {value!r} cannot go into an nginx configuration")
    return value


BODY_LIMIT = "21m"
UPLOADS_COMMENT = """    # tus uploads (the token is checked before a byte is read): any size, passed on as they arrive,
    # so a cut upload keeps its bytes. HTTP/1.1 to Keting, or nginx spools a chunked body to disk first.
    # Elsewhere bodies are buffered (bounded above) and sent with their length over HTTP/1.0, which
    # gunicorn answers with less work per request (bench/boxes.py: API p99 halved).
"""
MEDIA_PATH = re.compile(r"/(?:[A-Za-z0-9_-]+/)+")
GZIP = ("gzip on; gzip_min_length 1024; gzip_types application/vnd.apple.mpegurl application/xml text/xml "
        "application/json text/css application/javascript image/svg+xml;")


def _listens(port: str, extra: str = "") -> str:
    """listen lines for a bare port on IPv4 and IPv6, or for one address:port as given."""
    lines = [f"    listen {_check(port, 'listen')}{extra};"]
    if port.isdigit():
        lines.append(f"    listen [::]:{port}{extra};")
    return "\n".join(lines) + "\n"


def _tls(server_name: str, certificate: str, key: str, http_port: str) -> tuple[str, str]:
    """The HTTP server that sends everyone to HTTPS, and the TLS lines of the HTTPS server."""
    redirect = f"""server {{
{_listens(http_port)}    server_name {server_name};
    server_tokens off;
    return 301 https://$host$request_uri;
}}

"""
    lines = f"""    ssl_certificate {_check(certificate, "certificate")};
    ssl_certificate_key {_check(key, "certificate key")};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:keting_tls:10m;
    add_header Strict-Transport-Security "max-age=31536000" always;
"""
    return redirect, lines


def site_config(*, media_root: Path, signing_key: str, listen: str = "80", server_name: str = "_",
                upstream: str = "127.0.0.1:8080", media_path: str = "/media/",
                tls: tuple[str, str] | None = None, guide_files: bool = False,
                tls_ports: tuple[str, str] = ("80", "443"), behind_proxies: int = 0) -> str:
    """The server block: signed item media, public media, written live playlists and guide, the rest to Keting.

    With `tls` (certificate, key paths) it listens on 443 with HTTP/2 and a second block on port 80
    redirects every request to HTTPS; `listen` is then ignored for `tls_ports` (HTTP, HTTPS). With
    `guide_files` (the site has a PUBLIC_URL, so the written guide is final) nginx serves /epg.xml
    and /epg.xml.gz from the files. `behind_proxies`: the proxies in front of this nginx (PROXY_HOPS);
    with none, nginx faces the clients and replaces any X-Forwarded-For they send with their address.
    """
    root = _check(str(Path(media_root).resolve()), "media folder")
    key, media = _check(signing_key, "signing key"), media_path.rstrip("/") + "/"
    if not MEDIA_PATH.fullmatch(media):  # it goes into regular expressions below
        raise ValueError(f"media path {media_path!r} must be letters, digits, / _ - only, like /media/")
    forwarded_for = "$proxy_add_x_forwarded_for" if behind_proxies else "$remote_addr"
    upstream_url = _upstream(upstream)
    name = _check(server_name, "server name")
    protected = "|".join(PROTECTED_ROOTS)
    signed = (f"^{media}{SIGNED_PREFIX}/(?<ks_expires>[0-9]+)/(?<ks_sig>[A-Za-z0-9_-]+)/"
              f"(?<ks_root>(?:{protected})/[^/]+)/(?<ks_file>.+)$")
    redirect, tls_lines = _tls(name, *tls, tls_ports[0]) if tls else ("", "")
    # "listen ... http2" rather than "http2 on": Debian 12's nginx is 1.22.
    listens = _listens(tls_ports[1], " ssl http2") if tls else f"    listen {_check(listen, 'listen')};\n"
    return f"""{redirect}server {{
{listens}    server_name {name};
{tls_lines}    # Bodies are buffered by nginx (slow senders never hold one of Keting's threads) and bounded: the
    # largest Keting takes outside uploads is a 20 MiB picture. Uploads stream through (below).
    client_max_body_size {BODY_LIMIT};
    server_tokens off;
    {GZIP}

    location {media} {{
        alias {root}/;
        {TYPES}
        # nginx tries the regular expressions below in order, before the prefix above.
        # Items' segments, subtitles and readings: only through a signed, unexpired prefix that the API hands out.
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
{_guide_locations(root) if guide_files else ""}{UPLOADS_COMMENT}    location ^~ /api/v1/uploads {{
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_http_version 1.1;
        proxy_set_header Connection close;  # one request per connection: gunicorn's threads close it
{_proxy(upstream_url, forwarded_for)}    }}
    location / {{
{_proxy(upstream_url, forwarded_for)}    }}
}}
"""


def _upstream(upstream: str) -> str:
    """proxy_pass's target for host:port or a Unix socket path (unix:/run/…/keting.sock)."""
    value = _check(upstream, "upstream")
    return f"http://{value}:" if value.startswith("unix:") else f"http://{value}"


def _proxy(upstream_url: str, forwarded_for: str) -> str:
    """The lines that hand a request to keting serve."""
    return f"""        proxy_pass {upstream_url};
        proxy_set_header Host $http_host;  # with the port, as the box asked: Keting's URLs keep it
        proxy_set_header X-Request-Id $request_id;
        proxy_set_header X-Forwarded-For {forwarded_for};
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_read_timeout 120s;
"""


def _guide_locations(root: str) -> str:
    """The XMLTV guide from the files the channel runner writes (broadcast/guide_files.py)."""
    return f"""    location = /epg.xml {{
        alias {root}/guide/epg.xml;
        default_type application/xml;
        add_header Cache-Control "max-age=300";
    }}
    location = /epg.xml.gz {{
        alias {root}/guide/epg.xml.gz;
        default_type application/gzip;
        gzip off;
        add_header Cache-Control "max-age=300";
    }}
"""


def standalone_config(site: str, prefix: Path, *, user: str | None = None, access_log: str = "",
                      workers: str = "1", temp: Path | None = None) -> str:
    """A whole nginx.conf running `site` in the foreground with its pid and log under `prefix`.

    `user` runs the workers as that account (only when started as root); `access_log` is a path or "-"
    (stderr), empty for none. Large answers are relayed from memory, never spooled to files; request
    bodies beyond 128 KiB are, into `temp` (default `prefix`), which the workers' user must reach.
    """
    folder = _check(str(Path(prefix).resolve()), "nginx folder")
    spool = _check(str(Path(temp or prefix).resolve()), "nginx temporary folder")
    user_line = f"user {_check(user, 'user')};\n" if user else ""
    log = {"": "off", "-": "/dev/stderr keting"}.get(access_log) or f"{_check(access_log, 'access log')} keting"
    return f"""daemon off;
{user_line}worker_processes {_check(workers, "worker count")};
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format keting '$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time '
                      'id=$request_id "$http_user_agent"';
    access_log {log};
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    keepalive_requests 10000;
    proxy_max_temp_file_size 0;
    client_body_buffer_size 128k;
    default_type application/octet-stream;
    client_body_temp_path {spool}/client_body;
    proxy_temp_path {spool}/proxy;
    fastcgi_temp_path {spool}/fastcgi;
    uwsgi_temp_path {spool}/uwsgi;
    scgi_temp_path {spool}/scgi;
{site}}}
"""
