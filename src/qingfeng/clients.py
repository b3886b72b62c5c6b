"""Who is on the other end of a request, when reverse proxies stand in between.

`X-Forwarded-For` is a list each proxy appends the address it saw to; anything left of the
last trusted proxy's entry was written by the client and proves nothing. So the header is read
only when the socket peer is one of the configured proxies, from the right, skipping trusted
proxies, and the first address that is not one of them is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ProxyConfigError(ValueError):
    """A trusted-proxy entry is not an address or network; the message names it."""


@lru_cache(maxsize=64)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ProxyConfigError(
                f"trusted_proxies: {entry!r} is not an IP address or network (CIDR)"
            ) from None
    return tuple(networks)


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: Sequence[str]
) -> str:
    """The client's address: the socket peer, or, when the peer is a trusted proxy, the
    right-most entry of X-Forwarded-For that is not a trusted proxy."""
    peer = peer or "unknown"
    networks = parse_networks(tuple(trusted_proxies))
    if not networks or not forwarded_for or not _trusted(peer, networks):
        return peer
    current = peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return current  # a trusted proxy passed on garbage: stop at the proxy itself
        if not _trusted(hop, networks):
            return hop
        current = hop
    return current


def request_client(request: object, trusted_proxies: Sequence[str]) -> str:
    """`client_address` for a Starlette request."""
    client = getattr(request, "client", None)
    headers = getattr(request, "headers", {})
    return client_address(
        client.host if client else None, headers.get("x-forwarded-for"), trusted_proxies
    )
