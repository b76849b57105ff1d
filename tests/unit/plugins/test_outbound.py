"""The SSRF guard: which addresses are public, which URLs are refused, and the connect-time checks."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from fithub.plugins.outbound import (
    MAX_URL_LENGTH,
    BlockedAddress,
    GuardedResolver,
    check_url,
    guarded_session,
    is_blocked,
    is_public_address,
)

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",  # just below 172.16/12
    "172.32.0.0",  # just above it
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",  # IPv4-mapped public
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]
NOT_PUBLIC = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # the cloud metadata service
    "169.254.0.1",
    "100.64.0.1",  # CGNAT
    "100.127.255.255",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "::",
    "::1",
    "fc00::1",  # unique-local
    "fd12:3456:789a::1",
    "fe80::1",  # link-local
    "fe80::1%eth0",
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "::ffff:127.0.0.1",  # IPv4-mapped forms
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001::1",  # Teredo
    "not an address",
    "",
]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_other_addresses_are_not(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/fithub",
        "http://hooks.example.com:8080/fithub?x=1",
        "https://8.8.8.8/hook",
        "https://[2606:4700:4700::1111]/hook",
        "https://bücher.example/hook",
        "https://hooks.example.com./hook",
    ],
)
def test_usable_urls_pass(url: str) -> None:
    assert check_url(url, allow_private=False, require_https=False) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.com/x", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https://user@hooks.example.com/x", "credentials"),
        ("https:///x", "no host"),
        ("/relative/path", "scheme"),
        ("https://hooks.example.com:99999/", "cannot be parsed"),
        ("https://hooks.example.com/\r\nX: y", "control"),
        ("https://hooks .example.com/", "whitespace"),
        ("https://exa%20mple.com/", "not a valid host name"),
        ("https://-bad.example/", "not a valid host name"),
        ("https://" + "a" * MAX_URL_LENGTH + ".example/", "longer than"),
        ("http://127.0.0.1/", "non-public"),
        ("http://169.254.169.254/latest/meta-data/", "non-public"),
        ("http://[::1]:8080/", "non-public"),
        ("http://[::ffff:10.0.0.1]/", "non-public"),
        ("http://[fe80::1%25eth0]/", "non-public"),
        ("http://100.64.0.1/", "non-public"),
        ("http://localhost:8000/", "localhost"),
        ("http://LOCALHOST./", "localhost"),
        ("http://api.localhost/", "localhost"),
        ("http://127.1/", "non-standard form"),
        ("http://2130706433/", "non-standard form"),
        ("http://0x7f.0.0.1/", "non-standard form"),
        ("http://0177.0.0.1/", "non-standard form"),
    ],
)
def test_unusable_urls_are_refused_without_repeating_them(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as caught:
        check_url(url, allow_private=False, require_https=False)
    assert url not in str(caught.value)


def test_https_can_be_required() -> None:
    with pytest.raises(ValueError, match="must be https"):
        check_url("http://hooks.example.com/", allow_private=False, require_https=True)
    assert check_url("https://hooks.example.com/", allow_private=False, require_https=True)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://localhost/", "http://[::1]/"])
def test_an_admin_may_allow_private_targets(url: str) -> None:
    assert check_url(url, allow_private=True, require_https=False) == url
    with pytest.raises(ValueError, match="credentials"):  # the other checks still apply
        check_url(url.replace("://", "://u:p@"), allow_private=True, require_https=False)


class StaticDNS(AbstractResolver):
    """Answers every name with the given addresses."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host=a,
                port=port,
                family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for a in self.addresses
        ]

    async def close(self) -> None:
        self.closed = True


async def test_the_resolver_drops_non_public_answers() -> None:
    base = StaticDNS("10.0.0.5", "8.8.8.8", "::1", "2606:4700:4700::1111")
    resolver = GuardedResolver(base=base)
    answers = await resolver.resolve("hooks.example", 443)
    assert [a["host"] for a in answers] == ["8.8.8.8", "2606:4700:4700::1111"]
    await resolver.close()
    assert base.closed


async def test_the_resolver_refuses_a_name_with_only_private_answers() -> None:
    resolver = GuardedResolver(base=StaticDNS("127.0.0.1", "169.254.169.254"))
    with pytest.raises(BlockedAddress):
        await resolver.resolve("rebound.example", 80)
    allowed = GuardedResolver(allow_private=True, base=StaticDNS("127.0.0.1"))
    assert [a["host"] for a in await allowed.resolve("rebound.example", 80)] == ["127.0.0.1"]


@pytest.mark.parametrize(
    "url", ["http://rebound.example:9/", "http://127.0.0.1:9/", "http://[::ffff:7f00:1]:9/"]
)
async def test_a_guarded_session_never_opens_a_socket_to_a_private_address(url: str) -> None:
    # IP literals skip the resolver: the socket factory refuses them before any connect.
    async with guarded_session(resolver=StaticDNS("127.0.0.1")) as session:
        with pytest.raises(aiohttp.ClientConnectorError) as caught:
            await session.get(url)
    assert is_blocked(caught.value)
    assert "non-public address" in str(caught.value)


def test_is_blocked_is_false_for_other_connection_errors() -> None:
    assert not is_blocked(aiohttp.ClientConnectionError("reset"))
    assert not is_blocked(ConnectionRefusedError(111, "refused"))
