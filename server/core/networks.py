"""Addresses against lists of networks, as settings give them (KETING_LIVE_INPUT_HOSTS, KETING_METRICS_ALLOWED)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def networks(entries: Iterable[str]) -> list[Network]:
    """The networks (an address is a network of one) among comma-list entries; host names are skipped."""
    found = []
    for entry in (entry.strip().lower() for entry in entries):
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a host name, or nothing: the caller compares names itself if it takes them
    return found


def plain_ip(address: str) -> Address:
    """An address without its IPv6 zone, an IPv4-mapped IPv6 address as the IPv4 one (ValueError if none)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip


def in_networks(address: str, entries: Iterable[str]) -> bool:
    """Whether `address` is in one of the networks `entries` names (False for something not an address)."""
    try:
        ip = plain_ip(address)
    except ValueError:
        return False
    return any(ip in network for network in networks(entries))
