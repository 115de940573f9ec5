"""Which live-meeting inputs a relay may open: a parsed URL, an allowed scheme, a public host (or a listed one).

An administrator types the input's address; ffmpeg would otherwise open
anything it understands: local files (file:, a bare path, concat:), other
protocols nested inside (file:gopher://…) and services inside the site's
network. So the URL is parsed, only rtmp(s), rtsp, srt and http(s) with a
host are accepted, the host must resolve to public addresses unless
LIVE_INPUT_HOSTS lists it (a site's own encoder on the LAN), and ffmpeg is
told which protocols it may use for that scheme (-protocol_whitelist).
The check runs when the event is scheduled and again when its relay starts.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from server.core.errors import UserError
from server.core.networks import in_networks, networks, plain_ip

# The protocols ffmpeg may use for each scheme (HLS over http(s) fetches its segments the same way;
# "crypto" decrypts AES-128 HLS). Nothing here reads a file or runs a subprocess.
PROTOCOLS = {
    "rtmp": "rtmp,tcp",
    "rtmps": "rtmps,rtmp,tls,tcp",
    "rtsp": "rtsp,rtp,udp,tcp",
    "srt": "srt",
    "http": "http,https,tls,tcp,crypto",
    "https": "https,http,tls,tcp,crypto",
}
MAX_URL = 2048
Resolver = Callable[[str], Iterable[str]]


def resolve(host: str) -> list[str]:
    """The addresses a host name resolves to (an address resolves to itself)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)})


def _listed(addresses: Iterable[str], allowed: Iterable[str]) -> bool:
    """Whether LIVE_INPUT_HOSTS names a network (or an address) holding all these addresses (host names
    are compared by the caller)."""
    addresses = list(addresses)
    return bool(networks(allowed)) and bool(addresses) and all(in_networks(a, allowed) for a in addresses)


# Networks whose last 32 bits are an IPv4 address a router or host may reach: NAT64 (well-known and
# local-use), IPv4-compatible, and IPv4-translated (SIIT) addresses.
_CARRY_IPV4 = tuple(ipaddress.ip_network(net) for net in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96",
                                                           "::ffff:0:0:0/96"))


def _inside(address: str) -> bool:
    """Whether an address, or one it carries inside (6to4, NAT64, IPv4-compatible, Teredo), is not public."""
    ip = plain_ip(address)
    found = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.sixtofour:
            found.append(ip.sixtofour)
        if ip.teredo:
            found.append(ip.teredo[1])
        if any(ip in network for network in _CARRY_IPV4):
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.is_site_local:
            return True
    return any(not one.is_global or one.is_multicast for one in found)


def check_live_url(url: str, allowed_hosts: Iterable[str] = (), resolver: Resolver | None = None) -> str:
    """The input URL as it will be given to ffmpeg; UserError (400) naming what is wrong and what to do.

    `resolver` turns a host into addresses (the system's, `resolve`, when None).
    """
    resolver = resolver or resolve
    url = (url or "").strip()
    if not url or len(url) > MAX_URL or any(ord(ch) < 0x21 or ch == "\x7f" for ch in url):
        raise UserError("schedule.bad_live_url", value=url[:200])
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise UserError("schedule.bad_live_url", value=url[:200]) from None
    if parts.scheme.lower() not in PROTOCOLS or not host:
        raise UserError("schedule.bad_live_url", value=url[:200])
    allowed_hosts = list(allowed_hosts)
    if host.lower() in {entry.strip().lower() for entry in allowed_hosts}:
        return url  # listed by name: the site vouches for it (it may not resolve from here yet)
    try:
        addresses = list(resolver(host))
    except (OSError, UnicodeError):
        raise UserError("schedule.live_host_unknown", host=host) from None
    if not addresses:
        raise UserError("schedule.live_host_unknown", host=host)
    if _listed(addresses, allowed_hosts):
        return url
    inside = [a for a in addresses if _inside(a)]
    if inside:
        raise UserError("schedule.live_host_private", host=host, address=inside[0])
    return url


def allowed_hosts(config) -> list[str]:
    """LIVE_INPUT_HOSTS as a list."""
    return [entry.strip() for entry in str(config["LIVE_INPUT_HOSTS"]).split(",") if entry.strip()]


def input_options(url: str) -> dict[str, object]:
    """ffmpeg input options for a checked URL: only its scheme's protocols, and a timeout on stalls."""
    scheme = urlsplit(url).scheme.lower()
    options: dict[str, object] = {"protocol_whitelist": PROTOCOLS[scheme]}
    if scheme in ("http", "https", "rtmp", "rtmps"):
        options["rw_timeout"] = 10_000_000  # µs: a stalled input makes ffmpeg exit, and so be retried
    return options
