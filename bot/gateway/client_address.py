"""Who is the client? The key the rate limits count on.

Every region puts a reverse proxy in front of the gateway, so the direct peer
is usually the proxy. X-Forwarded-For is read only when the peer is one of
NW_TRUSTED_PROXIES (CIDRs), and then from right to left: each trusted proxy
appends the address it saw, so the rightmost address that is not a trusted
proxy is the client. Anything further left was written by the client itself
and could be anything.

IPv6 clients are counted per /64: one household or phone gets a whole /64 and
can rotate through it at will. IPv4-mapped IPv6 addresses count as IPv4.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
IPV6_PREFIX = 64
MAX_HOPS = 20  # a longer header is read only this far from the right


class TrustedProxyError(ValueError):
    """NW_TRUSTED_PROXIES holds something that is not an address or CIDR."""


def parse_trusted(value: str | Iterable[str]) -> tuple[Network, ...]:
    """'10.0.0.0/8, 192.168.1.5 fd00::/8' -> networks; a bare address is a /32 or /128."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    networks: list[Network] = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise TrustedProxyError(f"NW_TRUSTED_PROXIES: not an address or CIDR: {item!r}") from None
    return tuple(networks)


def parse_address(text: str | None) -> Address | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.5:443"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> Address | None:
    """The client's address, given the direct peer and every X-Forwarded-For header value."""
    address = parse_address(peer)
    if address is None or not is_trusted(address, trusted):
        return address
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops[-MAX_HOPS:]):
        candidate = parse_address(hop)
        if candidate is None:
            # A trusted proxy wrote something that is no address ("unknown"):
            # the last proxy we trust is the best we know.
            return address
        if not is_trusted(candidate, trusted):
            return candidate
        address = candidate
    return address


def limit_key(address: Address | None) -> str:
    """The rate-limit key: the IPv4 address, or the IPv6 /64 it is in."""
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        # The /64 as its first 4 groups, e.g. "2001:db8:1:2::/64" (integer arithmetic:
        # building an IPv6Network costs ~10 times as much).
        prefix = int(address) >> (128 - IPV6_PREFIX) << (128 - IPV6_PREFIX)
        return f"{ipaddress.IPv6Address(prefix)}/{IPV6_PREFIX}"
    return str(address)


TRUSTED_KEY = web.AppKey("trusted_proxies", tuple)


def request_key(request: web.Request) -> str:
    """The rate-limit key for this request (see the module docstring)."""
    trusted: tuple[Network, ...] = request.app.get(TRUSTED_KEY, ())
    forwarded = request.headers.getall("X-Forwarded-For", []) if trusted else []
    return limit_key(client_address(request.remote, forwarded, trusted))


__all__ = ["TRUSTED_KEY", "TrustedProxyError", "client_address", "limit_key", "parse_trusted", "request_key"]
