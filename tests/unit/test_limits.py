"""Rate limiter and client address: pure logic (the real gateway: tests/api/test_hardening.py)."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from bot.gateway.client_address import TrustedProxyError, client_address, limit_key, parse_trusted
from bot.gateway.limits import MemoryLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def hits(limiter: MemoryLimiter, key: str, n: int) -> list[bool]:
    return [asyncio.run(limiter.hit(key)).allowed for _ in range(n)]


def test_burst_of_a_minute_then_one_per_interval():
    clock = Clock()
    limiter = MemoryLimiter(6, clock=clock)
    assert hits(limiter, "a", 6) == [True] * 6
    denied = asyncio.run(limiter.hit("a"))
    assert not denied.allowed and 1 <= denied.retry_after <= 10
    clock.now += denied.retry_after
    assert asyncio.run(limiter.hit("a")).allowed
    assert not asyncio.run(limiter.hit("a")).allowed
    # Other keys have their own budget.
    assert hits(limiter, "b", 6) == [True] * 6


def test_retry_after_is_honest():
    clock = Clock()
    limiter = MemoryLimiter(2, clock=clock)
    hits(limiter, "a", 2)
    denied = asyncio.run(limiter.hit("a"))
    clock.now += denied.retry_after - 1
    assert not asyncio.run(limiter.hit("a")).allowed
    clock.now += 1
    assert asyncio.run(limiter.hit("a")).allowed


def test_zero_means_off():
    assert hits(MemoryLimiter(0), "a", 1000) == [True] * 1000


def test_memory_bounded_and_never_reset_for_everyone():
    clock = Clock()
    limiter = MemoryLimiter(2, max_keys=100, clock=clock)
    hits(limiter, "abuser", 2)
    assert not asyncio.run(limiter.hit("abuser")).allowed
    # 99 other keys fill the table up to its bound; the abuser is still limited.
    for n in range(99):
        asyncio.run(limiter.hit(f"rotating-{n}"))
    assert len(limiter) == 100
    assert not asyncio.run(limiter.hit("abuser")).allowed
    # Far more keys: the table stays bounded and evicts the oldest keys one by one.
    for n in range(99, 10_000):
        asyncio.run(limiter.hit(f"rotating-{n}"))
        assert len(limiter) <= 100
    assert "rotating-9999" in limiter.arrival and "rotating-0" not in limiter.arrival


def test_recent_key_survives_eviction():
    clock = Clock()
    limiter = MemoryLimiter(2, max_keys=3, clock=clock)
    hits(limiter, "a", 1)
    hits(limiter, "b", 1)
    hits(limiter, "a", 1)  # a is now the most recent
    hits(limiter, "c", 1)
    hits(limiter, "d", 1)  # evicts b, the oldest
    assert set(limiter.arrival) == {"a", "c", "d"}
    assert not asyncio.run(limiter.hit("a")).allowed


TRUSTED = parse_trusted("10.0.0.0/8, 192.168.1.5 fd00::/8")


def addr(text: str | None) -> str | None:
    return str(text) if text is None else str(ipaddress.ip_address(text))


@pytest.mark.parametrize(
    ("peer", "xff", "client"),
    [
        # An untrusted peer: its header is ignored, whatever it says.
        ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),
        # A trusted proxy: the rightmost untrusted address is the client.
        ("10.0.0.2", ["198.51.100.7"], "198.51.100.7"),
        # The client wrote a fake address on the left; the proxy appended the real one.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.7"], "198.51.100.7"),
        # Two trusted hops (CDN -> proxy -> gateway), header split over two lines.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.7", "192.168.1.5"], "198.51.100.7"),
        # Every hop trusted: the leftmost known one.
        ("10.0.0.2", ["10.1.1.1"], "10.1.1.1"),
        # Garbage from a proxy: stop at the last trusted hop.
        ("10.0.0.2", ["198.51.100.7, unknown"], "10.0.0.2"),
        # No header at all.
        ("10.0.0.2", [], "10.0.0.2"),
        # IPv6 with port and brackets; IPv4-mapped counts as IPv4.
        ("fd00::1", ["[2001:db8:1:2::5]:443"], "2001:db8:1:2::5"),
        ("::ffff:10.0.0.2", ["198.51.100.7"], "198.51.100.7"),
    ],
)
def test_client_address(peer, xff, client):
    assert addr(client_address(peer, xff, TRUSTED)) == addr(client)


def test_nothing_trusted_by_default():
    assert str(client_address("10.0.0.2", ["198.51.100.7"], parse_trusted(""))) == "10.0.0.2"


def test_ipv6_grouped_per_64():
    a = limit_key(ipaddress.ip_address("2001:db8:1:2:aaaa::1"))
    b = limit_key(ipaddress.ip_address("2001:db8:1:2:ffff:1:2:3"))
    c = limit_key(ipaddress.ip_address("2001:db8:1:3::1"))
    assert a == b == "2001:db8:1:2::/64"
    assert c != a
    assert limit_key(ipaddress.ip_address("198.51.100.7")) == "198.51.100.7"


def test_bad_trusted_proxy_setting_fails_loudly():
    with pytest.raises(TrustedProxyError):
        parse_trusted("10.0.0.0/8, proxy.example.nl")
