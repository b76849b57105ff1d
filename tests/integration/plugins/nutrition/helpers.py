"""What the nutrition-source tests share: a dict cache that records TTLs, a free closed port."""

from __future__ import annotations

from tests.support import free_port


class DictCache:
    """A :class:`~fithub.plugins.nutrition.SourceCache` in a dict, keeping each entry's TTL."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.ttls: dict[str, int] = {}

    async def get(self, key: str) -> bytes | None:
        return self.values.get(key)

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        self.values[key] = value
        self.ttls[key] = ttl_s


class BrokenCache:
    """A cache whose backend is gone (every call raises)."""

    async def get(self, key: str) -> bytes | None:
        raise ConnectionError("cache down")

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        raise ConnectionError("cache down")


def closed_port_url() -> str:
    """A loopback URL on a port nobody listens on (bound, then released)."""
    return f"http://127.0.0.1:{free_port()}"
