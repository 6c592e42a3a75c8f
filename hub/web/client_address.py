"""The client's address, which the per-client rate limits count by.

The peer of the connection is the client unless it is a proxy named in RABT_TRUSTED_PROXIES (none
by default). Behind trusted proxies the client is the last address in X-Forwarded-For that is not
itself a trusted proxy: every proxy appends the peer it saw, so addresses left of the first
untrusted one may have been written by the client itself, and are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str | None:
    if peer is None or not trusted or not _is_trusted(peer, trusted):
        return peer
    if not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _is_address(hop) else peer
    return hops[0] if _is_address(hops[0]) else peer


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
