"""Outbound HTTP to addresses users choose (webhook endpoints): a guard against SSRF.

A URL a user registers must not let fithub reach its own network: loopback, private (RFC 1918),
link-local (the cloud metadata service at 169.254.169.254), CGNAT, unique-local IPv6, multicast or
reserved addresses, nor the IPv4-mapped / NAT64 / 6to4 IPv6 forms of those. Two layers:

- :func:`check_url` refuses, without any I/O, a URL that cannot be fetched safely: a scheme other
  than http(s), credentials, no host, an IP literal (in any spelling) that is not public,
  ``localhost``. Core calls it when an endpoint is registered (a 422), notifiers before each send.
- :class:`GuardedResolver` and the socket guard of :func:`guarded_connector` check every address
  *at connect time*, so a name that resolves to a private address (or is rebound to one after it
  was checked: DNS rebinding) is never connected to. A refused connection surfaces from aiohttp
  with a :class:`BlockedAddress` as its cause (see :func:`is_blocked`).

With ``allow_private`` (an admin's choice, and the tests' receivers on loopback) only the static
URL checks remain. Redirects are the caller's to refuse: pass ``allow_redirects=False``.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
from collections.abc import Iterator
from typing import Any

import aiohttp
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

__all__ = [
    "MAX_URL_LENGTH",
    "BlockedAddress",
    "GuardedResolver",
    "check_url",
    "guarded_connector",
    "guarded_session",
    "is_blocked",
    "is_public_address",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048

# Non-public ranges spelled out, so the answer does not depend on the Python version's tables
# (3.11's ``is_global`` calls multicast and fec0::/10 global, for one).
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # CGNAT shared space (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, incl. the metadata service 169.254.169.254
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, incl. broadcast 255.255.255.255
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::/96",  # IPv4-compatible (deprecated)
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments (Teredo, ORCHID, ...)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "fc00::/7",  # unique-local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_HOST_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")


class BlockedAddress(OSError):
    """A connection to a non-public address was refused (the SSRF guard)."""

    def __init__(self) -> None:
        super().__init__(errno.EACCES, "connection to a non-public address refused")


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour  # 2002::/16 carries the IPv4 address it routes to


def is_public_address(ip: str | IPAddress) -> bool:
    """True when ``ip`` is a globally routable unicast address fithub may connect to.

    False for loopback, private, link-local, CGNAT, unique-local, multicast, reserved,
    documentation and unspecified addresses, for IPv6 forms embedding such an IPv4 address
    (``::ffff:127.0.0.1``, NAT64, 6to4), and for anything that is not an IP address.
    """
    if isinstance(ip, str):
        try:
            ip = ipaddress.ip_address(ip)
        except ValueError:
            return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            return is_public_address(embedded)
        if ip.scope_id:
            return False
        blocked: tuple[ipaddress.IPv4Network, ...] | tuple[ipaddress.IPv6Network, ...]
        blocked = _BLOCKED_V6
    else:
        blocked = _BLOCKED_V4
    if any(ip in network for network in blocked):
        return False
    return ip.is_global and not (
        ip.is_multicast or ip.is_private or ip.is_reserved or ip.is_loopback or ip.is_link_local
    )


def _ip_literal(host: str) -> IPAddress | None:
    """The address ``host`` denotes when it is an IP literal; ValueError for odd IPv4 spellings."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        socket.inet_aton(host)  # 127.1, 0x7f.0.0.1, 2130706433, 0177.0.0.1: resolvers accept them
    except OSError:
        return None
    raise ValueError("the host is an IP address written in a non-standard form")


def check_url(url: str, *, allow_private: bool, require_https: bool) -> str:
    """Return ``url`` when fithub may call it; raise ``ValueError`` saying why not.

    Checks the length (at most :data:`MAX_URL_LENGTH`), the scheme (``https``, or ``http`` unless
    ``require_https``), that there are no credentials and there is a valid host, and, unless
    ``allow_private``, that an IP literal is public and the host is not ``localhost``. Host names
    are resolved only when connecting (see :class:`GuardedResolver`). Messages never repeat the URL.
    """
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise ValueError("the URL contains whitespace or control characters")
    try:
        parsed = URL(url)
        port = parsed.port
    except (ValueError, TypeError):
        raise ValueError("the URL cannot be parsed") from None
    schemes = ("https",) if require_https else ("http", "https")
    if parsed.scheme not in schemes:
        raise ValueError(f"the URL's scheme must be {' or '.join(schemes)}")
    if parsed.user is not None or parsed.password is not None:
        raise ValueError("the URL must not contain credentials")
    host = (parsed.host or "").lower()
    if not host or not parsed.is_absolute():
        raise ValueError("the URL has no host")
    if port is None or not 0 < port < 65536:
        raise ValueError("the URL's port is not valid")
    literal = _ip_literal(host.rstrip("."))
    if literal is None:
        raw_host = (parsed.raw_host or "").lower()  # IDNA-encoded
        if len(raw_host) > 253 or not _HOST_NAME.match(raw_host):
            raise ValueError("the URL's host is not a valid host name")
        name = raw_host.rstrip(".")
        if not allow_private and (name == "localhost" or name.endswith(".localhost")):
            raise ValueError("the URL points at this machine (localhost)")
    elif not allow_private and not is_public_address(literal):
        raise ValueError("the URL's host is a non-public IP address")
    return url


class GuardedResolver(AbstractResolver):
    """A resolver that drops non-public addresses unless ``allow_private``.

    Wraps ``base`` (default: aiohttp's ``ThreadedResolver``). When nothing public is left it
    raises :class:`BlockedAddress`, which aiohttp reports as a ``ClientConnectorDNSError``.
    """

    def __init__(self, *, allow_private: bool = False, base: AbstractResolver | None = None):
        self.allow_private = allow_private
        self.base = base if base is not None else ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.base.resolve(host, port, family)
        if self.allow_private:
            return results
        public = [r for r in results if is_public_address(r["host"])]
        if not public:
            raise BlockedAddress()
        return public

    async def close(self) -> None:
        await self.base.close()


def _guarded_socket(addr_info: AddrInfoType) -> socket.socket:
    """Open a socket for ``addr_info`` only if its address is public (IP literals skip resolving)."""
    family, type_, proto, _, sockaddr = addr_info
    if not is_public_address(str(sockaddr[0])):
        raise BlockedAddress()
    return socket.socket(family=family, type=type_, proto=proto)


def guarded_connector(
    *, allow_private: bool = False, resolver: AbstractResolver | None = None, **kwargs: Any
) -> aiohttp.TCPConnector:
    """A ``TCPConnector`` that connects only to public addresses, unless ``allow_private``.

    Names go through a :class:`GuardedResolver` (around ``resolver``, if given); every address
    is checked again when its socket is opened, which covers IP literals. Call it inside a
    running event loop; ``kwargs`` go to ``TCPConnector``.
    """
    guarded = GuardedResolver(allow_private=allow_private, base=resolver)
    factory = None if allow_private else _guarded_socket
    return aiohttp.TCPConnector(resolver=guarded, socket_factory=factory, **kwargs)


def guarded_session(
    *, allow_private: bool = False, resolver: AbstractResolver | None = None, **kwargs: Any
) -> aiohttp.ClientSession:
    """A ``ClientSession`` on a :func:`guarded_connector`, ignoring proxy settings from the
    environment (a proxy would resolve the names itself); ``kwargs`` go to ``ClientSession``."""
    connector = guarded_connector(allow_private=allow_private, resolver=resolver)
    return aiohttp.ClientSession(connector=connector, trust_env=False, **kwargs)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        os_error = getattr(current, "os_error", None)  # aiohttp's ClientConnectorError
        if isinstance(os_error, BaseException) and os_error is not current:
            yield os_error
        current = current.__cause__ or current.__context__


def is_blocked(exc: BaseException) -> bool:
    """True when ``exc`` (an aiohttp client error) comes from the SSRF guard refusing an address."""
    return any(isinstance(link, BlockedAddress) for link in _causes(exc))
